"""Alert ingestion: store each webhook body raw, then group its alerts into incidents.

Processing is idempotent: a delivery is processed once (row lock and state), and the
same alerts delivered again only refresh when they were last seen.
"""

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.roles import Role
from slos.models import Service
from slos.services import services_get_or_discover

from .. import alertmanager
from ..actors import Actor
from ..choices import (
    OPEN_STATUSES,
    AlertStatus,
    DeliveryState,
    EntryKind,
    Kind,
    ResolvePolicy,
    Status,
)
from ..errors import IncidentError
from ..models import Alert, Delivery, Incident, Integration, TimelineEntry
from ..models.delivery import MAX_ATTEMPTS
from ..signals import incident_changed_on_commit
from . import alert_instances
from .incidents import (
    incident_correct_time,
    incident_resolve,
    incident_set_severity,
    incident_set_status,
    next_incident_number,
)

logger = logging.getLogger(__name__)

# Up to this many alerts of one incident changing in one delivery get an entry each;
# more get one summary entry, so a storm does not bury the humans' entries.
ENTRIES_PER_ALERT_UP_TO = 10


def enqueue_delivery(delivery_id: int) -> bool:
    """Hand a stored delivery to a worker; if the broker is down, the sweep retries later."""
    from ..tasks import process_delivery

    try:
        process_delivery.delay(delivery_id)
    except Exception:  # the broker is unreachable; the delivery is safe in the database
        logger.warning("could not enqueue delivery %s; the sweep will retry", delivery_id)
        return False
    return True


def delivery_receive(
    *,
    integration_id: int,
    body: bytes,
    user_agent: str = "",
    group_hash: str | None = None,
    at: datetime | None = None,
) -> Delivery:
    """Store an accepted webhook body in one INSERT and enqueue its processing on commit.

    `group_hash` is the alert group's (the webhook parsed the body already); without it,
    the body is parsed here."""
    if group_hash is None:
        try:
            group_hash = alertmanager.group_hash(alertmanager.parse(body).group_key)
        except alertmanager.PayloadError:
            group_hash = ""
    delivery = Delivery.objects.create(
        integration_id=integration_id,
        received_at=at or timezone.now(),
        body=body.decode(json.detect_encoding(body)),
        body_bytes=len(body),
        user_agent=user_agent[:200],
        group_hash=group_hash,
    )
    transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
    return delivery


