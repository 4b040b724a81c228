"""Ingestion through a real Celery worker on Redis: webhook in, incident out."""

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.test import Client
from django.utils import timezone

from config.celery import app as celery_app
from incidents.choices import DeliveryState, EntryKind, Status
from incidents.models import Alert, Delivery, Incident
from incidents.tasks import sweep
from tests.incidents import payloads

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs REDIS_URL: the broker of the real worker"
)

DEADLINE_SECONDS = 20


@pytest.fixture
def worker(transactional_db) -> Iterator[None]:
    """A Celery worker thread consuming from Redis; stopped before the tables are flushed."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        celery_app.control.purge()  # leftovers of an interrupted run must not leak in
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            yield
    finally:
        celery_app.conf.task_always_eager = eager


def wait_for(condition: Callable[[], bool], what: str) -> None:
    """Poll the database until condition() holds; fail with `what` after the deadline."""
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {DEADLINE_SECONDS} s: {what}")
        time.sleep(0.1)


def post_webhook(token: str, body: bytes):
    return Client().post(
        "/hooks/alertmanager/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_USER_AGENT="Alertmanager/0.25.0",
    )


def _group_body() -> bytes:
    return payloads.body(
        payloads.notification(
            [
                payloads.alert(fingerprint="aaaa00000000000a"),
                payloads.alert(
                    fingerprint="bbbb00000000000b",
                    starts_at="2026-11-21T16:20:00.568Z",
                    severity="page",
                ),
            ]
        )
    )


@pytest.mark.timeout(120)
def test_a_webhook_becomes_an_incident_through_the_worker(worker, integration_and_token):
    integration, token = integration_and_token

    response = post_webhook(token, _group_body())

    assert response.status_code == 200
    delivery_id = response.json()["delivery"]
    wait_for(
        lambda: Delivery.objects.filter(pk=delivery_id, state=DeliveryState.PROCESSED).exists(),
        "the delivery is processed",
    )
    delivery = Delivery.objects.get(pk=delivery_id)
    assert delivery.user_agent == "Alertmanager/0.25.0"
    assert delivery.outcome["opened"] is True
    incident = Incident.objects.get()
    assert incident.integration == integration
    assert incident.number == delivery.outcome["incident"]
    assert incident.title == "5xx rate above threshold"
    assert incident.severity == "SEV1"
    assert incident.status == Status.INVESTIGATING
    assert incident.alerts.count() == 2
    assert incident.timeline.filter(kind=EntryKind.OPENED).count() == 1


@pytest.mark.timeout(120)
def test_the_same_webhook_posted_three_times_opens_one_incident(worker, integration_and_token):
    _, token = integration_and_token

    ids = [post_webhook(token, _group_body()).json()["delivery"] for _ in range(3)]

    wait_for(
        lambda: Delivery.objects.filter(pk__in=ids, state=DeliveryState.PROCESSED).count() == 3,
        "all three deliveries are processed",
    )
    assert Incident.objects.count() == 1
    assert set(Alert.objects.values_list("times_seen", flat=True)) == {3}


@pytest.mark.timeout(120)
def test_resolving_through_the_worker_moves_the_incident_to_monitoring(
    worker, integration_and_token
):
    _, token = integration_and_token
    first = post_webhook(token, _group_body()).json()["delivery"]
    wait_for(
        lambda: Delivery.objects.filter(pk=first, state=DeliveryState.PROCESSED).exists(),
        "the firing delivery is processed",
    )
    resolved = payloads.notification(
        [
            payloads.alert(
                fingerprint="aaaa00000000000a",
                status="resolved",
                ends_at=payloads.ts(timezone.now() - timedelta(seconds=5)),
            ),
            payloads.alert(
                fingerprint="bbbb00000000000b",
                starts_at="2026-11-21T16:20:00.568Z",
                severity="page",
                status="resolved",
                ends_at=payloads.ts(timezone.now() - timedelta(seconds=5)),
            ),
        ]
    )

    assert post_webhook(token, payloads.body(resolved)).status_code == 200

    wait_for(
        lambda: Incident.objects.filter(status=Status.MONITORING).exists(),
        "the incident moves to monitoring",
    )
    assert set(Alert.objects.values_list("status", flat=True)) == {"resolved"}


@pytest.mark.timeout(120)
def test_the_sweep_processes_a_delivery_that_was_never_enqueued(worker, integration):
    body = _group_body()
    left_behind = Delivery.objects.create(
        integration=integration,
        received_at=timezone.now() - timedelta(seconds=settings.KEEL_REQUEUE_AFTER_SECONDS + 3600),
        body=body.decode(),
        body_bytes=len(body),
    )
    assert left_behind.state == DeliveryState.RECEIVED

    sweep.delay()

    wait_for(
        lambda: Delivery.objects.filter(pk=left_behind.pk, state=DeliveryState.PROCESSED).exists(),
        "the sweep re-enqueues the delivery and a worker processes it",
    )
    assert Incident.objects.get().alerts.count() == 2
