"""How postmortems follow incident changes (incidents/flows.py): drafted when the incident
resolves, the facts of an unpublished draft refreshed when what it states changes. Enqueue
only."""

from typing import Any

from incidents import flows
from postmortems.models import Postmortem, PostmortemStatus
from postmortems.tasks import draft_postmortem

REFRESH = (flows.SEVERITY, flows.TIMES_CORRECTED, flows.DETAILS, flows.ROLES, flows.BUDGET_IMPACT)


def _has_unpublished_postmortem(incident_id: int) -> bool:
    return (
        Postmortem.objects.filter(incident_id=incident_id)
        .exclude(status=PostmortemStatus.PUBLISHED)
        .exists()
    )


def on_incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    """Draft on resolution; refresh the facts of a draft when what it states changes (the
    task drafts when none exists, so a refresh is enqueued only for an unpublished one)."""
    if change == flows.RESOLVED or (change in REFRESH and _has_unpublished_postmortem(incident_id)):
        draft_postmortem.delay(incident_id)
