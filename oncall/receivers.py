"""Paging starts and stops with incidents: receivers of `incident_changed`."""

from typing import Any


def on_incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    from . import tasks

    # Always a task, even with no policy anywhere: an incident no policy pages for
    # pages the fallback (and says so on its timeline) instead of nobody.
    if change == "opened":
        tasks.escalation_begin.delay(incident_id)
    elif change == "reopened":
        tasks.escalation_restart.delay(incident_id)
    elif change in ("acknowledged", "resolved", "closed"):
        tasks.escalation_check.delay(incident_id)
