"""Incident lifecycle: each change writes the incident and its timeline entry atomically."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from catalog.models import Service
from core.actors import Actor
from core.errors import KeelError
from core.roles import Role, role_of

from .. import flows
from ..choices import (
    OPEN_STATUSES,
    RECORDED_KINDS,
    TRANSITIONS,
    EntryKind,
    Kind,
    Severity,
    Status,
)
from ..models import Incident, NumberSequence, TimelineEntry
from .freshness import refuse_if_stale


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _entry(
    incident: Incident,
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    text: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    return TimelineEntry.objects.create(
        incident=incident, kind=kind, at=at, text=text, data=data or {}, **actor.entry_fields()
    )


def _bump_incident_counter() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_numbersequence SET value = value + 1 WHERE name = %s RETURNING value",
            ["incident"],
        )
        row = cursor.fetchone()
    return int(row[0]) if row is not None else None


def next_incident_number() -> int:
    """The next incident number. The UPDATE holds the counter's row lock until commit."""
    number = _bump_incident_counter()
    if number is None:
        # The row comes with the migrations; recreate it if it was removed (e.g. a flush).
        highest = Incident.objects.aggregate(highest=Max("number"))["highest"] or 0
        NumberSequence.objects.bulk_create(
            [NumberSequence(name="incident", value=highest)], ignore_conflicts=True
        )
        number = _bump_incident_counter()
    assert number is not None
    return number


def _check_severity(severity: str) -> str:
    if severity not in Severity.values:
        raise KeelError(
            f"Unknown severity {severity!r}; use one of {', '.join(Severity.values)}.",
            field="severity",
        )
    return severity


