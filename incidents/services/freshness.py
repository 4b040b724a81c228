"""The stale-change check: a change based on an older state of an incident is refused
when something it depends on changed since, so a form or API client that was not told
of a newer change cannot silently undo it.

An incident's version is the id of its newest timeline entry that changed its state
(notes, alerts and pages do not). Every state change writes that entry while holding the
incident's row lock, so within one incident these ids grow in commit order and "entries
after the version" is exactly what the client had not seen."""

from collections.abc import Iterable

from django.db.models import QuerySet

from core.errors import KeelConflict

from ..choices import STATE_KINDS, EntryKind
from ..models import Incident, TimelineEntry

# A version is a timeline entry id (a PostgreSQL bigint).
MAX_VERSION = 2**63 - 1
EVERYTHING = "*"


def _state_entries() -> QuerySet[TimelineEntry]:
    return TimelineEntry.objects.filter(kind__in=STATE_KINDS)


def incident_version(incident: Incident) -> int:
    newest = _state_entries().filter(incident=incident).order_by("-id").values("id").first()
    return int(newest["id"]) if newest else 0


def changed_aspects(entry: TimelineEntry) -> set[str]:
    """What a state entry changed, in the terms actions depend on."""
    kind, data = entry.kind, entry.data or {}
    if kind in (EntryKind.OPENED, EntryKind.DECLARED):
        return {EVERYTHING}
    if kind == EntryKind.SEVERITY:
        return {"severity"}
    if kind == EntryKind.STATUS:
        return {"status"}
    if kind in (EntryKind.RESOLVED, EntryKind.REOPENED):
        return {"status", "lifecycle", "time:resolved_at"}
    if kind == EntryKind.CLOSED:
        return {"status", "lifecycle"}
    if kind == EntryKind.ACKNOWLEDGED:
        return {"acknowledgement"}
    if kind == EntryKind.ROLE:
        if data.get("role") == "commander":
            return {"commander"}
        return {f"responder:{data.get('user')}"}
    if kind == EntryKind.EDITED:
        return {f"details:{name}" for name in data}
    if kind == EntryKind.FIELD_CORRECTED:
        return {f"time:{data.get('field')}"}
    return set()


def _describe(entry: TimelineEntry) -> str:
    text = entry.text.strip().rstrip(".")
    return f"{entry.actor_name} at {entry.at:%Y-%m-%d %H:%M:%S} UTC: {text}"


def refuse_if_stale(
    incident: Incident, *, based_on: int | None, depends_on: Iterable[str], field: str | None = None
) -> None:
    """Raise KeelConflict when a state change after version `based_on` touched what
    the change at hand depends on (`depends_on`); None means the caller did not say."""
    if based_on is None:
        return
    wanted = set(depends_on)
    newer = [
        entry
        for entry in _state_entries().filter(incident=incident, pk__gt=based_on).order_by("id")
        if changed_aspects(entry) & (wanted | {EVERYTHING})
    ]
    if not newer:
        return
    message = (
        f"Nothing was changed: {incident.reference} changed since this was based on it — "
        + "; ".join(_describe(e) for e in newer)
        + ". Check the current state and submit again if you still want the change."
    )
    raise KeelConflict(
        message,
        changes=[entry.as_json() for entry in newer],
        version=incident_version(incident),
        field=field,
    )
