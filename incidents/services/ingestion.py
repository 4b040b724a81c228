"""Alert grouping: a delivery's alerts into incidents, and alerts gone quiet resolved.

Deliveries themselves (stored raw, processed, retried, replayed) are in deliveries.py.
"""

import hashlib
import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Case, Value, When
from django.utils import timezone

from catalog.models import Service
from catalog.services import services_get_or_discover
from core.actors import Actor
from core.errors import KeelError

from .. import alertmanager, flows
from ..choices import (
    OPEN_STATUSES,
    AlertStatus,
    EntryKind,
    Status,
)
from ..flows import incident_changed_on_commit
from ..models import Alert, Delivery, Incident, Integration, TimelineEntry
from . import alert_instances
from .alert_changes import record_alert_changes
from .incidents import incident_open_from_alerts, incident_set_severity
from .times import incident_correct_time

logger = logging.getLogger(__name__)


def lock_group(integration_id: int, group_hash: str) -> None:
    """Serialize the processing of one alert group across workers (PostgreSQL advisory lock).

    SQLite serializes every writing transaction already (BEGIN IMMEDIATE).
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{integration_id}:{group_hash}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


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


def _severity_for(integration: Integration, labels: dict[str, str]) -> str:
    """An alert's severity: an upper app's grouping may set it (Keel's own burn alerts have
    the severity Keel's evaluation gives the same burn); else the integration's mapping."""
    return flows.alert_severity(labels) or integration.severity_for(labels)


def _create_group_incident(
    *,
    integration: Integration,
    notification: alertmanager.Notification,
    group_hash: str,
    alerts: list[Alert],
    delivery: Delivery,
    previous: Incident | None,
    **state: object,
) -> tuple[Incident, list[str]]:
    """The group's new incident from `alerts`, with its services; returns it and the
    service label values cut to fit. The severity is the worst of the alerts' (SEV1 < SEV2
    < ...), by the same rule as a joining alert's."""
    services, cut = _services_for(integration, alerts)
    incident = incident_open_from_alerts(
        integration=integration,
        title=alertmanager.incident_title(notification),
        summary=notification.common_annotations.get("description", ""),
        severity=min(_severity_for(integration, a.labels) for a in alerts),
        started_at=min(a.starts_at for a in alerts),
        detected_at=delivery.received_at,
        group_key=notification.group_key,
        group_hash=group_hash,
        previous=previous,
        services=services,
        **state,
    )
    return incident, cut


def _opened_entry(
    incident: Incident,
    text: str,
    *,
    notification: alertmanager.Notification,
    delivery: Delivery,
    previous: Incident | None,
    cut: list[str],
    actor: Actor,
    **data: object,
) -> TimelineEntry:
    """The unsaved "opened" entry of a group's new incident: `text`, then the group's
    previous incident, the alerts Alertmanager left out and any service names cut to fit."""
    if previous is not None:
        text += f"; this group's previous incident was {previous.reference}"
    if notification.truncated_alerts:
        text += f"; Alertmanager left out {notification.truncated_alerts} more (max_alerts)"
    return TimelineEntry(
        incident=incident,
        kind=EntryKind.OPENED,
        at=delivery.received_at,
        text=text + "." + _cut_note(cut),
        data={
            "delivery": delivery.pk,
            "group_labels": notification.group_labels,
            "truncated_alerts": notification.truncated_alerts,
            "previous": previous.number if previous else None,
            **data,
            **({"services_cut": cut} if cut else {}),
        },
        **actor.entry_fields(),
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
    # The group lock makes a concurrent open of this group impossible; a human reopening
    # the group's last incident meanwhile trips the one-open-incident constraint, and the
    # IntegrityError sends the delivery back for a retry, which then joins that incident.
    incident, cut = _create_group_incident(
        integration=integration,
        notification=notification,
        group_hash=group_hash,
        alerts=firing,
        delivery=delivery,
        previous=previous,
    )
    text = f"Opened from {len(firing)} firing alert{'s' if len(firing) != 1 else ''}"
    entry = _opened_entry(
        incident,
        text,
        notification=notification,
        delivery=delivery,
        previous=previous,
        cut=cut,
        actor=actor,
    )
    return incident, entry


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
    except KeelError:
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
    worst = min(joining, key=lambda a: _severity_for(integration, a.labels))
    severity = _severity_for(integration, worst.labels)
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
    incident, cut = _create_group_incident(
        integration=integration,
        notification=notification,
        group_hash=group_hash,
        alerts=alerts,
        delivery=delivery,
        previous=previous,
        status=Status.RESOLVED,
        resolved_at=ended,
    )
    count = f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}"
    text = (
        f"Opened from {count} that Keel first heard of when {'they' if len(alerts) != 1 else 'it'}"
        " resolved (the firing notification never arrived); nobody was paged"
    )
    entries = [
        _opened_entry(
            incident,
            text,
            notification=notification,
            delivery=delivery,
            previous=previous,
            cut=cut,
            actor=actor,
            unseen_firing=True,
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
    incident_changed_on_commit(incident.pk, flows.RESOLVED)
    return incident, entries


def _group_incident(integration: Integration, ghash: str) -> Incident | None:
    """The group's open incident if there is one, else its latest (the new one's previous)."""
    return (
        Incident.objects.select_for_update()
        .filter(integration=integration, group_hash=ghash)
        .order_by(Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1)), "-number")
        .first()
    )