def _lock_group(integration_id: int, group_hash: str) -> None:
    """Serialize the processing of one alert group across workers (PostgreSQL advisory lock).

    SQLite serializes every writing transaction already (BEGIN IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{integration_id}:{group_hash}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _alert_text(alert: Alert, verb: str) -> str:
    summary = alert.annotations.get("summary", "")
    return f"{alert.name} {verb}" + (f": {summary}" if summary else ".")


def _alert_data(alert: Alert) -> dict:
    return {
        "fingerprint": alert.fingerprint,
        "starts_at": alert.starts_at.isoformat(),
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
        "labels": alert.labels,
    }


def _services_for(
    integration: Integration, alerts: Iterable[Alert]
) -> tuple[list[Service], list[str]]:
    """The services the alerts' service label names, and the names that had to be cut to
    fit (the label itself is kept whole on the alert)."""
    values = {a.labels.get(integration.service_label, "").strip() for a in alerts} - {""}
    names = {alertmanager.service_name(v) for v in values}
    cut = sorted(n for n in names if n not in values)
    services = services_get_or_discover(label_values=names)
    if not services and integration.default_service_id:
        services = [integration.default_service]  # type: ignore[list-item]
    return services, cut


def _cut_note(cut: list[str]) -> str:
    if not cut:
        return ""
    return (
        f" The {len(cut)} service label value{'s' if len(cut) != 1 else ''} longer than "
        f"{alertmanager.SERVICE_NAME_MAX} characters name{'' if len(cut) != 1 else 's'} the "
        "service by its start; the alerts keep the whole label."
    )


def _open_incident(
    *,
    integration: Integration,
    notification: alertmanager.Notification,
    group_hash: str,
    firing: list[Alert],
    delivery: Delivery,
    previous: Incident | None,
    actor: Actor,
) -> tuple[Incident, TimelineEntry]:
    """Open the group's incident from its firing alerts (the caller holds the group lock).

    Returns the incident and its unsaved "opened" entry, written with the alerts' entries.
    """
    severity = min(integration.severity_for(a.labels) for a in firing)  # SEV1 < SEV2 < ...
    # The group lock makes a concurrent open of this group impossible; a human reopening
    # the group's last incident meanwhile trips the one-open-incident constraint, and the
    # IntegrityError sends the delivery back for a retry, which then joins that incident.
    incident = Incident.objects.create(
        number=next_incident_number(),
        title=alertmanager.incident_title(notification),
        summary=notification.common_annotations.get("description", ""),
        severity=severity,
        kind=Kind.ALERT,
        started_at=min(a.starts_at for a in firing),
        detected_at=delivery.received_at,
        integration=integration,
        group_key=notification.group_key,
        group_hash=group_hash,
        previous=previous,
    )
    services, cut = _services_for(integration, firing)
    if services:
        incident.services.add(*services)
    text = f"Opened from {len(firing)} firing alert{'s' if len(firing) != 1 else ''}"
    if previous is not None:
        text += f"; this group's previous incident was {previous.reference}"
    if notification.truncated_alerts:
        text += f"; Alertmanager left out {notification.truncated_alerts} more (max_alerts)"
    entry = TimelineEntry(
        incident=incident,
        kind=EntryKind.OPENED,
        at=delivery.received_at,
        text=text + "." + _cut_note(cut),
        data={
            "delivery": delivery.pk,
            "group_labels": notification.group_labels,
            "truncated_alerts": notification.truncated_alerts,
            "previous": previous.number if previous else None,
            **({"services_cut": cut} if cut else {}),
        },
        **actor.entry_fields(),
    )
    return incident, entry


def _alert_entries(
    alerts: list[Alert], *, kind: str, verb: str, actor: Actor, now: datetime, reason: str = ""
) -> list[TimelineEntry]:
    """One entry per alert, or one summary entry per incident when many change at once."""
    by_incident: dict[int, list[Alert]] = {}
    for alert in alerts:
        if alert.incident_id is not None:
            by_incident.setdefault(alert.incident_id, []).append(alert)
    suffix = f" ({reason})" if reason else ""
    entries = []
    for incident_id, group in by_incident.items():
        times = [
            (a.starts_at if kind == EntryKind.ALERT_FIRED else a.ends_at) or now for a in group
        ]
        if len(group) <= ENTRIES_PER_ALERT_UP_TO:
            entries += [
                TimelineEntry(
                    incident_id=incident_id,
                    kind=kind,
                    at=at,
                    text=_alert_text(a, verb) + suffix,
                    data=_alert_data(a),
                    **actor.entry_fields(),
                )
                for a, at in zip(group, times, strict=True)
            ]
            continue
        names = sorted({a.name for a in group})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        entries.append(
            TimelineEntry(
                incident_id=incident_id,
                kind=kind,
                at=min(times),
                text=f"{len(group)} alerts {verb}: {shown}.{suffix}",
                data={
                    "count": len(group),
                    "alertnames": names,
                    "fingerprints": [a.fingerprint for a in group],
                },
                **actor.entry_fields(),
            )
        )
    return entries


def _record_alert_changes(
    *,
    fired: list[Alert],
    resolved: list[Alert],
    actor: Actor,
    now: datetime,
    resolved_reason: str = "",
    opened: Incident | None = None,
    extra_entries: Iterable[TimelineEntry] = (),
    unseen: list[Alert] | None = None,
) -> None:
    """Timeline entries for alerts that fired or resolved, then each incident's policy.

    `unseen` alerts were first heard of resolved: each gets both entries, and the incident
    they joined its policy, but they do not send it back to investigating."""
    unseen = unseen or []
    entries = [*extra_entries]
    entries += _alert_entries(
        [*fired, *unseen], kind=EntryKind.ALERT_FIRED, verb="fired", actor=actor, now=now
    )
    entries += _alert_entries(
        [*resolved, *unseen],
        kind=EntryKind.ALERT_RESOLVED,
        verb="resolved",
        actor=actor,
        now=now,
        reason=resolved_reason,
    )
    TimelineEntry.objects.bulk_create(entries)

    refired_ids = {a.incident_id for a in fired if a.incident_id} - {opened.pk if opened else None}
    touched = refired_ids | {a.incident_id for a in [*resolved, *unseen] if a.incident_id}
    if not touched:
        return
    for incident in Incident.objects.select_related("integration").filter(
        pk__in=touched, status__in=OPEN_STATUSES
    ):
        still_firing = incident.alerts.filter(status=AlertStatus.FIRING).exists()
        if incident.pk in refired_ids and incident.status == Status.MONITORING and still_firing:
            incident_set_status(
                incident=incident,
                status=Status.INVESTIGATING,
                actor=actor,
                note="Alerts are firing again.",
                at=now,
            )
        elif not still_firing:
            policy = incident.integration.resolve_policy if incident.integration else ""
            note = "Every alert has resolved."
            if policy == ResolvePolicy.RESOLVED:
                incident_resolve(incident=incident, actor=actor, note=note, at=now)
            elif incident.status != Status.MONITORING:
                incident_set_status(
                    incident=incident, status=Status.MONITORING, actor=actor, note=note, at=now
                )


def _start_earlier_if_needed(
    incident: Incident, joining: list[Alert], *, actor: Actor, now: datetime
) -> None:
    """An incident starts when its earliest alert started, also one that joins later."""
    earliest = min(a.starts_at for a in joining)
    if earliest >= incident.started_at:
        return
    try:
        incident_correct_time(
            incident=incident,
            field="started_at",
            value=earliest,
            reason=f"an alert that started earlier joined ({joining[0].name})",
            actor=actor,
            at=now,
        )
    except IncidentError:
        logger.info("%s: kept started_at; an alert's start is implausible", incident.reference)


def _raise_severity_if_needed(
    incident: Incident, fired: list[Alert], *, actor: Actor, now: datetime
) -> None:
    """An alert joining with a more severe mapping raises the incident's severity (as an
    urgent alert upgrades a low-urgency incident); joining never lowers it, and alerts
    already in the incident firing again do not undo a person's choice."""
    integration = incident.integration
    joining = [a for a in fired if a.incident_id != incident.pk]
    if integration is None or not joining:
        return
    worst = min(joining, key=lambda a: integration.severity_for(a.labels))
    severity = integration.severity_for(worst.labels)
    if severity >= incident.severity:  # SEV1 < SEV2 < ...: a higher name is less severe
        return
    label = integration.severity_label
    incident_set_severity(
        incident=incident,
        severity=severity,
        actor=actor,
        at=now,
        reason=f"{worst.name} joined with {label}={worst.labels.get(label, '')}",
    )


