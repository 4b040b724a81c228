"""What follows each change of an incident: the one way from the incidents app up to paging,
error budgets and postmortems.

Every state change of an incident is one service call (incidents/services/) that checks,
writes the change and its timeline entry in one transaction, and then announces it here:
`incident_changed_on_commit(incident_id, CHANGE)` sends `incident_changed` once (and only
if) the transaction commits, with the incident's id and one change code below. The apps
above incidents listen; the incidents app never imports them.

What follows each change (each receiver only enqueues a Celery task, which re-reads the
incident and is safe to run twice, so a failing receiver cannot undo or fail the change):

change            paging             budget impact            postmortem
                  (oncall/receivers) (slos/receivers)         (postmortems/receivers)
OPENED            start escalation   link a burn incident to
                                     its SLO; live debit
ACKNOWLEDGED      stop it when done  refresh
RESOLVED          stop escalation    freeze the debit         draft the postmortem
CLOSED            stop escalation    freeze the debit
REOPENED          page from step 1   recompute
TIMES_CORRECTED                      recompute                refresh an unpublished draft
SEVERITY, DETAILS,                   refresh                  refresh an unpublished draft
ROLES
STATUS                               refresh
BUDGET_IMPACT                                                 refresh an unpublished draft

BUDGET_IMPACT is announced by the slos app when an incident's debit changed after the
incident itself did (frozen, recomputed, or shared with an overlapping incident).

Receivers are connected in their app's `AppConfig.ready()` with `listen(receiver,
dispatch_uid=...)`, nowhere else.

Ingestion asks one more question upward: which incident an alert joins, when an upper app
knows better than the alert group (Keel's own error-budget burn alerts belong to their
SLO's burn incident, whichever path opened it). An upper app answers it by registering an
`AlertGrouping` in its `ready()` (`grouping_register`); slos registers the burn alerts'
(slos/grouping.py). With none registered, alerts group by their Alertmanager group alone.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from django.db import transaction
from django.dispatch import Signal

from .models import Incident

logger = logging.getLogger(__name__)

# The change codes: the one place they are defined.
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
BUDGET_IMPACT = "budget_impact"  # its debit changed (announced by slos)
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
    BUDGET_IMPACT,
)

# Sent with `incident_id` and `change` (one of CHANGES) after the change commits.
incident_changed = Signal()

Receiver = Callable[..., None]


def listen(receiver: Receiver, *, dispatch_uid: str) -> None:
    """Connect an upper app's receiver of `incident_changed` (from its AppConfig.ready())."""
    incident_changed.connect(receiver, sender=Incident, dispatch_uid=dispatch_uid, weak=False)


def _send(incident_id: int, change: str) -> None:
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


# -- Grouping: which incident an alert joins, when an upper app decides -------------------

Labels = Mapping[str, str]


class AlertGrouping(Protocol):
    """An upper app's say in how ingestion groups alerts. Called inside ingestion's
    transaction, with the alert group's lock held."""

    def recorded_only(self, labels: Labels) -> bool:
        """An alert recorded on its incident but never opening one of its own."""
        ...

    def severity(self, labels: Labels) -> str | None:
        """The alert's incident severity, or None for the integration's mapping to decide."""
        ...

    def incident_to_join(self, *, labels: Sequence[Labels]) -> Incident | None:
        """An open incident that alerts about to open a new one join instead."""
        ...

    def previous(
        self, *, labels: Sequence[Labels], group_previous: Incident | None
    ) -> Incident | None:
        """The incident a new one opened from these alerts follows."""
        ...

    def grouped(self, *, incident_id: int, labels: Sequence[Labels]) -> None:
        """Alerts with these labels fired into the incident (before the transaction ends)."""
        ...


_groupings: list[AlertGrouping] = []


def grouping_register(grouping: AlertGrouping) -> None:
    """Register an upper app's AlertGrouping (from its AppConfig.ready(); once)."""
    if not any(type(g) is type(grouping) for g in _groupings):
        _groupings.append(grouping)


def alert_recorded_only(labels: Labels) -> bool:
    return any(g.recorded_only(labels) for g in _groupings)


def alert_severity(labels: Labels) -> str | None:
    for grouping in _groupings:
        if (severity := grouping.severity(labels)) is not None:
            return severity
    return None


def incident_to_join(*, labels: Sequence[Labels]) -> Incident | None:
    for grouping in _groupings:
        if (incident := grouping.incident_to_join(labels=labels)) is not None:
            return incident
    return None


def incident_previous(
    *, labels: Sequence[Labels], group_previous: Incident | None
) -> Incident | None:
    previous = group_previous
    for grouping in _groupings:
        previous = grouping.previous(labels=labels, group_previous=previous)
    return previous


def alerts_grouped(*, incident_id: int, labels: Sequence[Labels]) -> None:
    for grouping in _groupings:
        grouping.grouped(incident_id=incident_id, labels=labels)
