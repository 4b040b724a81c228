"""How paging follows incident changes (incidents/flows.py): enqueue only."""

from typing import Any

from incidents import flows

from . import tasks


def on_incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    # Always a task, even with no policy anywhere: an incident no policy pages for
    # pages the fallback (and says so on its timeline) instead of nobody.
    if change == flows.OPENED:
        tasks.escalation_begin.delay(incident_id)
    elif change == flows.REOPENED:
        tasks.escalation_restart.delay(incident_id)
    elif change in (flows.ACKNOWLEDGED, flows.RESOLVED, flows.CLOSED):
        tasks.escalation_check.delay(incident_id)
