"""Corrections of the times an incident's metrics (MTTD, MTTA, MTTR) are made of, each with
its reason on the timeline."""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.actors import Actor
from core.errors import KeelError
from core.roles import Role

from .. import flows
from ..choices import EntryKind
from ..models import Incident
from .freshness import refuse_if_stale
from .incidents import _entry, _lock, _now

CORRECTABLE_TIMES = ("started_at", "detected_at", "acknowledged_at", "resolved_at")
# Guards metrics against a mistyped year (0001-01-01 would dwarf every other duration).
MAX_CORRECTION_BEFORE_DETECTION = timedelta(days=366)


@transaction.atomic
def incident_correct_time(
    *,
    incident: Incident,
    field: str,
    value: datetime,
    reason: str,
    actor: Actor,
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    """Correct one of the times MTTx is made of, with a reason kept on the timeline."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    now = _now(at)
    if field not in CORRECTABLE_TIMES:
        raise KeelError(f"Only {', '.join(CORRECTABLE_TIMES)} can be corrected.", field="field")
    refuse_if_stale(incident, based_on=based_on, depends_on={f"time:{field}"}, field="value")
    if not reason.strip():
        raise KeelError("Say why the time is corrected.", field="reason")
    if timezone.is_naive(value):
        raise KeelError(
            "Give the time with a time zone (e.g. 2026-11-21T16:25:00Z).", field="value"
        )
    if value > now:
        raise KeelError("A corrected time cannot be in the future.", field="value")
    if value < incident.detected_at - MAX_CORRECTION_BEFORE_DETECTION:
        raise KeelError(
            "A corrected time cannot be more than a year before the incident was detected.",
            field="value",
        )
    if getattr(incident, field) is None:
        raise KeelError(f"{field} is not set yet; it cannot be corrected.", field="field")
    times = {name: getattr(incident, name) for name in CORRECTABLE_TIMES}
    old = times[field]
    times[field] = value
    order = [
        ("started_at", "detected_at"),
        ("detected_at", "acknowledged_at"),
        ("started_at", "resolved_at"),
    ]
    for earlier, later in order:
        if times[earlier] and times[later] and times[earlier] > times[later]:
            raise KeelError(f"{earlier} must not be after {later}.", field="value")
    setattr(incident, field, value)
    fields = [field, "updated_at"]
    if field == "acknowledged_at" and incident.last_acknowledged_at == old:
        incident.last_acknowledged_at = value  # not reopened since: the same acknowledgement
        fields.append("last_acknowledged_at")
    incident.save(update_fields=fields)
    _entry(
        incident,
        kind=EntryKind.FIELD_CORRECTED,
        actor=actor,
        at=now,
        text=(
            f"{field} corrected from {old:%Y-%m-%d %H:%M:%S} to {value:%Y-%m-%d %H:%M:%S} UTC: "
            f"{reason.strip()}"
        ),
        data={
            "field": field,
            "from": old.isoformat(),
            "to": value.isoformat(),
            "reason": reason.strip(),
        },
    )
    flows.incident_changed_on_commit(incident.pk, flows.TIMES_CORRECTED)
    return incident