def _open_unseen_incident(
    *,
    integration: Integration,
    notification: alertmanager.Notification,
    group_hash: str,
    alerts: list[Alert],
    delivery: Delivery,
    previous: Incident | None,
    actor: Actor,
) -> tuple[Incident, list[TimelineEntry]]:
    """A resolved incident for alerts Keel first heard of when they resolved (their firing
    notification was lost on the way, which Alertmanager does not retry once the group has
    resolved): the history and the metrics stay complete, and nobody is paged."""
    started = min(a.starts_at for a in alerts)
    ended = max(max(a.ends_at or a.starts_at for a in alerts), started)
    incident = Incident.objects.create(
        number=next_incident_number(),
        title=alertmanager.incident_title(notification),
        summary=notification.common_annotations.get("description", ""),
        severity=min(integration.severity_for(a.labels) for a in alerts),
        kind=Kind.ALERT,
        status=Status.RESOLVED,
        started_at=started,
        detected_at=delivery.received_at,
        resolved_at=ended,
        integration=integration,
        group_key=notification.group_key,
        group_hash=group_hash,
        previous=previous,
    )
    services, cut = _services_for(integration, alerts)
    if services:
        incident.services.add(*services)
    count = f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    text = (
        f"Opened from {count} that Keel first heard of when {'they' if len(alerts) != 1 else 'it'}"
        " resolved (the firing notification never arrived); nobody was paged"
    )
    if previous is not None:
        text += f"; this group's previous incident was {previous.reference}"
    entries = [
        TimelineEntry(
            incident=incident,
            kind=EntryKind.OPENED,
            at=delivery.received_at,
            text=text + "." + _cut_note(cut),
            data={
                "delivery": delivery.pk,
                "group_labels": notification.group_labels,
                "truncated_alerts": notification.truncated_alerts,
                "previous": previous.number if previous else None,
                "unseen_firing": True,
                **({"services_cut": cut} if cut else {}),
            },
            **actor.entry_fields(),
        ),
        TimelineEntry(
            incident=incident,
            kind=EntryKind.RESOLVED,
            at=delivery.received_at,
            text="Every alert had resolved before Keel heard of it.",
            data={"from": None, "to": Status.RESOLVED},
            **actor.entry_fields(),
        ),
    ]
    incident_changed_on_commit(incident.pk, "resolved")
    return incident, entries


