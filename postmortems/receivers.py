"""Postmortems follow their incident: drafted when it resolves, facts refreshed on changes.

Importing this module (from the app's ready()) also registers the postmortem tasks with
Celery, as autodiscovery only looks at tasks.py.
"""

from typing import Any

from django.dispatch import receiver

from incidents.signals import DETAILS, RESOLVED, ROLES, SEVERITY, TIMES_CORRECTED, incident_changed
from postmortems.models import Postmortem, PostmortemStatus
from postmortems.tasks import draft_postmortem


def _has_unpublished_postmortem(incident_id: int) -> bool:
    return (
        Postmortem.objects.filter(incident_id=incident_id)
        .exclude(status=PostmortemStatus.PUBLISHED)
        .exists()
    )


@receiver(incident_changed, dispatch_uid="postmortems.incident_changed")
def on_incident_changed(sender: Any, incident_id: int, change: str, **kwargs: Any) -> None:
    """Draft on resolution; refresh the facts of a draft when what it states changes."""
    refresh = change in (SEVERITY, TIMES_CORRECTED, DETAILS, ROLES) and (
        _has_unpublished_postmortem(incident_id)
    )
    if change == RESOLVED or refresh:
        draft_postmortem.delay(incident_id)
