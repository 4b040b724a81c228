"""Concurrent processing against PostgreSQL: duplicates racing each other open one incident."""

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

from incidents import alertmanager
from incidents.choices import RECORDED_KINDS, DeliveryState, EntryKind, Status
from incidents.models import Alert, Delivery, Incident, TimelineEntry
from incidents.services import delivery_process
from tests.incidents import payloads

N = 8
T0 = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)


def _store(integration, body: bytes, received_at: datetime = T0) -> Delivery:
    # Stored without enqueueing, as if the broker were slow: the threads below are the workers.
    return Delivery.objects.create(
        integration=integration,
        received_at=received_at,
        body=body.decode(),
        body_bytes=len(body),
        group_hash=alertmanager.group_hash(alertmanager.parse(body).group_key),
    )


def _run_at_once(work: Callable[[int], Any], count: int = N) -> list[BaseException]:
    """Run work(i) in `count` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as error:  # reported to the test below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck"
    return errors


def _two_firing() -> list[dict[str, Any]]:
    return [
        payloads.alert(fingerprint="aaaa00000000000a", starts_at="2026-11-21T16:25:35.169831Z"),
        payloads.alert(fingerprint="bbbb00000000000b", starts_at="2026-11-21T16:20:00Z"),
    ]


@pytest.mark.timeout(180)
def test_the_same_new_group_delivered_to_eight_workers_at_once_opens_one_incident(
    transactional_db, integration
):
    body = payloads.body(payloads.notification(_two_firing()))
    ids = [_store(integration, body).pk for _ in range(N)]

    errors = _run_at_once(lambda i: delivery_process(delivery_id=ids[i], at=T0))

    assert errors == []
    incident = Incident.objects.get()
    assert Alert.objects.count() == 2
    assert set(incident.alerts.values_list("times_seen", flat=True)) == {N}
    assert TimelineEntry.objects.filter(kind=EntryKind.OPENED).count() == 1
    assert TimelineEntry.objects.filter(kind=EntryKind.ALERT_FIRED).count() == 2
    deliveries = Delivery.objects.all()
    assert {d.state for d in deliveries} == {DeliveryState.PROCESSED}
    assert sum(d.outcome["opened"] for d in deliveries) == 1
    assert {d.outcome["incident"] for d in deliveries} == {incident.number}


@pytest.mark.timeout(180)
def test_eight_new_groups_at_once_get_eight_incidents_with_distinct_numbers(
    transactional_db, integration
):
    ids = [
        _store(
            integration,
            payloads.body(
                payloads.notification(
                    [payloads.alert(fingerprint=f"{i:016x}", alertname=f"Alert{i}")],
                    group_labels={"alertname": f"Alert{i}"},
                )
            ),
        ).pk
        for i in range(N)
    ]

    errors = _run_at_once(lambda i: delivery_process(delivery_id=ids[i], at=T0))

    assert errors == []
    numbers = list(Incident.objects.values_list("number", flat=True))
    assert len(numbers) == N
    assert len(set(numbers)) == N
    assert sorted(numbers) == list(range(min(numbers), min(numbers) + N))


@pytest.mark.timeout(180)
def test_one_delivery_processed_by_eight_workers_at_once_counts_once(transactional_db, integration):
    delivery = _store(integration, payloads.body(payloads.notification(_two_firing())))

    errors = _run_at_once(lambda i: delivery_process(delivery_id=delivery.pk, at=T0))

    assert errors == []
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PROCESSED
    assert delivery.attempts == 1
    assert Incident.objects.count() == 1
    assert set(Alert.objects.values_list("times_seen", flat=True)) == {1}
    # What the delivery wrote (paging adds its own entry once its task has run).
    assert TimelineEntry.objects.exclude(kind__in=RECORDED_KINDS).count() == 3


@pytest.mark.timeout(180)
def test_firing_and_resolving_deliveries_racing_leave_a_consistent_incident(
    transactional_db, integration
):
    # Half the workers carry the firing body, half the resolving one, all for the same
    # group: whatever the order, one incident, two alerts, and no alert counted twice.
    firing = payloads.body(payloads.notification(_two_firing()))
    resolving = payloads.body(
        payloads.notification(
            [
                payloads.alert(
                    fingerprint="aaaa00000000000a",
                    starts_at="2026-11-21T16:25:35.169831Z",
                    status="resolved",
                    ends_at="2026-11-21T16:40:00Z",
                ),
                payloads.alert(
                    fingerprint="bbbb00000000000b",
                    starts_at="2026-11-21T16:20:00Z",
                    status="resolved",
                    ends_at="2026-11-21T16:41:00Z",
                ),
            ]
        )
    )
    # The firing copies were received at 16:30, the resolving ones at 16:45, after the
    # alerts ended; workers pick them up in any order.
    ids = [
        _store(integration, firing, received_at=T0).pk
        if i % 2
        else _store(integration, resolving, received_at=T0 + timedelta(minutes=15)).pk
        for i in range(N)
    ]

    errors = _run_at_once(
        lambda i: delivery_process(delivery_id=ids[i], at=T0 + timedelta(minutes=16))
    )

    assert errors == []
    assert Alert.objects.count() == 2
    assert set(Alert.objects.values_list("times_seen", flat=True)) == {N}
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.PROCESSED}
    # Whichever worker goes first processes the group's deliveries in arrival order: the
    # firing copies open the one incident, the resolves move it to monitoring.
    assert TimelineEntry.objects.filter(kind=EntryKind.OPENED).count() == 1
    assert set(Incident.objects.values_list("status", flat=True)) == {Status.MONITORING}


@pytest.mark.timeout(60)
def test_webhooks_are_stored_while_a_worker_processes_a_delivery(
    transactional_db, integration, monkeypatch
):
    """A worker's transaction must not lock what the webhook's INSERT needs (the integration)."""
    from incidents.services import delivery_receive, ingestion

    inside, release = threading.Event(), threading.Event()
    real_lock_group = ingestion.lock_group

    def lock_group_and_wait(*args: Any) -> None:
        real_lock_group(*args)
        inside.set()
        release.wait(timeout=30)

    monkeypatch.setattr(ingestion, "lock_group", lock_group_and_wait)
    body = payloads.body(payloads.notification(_two_firing()))
    first = _store(integration, body)

    def process() -> None:
        try:
            delivery_process(delivery_id=first.pk, at=T0)
        finally:
            connection.close()

    worker = threading.Thread(target=process)
    worker.start()
    try:
        assert inside.wait(timeout=30), "the worker never reached the group lock"
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        # Would fail with "canceling statement due to lock timeout" if the worker held a
        # lock on the integration row.
        second = delivery_receive(integration_id=integration.pk, body=body, at=T0)
        # Stored. (Its in-process processing waited for the group lock the worker holds,
        # timed out, and counted its failed attempts for the sweep to retry.)
        assert Delivery.objects.filter(pk=second.pk).exclude(state=DeliveryState.PROCESSED).exists()
    finally:
        release.set()
        worker.join(timeout=30)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert Delivery.objects.get(pk=first.pk).state == DeliveryState.PROCESSED