def _group_incident(integration: Integration, ghash: str) -> Incident | None:
    """The group's open incident if there is one, else its latest (the new one's previous)."""
    return (
        Incident.objects.select_for_update()
        .filter(integration=integration, group_hash=ghash)
        .order_by(Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1)), "-number")
        .first()
    )


def _apply_notification(
    delivery: Delivery, notification: alertmanager.Notification, now: datetime
) -> dict:
    """Apply one delivery's alerts (the caller holds the group lock)."""
    integration = delivery.integration
    actor = Actor.system(integration)
    ghash = alertmanager.group_hash(notification.group_key)
    matched = alert_instances.match(
        integration=integration,
        parsed=notification.alerts,
        group_hash=ghash,
        received_at=delivery.received_at,
        now=now,
    )
    latest = _group_incident(integration, ghash)
    incident = latest if latest is not None and latest.is_open else None
    fired, unseen = matched.fired, matched.unseen_resolved

    opened = None
    extra_entries: list[TimelineEntry] = []
    if incident is None and fired:
        incident, opened_entry = _open_incident(
            integration=integration,
            notification=notification,
            group_hash=ghash,
            firing=fired,
            delivery=delivery,
            previous=latest,
            actor=actor,
        )
        opened = incident
        extra_entries.append(opened_entry)
        incident_changed_on_commit(incident.pk, "opened")
    elif incident is not None and (fired or matched.started_earlier or unseen):
        _start_earlier_if_needed(
            incident, [*fired, *matched.started_earlier, *unseen], actor=actor, now=now
        )
        if fired:
            _raise_severity_if_needed(incident, fired, actor=actor, now=now)
    joining = {id(row) for row in [*fired, *unseen]}
    if incident is not None:
        for row in matched.rows:
            if row.incident_id is None or id(row) in joining:
                row.incident = incident
    elif unseen:
        # Only resolves, of alerts never seen firing, and no open incident to join.
        unseen_incident, entries = _open_unseen_incident(
            integration=integration,
            notification=notification,
            group_hash=ghash,
            alerts=unseen,
            delivery=delivery,
            previous=latest,
            actor=actor,
        )
        extra_entries += entries
        for row in matched.rows:
            if row.incident_id is None:
                row.incident = unseen_incident
        opened = unseen_incident
    alert_instances.save(matched)
    _record_alert_changes(
        fired=fired,
        resolved=matched.resolved,
        unseen=unseen,
        actor=actor,
        now=now,
        opened=opened,
        extra_entries=extra_entries,
    )
    result_incident = incident or opened
    return {
        "alerts": len(notification.alerts),
        "new": len(matched.new),
        "fired": len(fired),
        "resolved": len(matched.resolved),
        "resolved_unseen": len(unseen),
        "truncated_alerts": notification.truncated_alerts,
        "incident": result_incident.number if result_incident else None,
        "opened": opened is not None,
    }