def apply_notification(
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

    # Some alerts are recorded, never an incident (not paged), and some join an incident an
    # upper app names (Keel's ticket- and page-level burn alerts): the grouping hook decides.
    tickets = {id(row) for row in matched.rows if flows.alert_recorded_only(row.labels)}
    fired = [row for row in fired if id(row) not in tickets]
    unseen = [row for row in unseen if id(row) not in tickets]
    if incident is None and fired:
        incident = flows.incident_to_join(labels=[row.labels for row in fired])
    opened = None
    extra_entries: list[TimelineEntry] = []
    if incident is None and fired:
        incident, opened_entry = _open_incident(
            integration=integration,
            notification=notification,
            group_hash=ghash,
            firing=fired,
            delivery=delivery,
            previous=flows.incident_previous(
                labels=[row.labels for row in fired], group_previous=latest
            ),
            actor=actor,
        )
        opened = incident
        extra_entries.append(opened_entry)
        incident_changed_on_commit(incident.pk, flows.OPENED)
    elif incident is not None and (fired or matched.started_earlier or unseen):
        _start_earlier_if_needed(
            incident, [*fired, *matched.started_earlier, *unseen], actor=actor, now=now
        )
        if fired:
            _raise_severity_if_needed(incident, fired, actor=actor, now=now)
    joining = {id(row) for row in [*fired, *unseen]}
    if incident is not None:
        for row in matched.rows:
            if (row.incident_id is None and id(row) not in tickets) or id(row) in joining:
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
            if row.incident_id is None and id(row) not in tickets:
                row.incident = unseen_incident
        opened = unseen_incident
    alert_instances.save(matched)
    record_alert_changes(
        fired=fired,
        resolved=matched.resolved,
        unseen=unseen,
        actor=actor,
        now=now,
        opened=opened,
        extra_entries=extra_entries,
        integration=integration,
    )
    if incident is not None and fired:
        flows.alerts_grouped(incident_id=incident.pk, labels=[row.labels for row in fired])
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
                lock_group(integration.pk, ghash)
                rows = list(stale.filter(group_hash=ghash).select_for_update())
                for row in rows:
                    row.status = AlertStatus.RESOLVED
                    row.ends_at = now
                Alert.objects.bulk_update(rows, ["status", "ends_at"])
                quiet = integration.quiet_period
                record_alert_changes(
                    fired=[],
                    resolved=rows,
                    actor=Actor.system(integration),
                    now=now,
                    resolved_reason=f"no news for {quiet}; resolved by the quiet period",
                )
                total += len(rows)
    return total
