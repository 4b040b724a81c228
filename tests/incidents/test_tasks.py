"""Ingestion through a real Celery worker on Redis: webhook in, incident out."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from incidents.choices import DeliveryState, EntryKind, Status
from incidents.models import Alert, Delivery, Incident
from incidents.tasks import sweep
from tests.celery_worker import needs_redis, wait_for
from tests.incidents import payloads

pytestmark = needs_redis


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