# A group's unprocessed deliveries processed ahead of a later one, at most, per call.
EARLIER_PER_DELIVERY = 100


def _process_locked(delivery: Delivery, notification: alertmanager.Notification, now: datetime):
    """Process one locked delivery inside a savepoint; a failure marks it failed."""
    delivery.attempts += 1
    try:
        with transaction.atomic():
            delivery.outcome = _apply_notification(delivery, notification, now)
    except (OperationalError, InterfaceError, IntegrityError):
        raise  # may pass: the whole task retries
    except Exception as exc:
        logger.exception("delivery %s failed", delivery.pk)
        delivery.state = DeliveryState.FAILED
        delivery.error = f"{type(exc).__name__}: {exc}"[:4000]
    else:
        delivery.state = DeliveryState.PROCESSED
        delivery.error = ""
    delivery.processed_at = now
    delivery.save(update_fields=["state", "attempts", "outcome", "error", "processed_at"])


def _lock_pending(head: Delivery, ghash: str) -> list[Delivery]:
    """Lock this delivery and the group's deliveries that arrived before it and still wait
    (the broker was down, or their task is behind), in arrival order, this one last.

    of=("self",): lock the delivery rows only. Locking the joined integration row too would
    block every webhook INSERT (its foreign-key check) and every other worker of that
    integration until this transaction ends."""
    earlier = (
        Q(integration_id=head.integration_id, group_hash=ghash)
        & (Q(received_at__lt=head.received_at) | Q(received_at=head.received_at, pk__lt=head.pk))
        & (
            Q(state=DeliveryState.RECEIVED)
            | Q(state=DeliveryState.FAILED, attempts__lt=MAX_ATTEMPTS)
        )
    )
    rows = list(
        Delivery.objects.select_for_update(of=("self",))
        .select_related("integration")
        .filter(earlier | Q(pk=head.pk))
        .order_by("received_at", "pk")[: EARLIER_PER_DELIVERY + 1]
    )
    if rows and rows[-1].pk != head.pk:  # more waiting than one call takes: this one too
        rows.append(
            Delivery.objects.select_for_update(of=("self",))
            .select_related("integration")
            .get(pk=head.pk)
        )
    return rows


def _record_database_error(delivery_id: int, exc: Exception, now: datetime) -> None:
    """Count an attempt that a database error ended (the task retries; after the last one,
    the delivery shows as failed to admins instead of waiting unseen)."""
    try:
        Delivery.objects.filter(pk=delivery_id).exclude(state=DeliveryState.PROCESSED).update(
            state=DeliveryState.FAILED,
            attempts=F("attempts") + 1,
            error=f"{type(exc).__name__}: {exc}"[:4000],
            processed_at=now,
        )
    except Exception:  # the database itself is away; the sweep comes back to it
        logger.warning("could not record the failed attempt of delivery %s", delivery_id)


def delivery_process(*, delivery_id: int, at: datetime | None = None) -> Delivery | None:
    """Group a stored delivery's alerts into incidents; a processed delivery is left alone.

    The group's earlier deliveries that still wait are processed first. Database errors
    that may pass (lost connection, deadlock) propagate so the task can retry; anything
    else marks the delivery failed with the error, for the sweep or an admin to replay.
    """
    now = at or timezone.now()
    try:
        with transaction.atomic():
            head = Delivery.objects.select_related("integration").filter(pk=delivery_id).first()
            if head is None or head.state == DeliveryState.PROCESSED:
                return head
            try:
                notification = alertmanager.parse(head.body)
            except alertmanager.PayloadError as exc:
                Delivery.objects.filter(pk=delivery_id).update(
                    state=DeliveryState.FAILED,
                    error=str(exc),
                    attempts=MAX_ATTEMPTS,  # the same body will never parse
                    processed_at=now,
                )
                return Delivery.objects.filter(pk=delivery_id).first()
            ghash = alertmanager.group_hash(notification.group_key)
            # The group lock before any delivery's row lock, in every worker: whoever holds
            # the group may lock all of its deliveries without waiting on another worker.
            _lock_group(head.integration_id, ghash)
            # A group's news applies in arrival order: its earlier deliveries that still
            # wait go first, so a resolve never turns its firing notification into older
            # news.
            pending = _lock_pending(head, ghash)
            if not pending:
                return None
            *earlier, delivery = pending
            for other in earlier:
                try:
                    parsed = alertmanager.parse(other.body)
                except alertmanager.PayloadError:
                    continue  # its own task records why
                _process_locked(other, parsed, now)
            if delivery.state == DeliveryState.PROCESSED:
                return delivery
            _process_locked(delivery, notification, now)
            return delivery
    except (OperationalError, InterfaceError, IntegrityError) as exc:
        _record_database_error(delivery_id, exc, now)
        raise  # may pass (lost connection, deadlock, a concurrent reopen): the task retries


