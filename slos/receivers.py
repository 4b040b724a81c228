"""How error budgets follow incident changes (incidents/flows.py): enqueue only."""

from typing import Any

from incidents import flows

from . import tasks

# The changes after which an incident's budget impact is looked at again; BUDGET_IMPACT is
# slos' own announcement and is not among them.
FOLLOWS = (
    flows.OPENED,
    flows.ACKNOWLEDGED,
    flows.STATUS,
    flows.SEVERITY,
    flows.RESOLVED,
    flows.REOPENED,
    flows.CLOSED,
    flows.TIMES_CORRECTED,
    flows.DETAILS,
    flows.ROLES,
)


def on_incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    """Link a new burn incident to its SLO, and keep each incident's budget impact current."""
    if change in FOLLOWS:
        tasks.incident_budget_follow.delay(incident_id, change)
