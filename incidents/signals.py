"""What other parts of Keel (paging, error budgets, postmortems) listen to.

`incident_changed` is sent once the change is committed, with `incident_id` and `change`,
one of CHANGES. Receivers run after the commit and must not fail the caller: they are
called robustly, and an error is logged with its traceback.
"""

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

OPENED = "opened"  # declared by hand, or opened from alerts
ACKNOWLEDGED = "acknowledged"
STATUS = "status"  # moved between open statuses
SEVERITY = "severity"
RESOLVED = "resolved"
REOPENED = "reopened"
CLOSED = "closed"
TIMES_CORRECTED = "times_corrected"  # started/detected/acknowledged/resolved_at changed
DETAILS = "details"  # title, summary or affected services edited
ROLES = "roles"  # commander or responders changed
CHANGES = (
    OPENED,
    ACKNOWLEDGED,
    STATUS,
    SEVERITY,
    RESOLVED,
    REOPENED,
    CLOSED,
    TIMES_CORRECTED,
    DETAILS,
    ROLES,
)

incident_changed = Signal()


def _send(incident_id: int, change: str) -> None:
    from .models import Incident

    for receiver, result in incident_changed.send_robust(
        sender=Incident, incident_id=incident_id, change=change
    ):
        if isinstance(result, Exception):
            logger.error(
                "incident %s %s: receiver %r failed",
                incident_id,
                change,
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )


def incident_changed_on_commit(incident_id: int, change: str) -> None:
    """Announce a change of an incident when (and only if) the transaction commits."""
    assert change in CHANGES, change
    transaction.on_commit(lambda: _send(incident_id, change))