@transaction.atomic
def delivery_replay(*, delivery: Delivery, actor: Actor) -> Delivery:
    """Process a failed delivery again (after a fix, or once its cause has passed)."""
    actor.require(Role.ADMIN)
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state == DeliveryState.PROCESSED:
        raise IncidentError(f"Delivery {delivery.pk} was processed already; nothing to replay.")
    delivery.state = DeliveryState.RECEIVED
    delivery.attempts = 0
    delivery.error = ""
    delivery.save(update_fields=["state", "attempts", "error"])
    transaction.on_commit(lambda: enqueue_delivery(delivery.pk))
    return delivery


@transaction.atomic
def deliveries_replay_failed(*, integration: Integration, actor: Actor) -> int:
    """Process again every delivery of an integration that failed after its retries."""
    actor.require(Role.ADMIN)
    ids = list(
        Delivery.objects.select_for_update()
        .filter(integration=integration, state=DeliveryState.FAILED, attempts__gte=MAX_ATTEMPTS)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)
    )
    Delivery.objects.filter(pk__in=ids).update(state=DeliveryState.RECEIVED, attempts=0, error="")
    transaction.on_commit(lambda: [enqueue_delivery(pk) for pk in ids])
    return len(ids)


def deliveries_requeue(*, at: datetime | None = None, limit: int = 5000) -> int:
    """Enqueue deliveries left unprocessed (broker down, worker lost) or failed too few times."""
    cutoff = (at or timezone.now()) - timedelta(seconds=settings.KEEL_REQUEUE_AFTER_SECONDS)
    ids = list(
        Delivery.objects.filter(
            Q(state=DeliveryState.RECEIVED)
            | Q(state=DeliveryState.FAILED, attempts__lt=MAX_ATTEMPTS),
            received_at__lt=cutoff,
        )
        .order_by("received_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(enqueue_delivery(pk) for pk in ids)


def alerts_resolve_quiet(*, at: datetime | None = None) -> int:
    """Resolve firing alerts that have had no news for their integration's quiet period.

    Alertmanager may never send a resolve whose firing notification failed; this closes
    such alerts. Returns how many were resolved.
    """
    now = at or timezone.now()
    total = 0
    for integration in Integration.objects.filter(enabled=True, quiet_period__isnull=False):
        assert integration.quiet_period is not None
        cutoff = now - integration.quiet_period
        stale = Alert.objects.filter(
            integration=integration, status=AlertStatus.FIRING, last_seen_at__lt=cutoff
        )
        for ghash in stale.order_by().values_list("group_hash", flat=True).distinct():
            with transaction.atomic():
                _lock_group(integration.pk, ghash)
                rows = list(stale.filter(group_hash=ghash).select_for_update())
                for row in rows:
                    row.status = AlertStatus.RESOLVED
                    row.ends_at = now
                Alert.objects.bulk_update(rows, ["status", "ends_at"])
                quiet = integration.quiet_period
                _record_alert_changes(
                    fired=[],
                    resolved=rows,
                    actor=Actor.system(integration),
                    now=now,
                    resolved_reason=f"no news for {quiet}; resolved by the quiet period",
                )
                total += len(rows)
    return total
