"""An alert is its fingerprint while it fires (services and migration, on PostgreSQL)."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from core.actors import Actor
from incidents.choices import AlertStatus, EntryKind, ResolvePolicy, Status
from incidents.models import Alert, Delivery, Incident
from incidents.services import delivery_process, delivery_receive, integration_create
from tests.incidents import payloads

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
FP = "7d2d332feada5c59"
MICRO = "2026-11-21T16:25:35.169831Z"  # what Alertmanager's webhook sends
MILLI = "2026-11-21T16:25:35.169Z"  # what its API shows, and relays send
SECOND = "2026-11-21T16:25:35Z"


def deliver(integration, alerts: list[dict[str, Any]], *, at: datetime) -> Delivery:
    body = payloads.body(payloads.notification(alerts))
    delivery = delivery_receive(integration_id=integration.pk, body=body, at=at)
    processed = delivery_process(delivery_id=delivery.pk, at=at)
    assert processed is not None
    return processed


def firing(starts_at: str, **kwargs: Any) -> dict[str, Any]:
    return payloads.alert(fingerprint=FP, starts_at=starts_at, **kwargs)


def resolved(starts_at: str, ends_at: str = "2026-11-21T16:45:00Z") -> dict[str, Any]:
    return payloads.alert(fingerprint=FP, starts_at=starts_at, status="resolved", ends_at=ends_at)


def test_a_repost_at_millisecond_precision_joins_the_firing_alert_and_the_resolve_ends_it(
    integration,
):
    deliver(integration, [firing(MICRO)], at=T0)
    deliver(integration, [firing(MILLI)], at=T0 + timedelta(minutes=1))
    deliver(integration, [firing(SECOND)], at=T0 + timedelta(minutes=2))

    alert = Alert.objects.get()  # one alert, not three
    assert alert.status == AlertStatus.FIRING
    assert alert.starts_at == datetime(2026, 11, 21, 16, 25, 35, tzinfo=UTC)  # the earliest
    assert alert.other_starts == [
        "2026-11-21T16:25:35.169000+00:00",
        "2026-11-21T16:25:35.169831+00:00",
    ]
    assert alert.times_seen == 3
    incident = Incident.objects.get()
    assert incident.timeline.filter(kind=EntryKind.ALERT_FIRED).count() == 1

    # Alertmanager's resolve carries its own (microsecond) start: it ends the one alert,
    # and the incident moves on.
    deliver(integration, [resolved(MICRO)], at=T0 + timedelta(minutes=20))

    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.ends_at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)
    incident.refresh_from_db()
    assert incident.status == Status.MONITORING


def test_a_restart_with_a_later_start_joins_and_keeps_the_earlier_start(integration):
    deliver(integration, [firing(MICRO)], at=T0)

    deliver(integration, [firing("2026-11-21T16:29:00Z")], at=T0 + timedelta(minutes=1))

    alert = Alert.objects.get()
    assert alert.starts_at == datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)
    assert alert.other_starts == ["2026-11-21T16:29:00+00:00"]
    assert Incident.objects.get().started_at == alert.starts_at


def test_a_resolve_with_another_start_resolves_the_firing_instance():
    integration, _ = integration_create(
        actor=Actor.system(), name="auto", resolve_policy=ResolvePolicy.RESOLVED
    )
    deliver(integration, [firing(MICRO)], at=T0)

    deliver(integration, [resolved(MILLI)], at=T0 + timedelta(minutes=20))

    alert = Alert.objects.get()
    assert alert.status == AlertStatus.RESOLVED
    assert Incident.objects.get().status == Status.RESOLVED


def test_a_new_instance_starts_only_after_the_previous_one_resolved(integration):
    deliver(integration, [firing(MICRO)], at=T0)
    deliver(integration, [resolved(MICRO)], at=T0 + timedelta(minutes=20))

    deliver(integration, [firing("2026-11-21T17:00:00.5Z")], at=T0 + timedelta(minutes=31))
    deliver(integration, [firing("2026-11-21T17:00:00Z")], at=T0 + timedelta(minutes=32))

    first, second = Alert.objects.order_by("starts_at")
    assert first.status == AlertStatus.RESOLVED
    assert first.starts_at == datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)
    assert second.status == AlertStatus.FIRING
    assert second.starts_at == datetime(2026, 11, 21, 17, 0, tzinfo=UTC)
    assert Incident.objects.get().status == Status.INVESTIGATING


def test_an_earlier_start_is_not_taken_where_the_previous_instance_lies(integration):
    deliver(integration, [firing(MICRO)], at=T0)
    deliver(integration, [resolved(MICRO)], at=T0 + timedelta(minutes=20))
    deliver(integration, [firing("2026-11-21T17:00:00Z")], at=T0 + timedelta(minutes=31))

    # A report starting inside the first instance's span joins the firing one, but does
    # not move its start into the first instance.
    deliver(integration, [firing("2026-11-21T16:40:00Z")], at=T0 + timedelta(minutes=5))

    first, second = Alert.objects.order_by("starts_at")
    assert (first.status, second.status) == (AlertStatus.RESOLVED, AlertStatus.FIRING)
    assert second.starts_at == datetime(2026, 11, 21, 17, 0, tzinfo=UTC)


def test_two_firing_copies_in_one_body_are_one_alert(integration):
    deliver(integration, [firing(MICRO), firing(MILLI)], at=T0)

    assert Alert.objects.count() == 1
    assert Incident.objects.get().timeline.filter(kind=EntryKind.ALERT_FIRED).count() == 1


def test_the_database_refuses_a_second_firing_instance_of_a_fingerprint(integration):
    deliver(integration, [firing(MICRO)], at=T0)
    alert = Alert.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(
            integration=integration,
            fingerprint=FP,
            starts_at=alert.starts_at + timedelta(seconds=1),
            status=AlertStatus.FIRING,
            labels=alert.labels,
            group_hash=alert.group_hash,
            first_seen_at=T0,
            last_seen_at=T0,
        )
    # Resolved instances of the fingerprint may be many.
    Alert.objects.create(
        integration=integration,
        fingerprint=FP,
        starts_at=alert.starts_at - timedelta(hours=1),
        ends_at=alert.starts_at - timedelta(minutes=30),
        status=AlertStatus.RESOLVED,
        labels=alert.labels,
        group_hash=alert.group_hash,
        first_seen_at=T0,
        last_seen_at=T0,
    )


# --- the migration that merges existing duplicates -----------------------------------------

BEFORE = [("incidents", "0008_incident_last_acknowledged")]
AFTER = [("incidents", "0009_alert_one_firing_per_fingerprint")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_merges_duplicate_firing_instances_without_losing_them():
    old = _migrate(BEFORE)
    Integration = old.get_model("incidents", "Integration")
    Incident = old.get_model("incidents", "Incident")
    Alert = old.get_model("incidents", "Alert")
    TimelineEntry = old.get_model("incidents", "TimelineEntry")
    integration = Integration.objects.create(
        name="am-old", token_prefix="old12345", token_digest="0" * 64
    )
    now = timezone.now()

    def make_incident(number: int):
        return Incident.objects.create(
            number=number,
            title=f"incident {number}",
            severity="SEV2",
            kind="alert",
            started_at=now,
            detected_at=now,
            integration=integration,
            group_hash=f"g{number}",
        )

    first, second = make_incident(9001), make_incident(9002)
    start = datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)

    def alert(starts_at, *, incident, seen: int, labels: dict, status="firing", ends_at=None):
        """An alert row as the old code stored them."""
        return Alert.objects.create(
            integration=integration,
            fingerprint=FP,
            starts_at=starts_at,
            ends_at=ends_at,
            status=status,
            labels=labels,
            group_hash=incident.group_hash,
            first_seen_at=now + timedelta(seconds=seen),
            last_seen_at=now + timedelta(seconds=seen),
            times_seen=seen,
            incident=incident,
        )

    alert(start, incident=first, seen=3, labels={"alertname": "Old"})
    kept = alert(
        start.replace(microsecond=169000), incident=first, seen=2, labels={"alertname": "A"}
    )
    alert(start + timedelta(minutes=2), incident=second, seen=5, labels={"alertname": "New"})
    earlier = alert(
        start - timedelta(hours=2),
        incident=first,
        seen=1,
        labels={"alertname": "Old"},
        status="resolved",
        ends_at=start - timedelta(hours=1),
    )
    timeline_before = TimelineEntry.objects.count()

    new = _migrate(AFTER)

    Alert = new.get_model("incidents", "Alert")
    TimelineEntry = new.get_model("incidents", "TimelineEntry")
    merged = Alert.objects.get(status="firing")
    assert merged.pk == kept.pk
    assert merged.starts_at == start.replace(microsecond=169000)  # the earliest start
    assert merged.other_starts == [
        start.isoformat(),
        (start + timedelta(minutes=2)).isoformat(),
    ]
    assert merged.times_seen == 3 + 2 + 5
    assert merged.labels == {"alertname": "New"}  # the latest seen
    assert merged.last_seen_at == now + timedelta(seconds=5)
    assert merged.first_seen_at == now + timedelta(seconds=2)
    assert merged.incident_id == first.pk
    assert Alert.objects.filter(pk=earlier.pk, status="resolved").exists()  # untouched
    # The incident that lost its copy says where the alert went.
    note = TimelineEntry.objects.get(incident_id=second.pk)
    assert note.kind == "note"
    assert "INC-9001" in note.text
    assert note.data["starts_at"] == (start + timedelta(minutes=2)).isoformat()
    assert TimelineEntry.objects.count() == timeline_before + 1
    _migrate(executor_leaf())


def executor_leaf():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