def _lock(incident: Incident) -> Incident:
    """Re-read the incident under a row lock, so concurrent changes apply one after another."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


def check_can_hold_a_role(user: Any, *, field: str) -> None:
    """Refuse a user who cannot act on incidents (a viewer) as commander or responder:
    they could neither acknowledge nor change anything in the incident they lead."""
    if not user.is_active:
        raise KeelError(f"{user.get_username()} is not an active user.", field=field)
    if role_of(user) < Role.RESPONDER:
        raise KeelError(
            f"{user.get_username()} is a viewer; only responders and admins can be incident "
            "commanders or responders.",
            field=field,
        )


@transaction.atomic
def incident_declare(
    *,
    actor: Actor,
    title: str,
    severity: str,
    summary: str = "",
    services: Iterable[Service] = (),
    kind: str = Kind.MANUAL,
    started_at: datetime | None = None,
    commander: Any = None,
    previous: Incident | None = None,
    at: datetime | None = None,
) -> Incident:
    """Declare an incident by hand (or a drill). `previous` links it to the incident it
    follows (as an alert group's new incident links to its last one)."""
    actor.require(Role.RESPONDER)
    now = _now(at)
    if not title.strip():
        raise KeelError("A title is required.", field="title")
    if kind not in (Kind.MANUAL, Kind.DRILL):
        raise KeelError("Declared incidents are of kind 'manual' or 'drill'.", field="kind")
    if started_at and started_at > now:
        raise KeelError("The start cannot be in the future.", field="started_at")
    if commander is not None:
        check_can_hold_a_role(commander, field="commander")
    incident = Incident.objects.create(
        number=next_incident_number(),
        title=title.strip()[:300],
        summary=summary,
        severity=_check_severity(severity),
        kind=kind,
        started_at=started_at or now,
        detected_at=now,
        commander=commander if commander is not None else actor.user,
        previous=previous,
    )
    incident.services.set(list(services))
    _entry(
        incident,
        kind=EntryKind.DECLARED,
        actor=actor,
        at=now,
        text=f"{actor.name} declared {incident.reference} ({incident.severity})."
        + (f" It follows {previous.reference}." if previous is not None else ""),
        data={"severity": incident.severity, "kind": kind}
        | ({"previous": previous.number} if previous is not None else {}),
    )
    flows.incident_changed_on_commit(incident.pk, flows.OPENED)
    return incident


def incident_open_from_alerts(
    *,
    integration: Any,
    title: str,
    summary: str,
    severity: str,
    started_at: datetime,
    detected_at: datetime,
    group_key: str,
    group_hash: str,
    previous: Incident | None,
    services: Iterable[Service] = (),
    **state: Any,
) -> Incident:
    """A new incident of an alert group (ingestion, which holds the group's lock and writes
    the opened entry with the alerts' own, and announces the change). The database's
    one-open-incident-per-group constraint refuses a second open one."""
    incident = Incident.objects.create(
        number=next_incident_number(),
        title=title,
        summary=summary,
        severity=severity,
        kind=Kind.ALERT,
        started_at=started_at,
        detected_at=detected_at,
        integration=integration,
        group_key=group_key,
        group_hash=group_hash,
        previous=previous,
        **state,
    )
    if services:
        incident.services.add(*services)
    return incident


@transaction.atomic
def incident_acknowledge(
    *,
    incident: Incident,
    actor: Actor,
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    """Acknowledge: someone is on it. Acknowledging twice keeps the first time.

    A reopened incident asks for acknowledgement again: that one stops the paging the
    reopen restarted, while `acknowledged_at` (and so MTTA) keeps the first.

    `based_on` (here and in every change below) is the incident version the caller's view
    was drawn from; see freshness.refuse_if_stale."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    if incident.is_open and incident.last_acknowledged_at is not None:
        return incident
    refuse_if_stale(incident, based_on=based_on, depends_on={"lifecycle"})
    if not incident.is_open:
        raise KeelError(
            f"{incident.reference} is {incident.status}; only open incidents can be acknowledged."
        )
    now = _now(at)
    again = incident.acknowledged_at is not None
    fields = ["last_acknowledged_at", "updated_at"]
    if not again:
        incident.acknowledged_at = now
        incident.acknowledged_by = actor.user
        fields += ["acknowledged_at", "acknowledged_by"]
    incident.last_acknowledged_at = now
    incident.save(update_fields=fields)
    _entry(
        incident,
        kind=EntryKind.ACKNOWLEDGED,
        actor=actor,
        at=now,
        text=f"{actor.name} acknowledged" + (" again since the reopen." if again else "."),
        data={"again": True} if again else None,
    )
    flows.incident_changed_on_commit(incident.pk, flows.ACKNOWLEDGED)
    return incident


def _set_status(
    incident: Incident, status: str, *, actor: Actor, at: datetime, text: str = ""
) -> Incident:
    """Move an open incident to another open status or to resolved (caller holds the lock)."""
    if status == incident.status:
        return incident
    previous = incident.status
    fields = ["status", "updated_at"]
    incident.status = status
    if status == Status.RESOLVED:
        incident.resolved_at = at
        fields.append("resolved_at")
    incident.save(update_fields=fields)
    kind = EntryKind.RESOLVED if status == Status.RESOLVED else EntryKind.STATUS
    _entry(
        incident,
        kind=kind,
        actor=actor,
        at=at,
        text=text or f"Status {previous} → {status}.",
        data={"from": previous, "to": status},
    )
    flows.incident_changed_on_commit(
        incident.pk, flows.RESOLVED if status == Status.RESOLVED else flows.STATUS
    )
    return incident


@transaction.atomic
def incident_set_status(
    *,
    incident: Incident,
    status: str,
    actor: Actor,
    note: str = "",
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    """Change status along a legal transition (closing and reopening have their own services)."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    if status not in Status.values:
        raise KeelError(f"Unknown status {status!r}.", field="status")
    if status == incident.status:
        return incident
    refuse_if_stale(incident, based_on=based_on, depends_on={"status"}, field="status")
    if status == Status.CLOSED:
        return incident_close(incident=incident, actor=actor, at=at)
    if incident.status == Status.RESOLVED and status == Status.INVESTIGATING:
        return incident_reopen(incident=incident, actor=actor, reason=note, at=at)
    allowed = [s for s in TRANSITIONS[incident.status]]
    if status not in allowed:
        raise KeelError(
            f"{incident.reference} cannot move from {incident.status} to {status}"
            + (f"; allowed: {', '.join(allowed)}." if allowed else "; it is closed."),
            field="status",
        )
    text = f"Status {incident.status} → {status}." + (f" {note}" if note else "")
    return _set_status(incident, status, actor=actor, at=_now(at), text=text)


@transaction.atomic
def incident_resolve(
    *,
    incident: Incident,
    actor: Actor,
    note: str = "",
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    refuse_if_stale(incident, based_on=based_on, depends_on={"lifecycle"})
    if not incident.is_open:
        raise KeelError(f"{incident.reference} is already {incident.status}.", field="status")
    text = f"{actor.name} resolved the incident." + (f" {note}" if note else "")
    return _set_status(incident, Status.RESOLVED, actor=actor, at=_now(at), text=text)


@transaction.atomic
def incident_reopen(
    *,
    incident: Incident,
    actor: Actor,
    reason: str = "",
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    """Reopen a resolved incident (a closed one stays closed: declare a new one)."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    refuse_if_stale(incident, based_on=based_on, depends_on={"lifecycle"})
    if incident.status != Status.RESOLVED:
        raise KeelError(
            f"Only resolved incidents can be reopened; {incident.reference} is {incident.status}.",
            field="status",
        )
    now = _now(at)
    incident.status = Status.INVESTIGATING
    incident.resolved_at = None
    incident.last_acknowledged_at = None
    try:
        with transaction.atomic():
            incident.save(
                update_fields=["status", "resolved_at", "last_acknowledged_at", "updated_at"]
            )
    except IntegrityError:
        newer = Incident.objects.filter(
            integration=incident.integration,
            group_hash=incident.group_hash,
            status__in=OPEN_STATUSES,
        ).first()
        raise KeelError(
            f"{newer.reference if newer else 'A newer incident'} is already open for this alert "
            "group; work there instead.",
            field="status",
        ) from None
    _entry(
        incident,
        kind=EntryKind.REOPENED,
        actor=actor,
        at=now,
        text=f"{actor.name} reopened the incident." + (f" {reason}" if reason else ""),
    )
    flows.incident_changed_on_commit(incident.pk, flows.REOPENED)
    return incident


@transaction.atomic
def incident_close(
    *, incident: Incident, actor: Actor, at: datetime | None = None, based_on: int | None = None
) -> Incident:
    """Close a resolved incident (after its follow-up is done)."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    refuse_if_stale(incident, based_on=based_on, depends_on={"lifecycle"})
    if incident.status != Status.RESOLVED:
        raise KeelError(
            f"Resolve {incident.reference} before closing it (it is {incident.status}).",
            field="status",
        )
    now = _now(at)
    incident.status = Status.CLOSED
    incident.closed_at = now
    incident.save(update_fields=["status", "closed_at", "updated_at"])
    _entry(
        incident,
        kind=EntryKind.CLOSED,
        actor=actor,
        at=now,
        text=f"{actor.name} closed the incident.",
    )
    flows.incident_changed_on_commit(incident.pk, flows.CLOSED)
    return incident


@transaction.atomic
def incident_set_severity(
    *,
    incident: Incident,
    severity: str,
    actor: Actor,
    at: datetime | None = None,
    reason: str = "",
    based_on: int | None = None,
) -> Incident:
    """Change the severity; a stale form (a severity changed since) is refused."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    _check_severity(severity)
    if severity == incident.severity:
        return incident
    refuse_if_stale(incident, based_on=based_on, depends_on={"severity"}, field="severity")
    if incident.status == Status.CLOSED:
        raise KeelError(f"{incident.reference} is closed.")
    previous = incident.severity
    incident.severity = severity
    incident.save(update_fields=["severity", "updated_at"])
    _entry(
        incident,
        kind=EntryKind.SEVERITY,
        actor=actor,
        at=_now(at),
        text=f"Severity {previous} → {severity}" + (f": {reason}." if reason else "."),
        data={"from": previous, "to": severity, **({"reason": reason} if reason else {})},
    )
    flows.incident_changed_on_commit(incident.pk, flows.SEVERITY)
    return incident


@transaction.atomic
def incident_add_note(
    *, incident: Incident, text: str, actor: Actor, pinned: bool = False, at: datetime | None = None
) -> TimelineEntry:
    """Add a note (Markdown) to the timeline."""
    actor.require(Role.RESPONDER)
    if not text.strip():
        raise KeelError("A note needs some text.", field="text")
    if len(text) > 20000:
        raise KeelError("A note is limited to 20,000 characters.", field="text")
    entry = TimelineEntry.objects.create(
        incident=incident,
        kind=EntryKind.NOTE,
        at=_now(at),
        text=text,
        pinned=pinned,
        **actor.entry_fields(),
    )
    Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    return entry


@transaction.atomic
def incident_record(
    *,
    incident: Incident,
    kind: str,
    actor: Actor,
    text: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Put on the timeline what another part of Keel did for the incident: a page sent,
    an error-budget burn, a recomputed budget impact, a postmortem step."""
    if kind not in RECORDED_KINDS:
        raise KeelError(
            f"Timeline entries of kind {kind!r} are written by their own service.", field="kind"
        )
    return _entry(incident, kind=kind, actor=actor, at=_now(at), text=text, data=data)


@transaction.atomic
def timeline_entry_set_pinned(*, entry: TimelineEntry, pinned: bool, actor: Actor) -> TimelineEntry:
    """Pin an entry for the postmortem, or unpin it."""
    actor.require(Role.RESPONDER)
    if entry.pinned != pinned:
        entry.pinned = pinned
        entry.save(update_fields=["pinned"])
    return entry
