"""Paging starts and stops with incidents: receivers of `incident_changed`."""

from typing import Any


def on_incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    from . import tasks
    from .models import EscalationPolicy

    if change in ("opened", "reopened") and not EscalationPolicy.objects.exists():
        return  # nobody to page: spare the broker a task per incident in an alert storm
    if change == "opened":
        tasks.escalation_begin.delay(incident_id)
    elif change == "reopened":
        tasks.escalation_restart.delay(incident_id)
    elif change in ("acknowledged", "resolved", "closed"):
        tasks.escalation_check.delay(incident_id)
