"""How postmortems follow incident changes (incidents/flows.py): drafted when the incident
resolves, the facts of an unpublished draft refreshed when what it states changes. Enqueue
only."""

from typing import Any

from incidents import flows
from postmortems.tasks import draft_postmortem, refresh_postmortem

REFRESH = (flows.SEVERITY, flows.TIMES_CORRECTED, flows.DETAILS, flows.ROLES, flows.BUDGET_IMPACT)


def on_incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    """Draft on resolution; refresh the facts of an unpublished draft when what it states
    changes (the refresh task creates none)."""
    if change == flows.RESOLVED:
        draft_postmortem.delay(incident_id)
    elif change in REFRESH:
        refresh_postmortem.delay(incident_id)
