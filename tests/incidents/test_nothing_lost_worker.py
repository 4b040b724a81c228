"""Nothing answered with 200 is lost, through a real Celery worker on Redis (and a real
gunicorn for chunked bodies): the broker down, values too long, faults that outlast the
retries, and an alert re-posted with another start."""

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from catalog.models import Service
from incidents import alertmanager
from incidents.choices import AlertStatus, DeliveryState, EntryKind, Status
from incidents.models import Alert, Delivery, Incident
from incidents.tasks import process_delivery
from tests.celery_worker import needs_redis, wait_for
from tests.incidents import payloads

pytestmark = [needs_redis, pytest.mark.timeout(180)]

FP = "aaaa00000000000a"
STARTS = "2026-11-21T16:25:35.169831Z"


def post_webhook(token: str, body: bytes):
    return Client().post(
        "/hooks/alertmanager/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def processed(delivery_id: int) -> bool:
    return Delivery.objects.filter(pk=delivery_id, state=DeliveryState.PROCESSED).exists()


def body(alerts, **kw) -> bytes:
    return payloads.body(payloads.notification(alerts, **kw))


def ended_just_now() -> str:
    return payloads.ts(timezone.now() - timedelta(seconds=1))


def test_a_firing_delivery_stored_while_the_broker_was_down_still_opens_its_incident(
    worker, integration_and_token, monkeypatch
):
    _, token = integration_and_token

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr(process_delivery, "delay", broker_down)
    stuck = post_webhook(token, body([payloads.alert(fingerprint=FP, starts_at=STARTS)]))
    assert stuck.status_code == 200  # stored; the sweep would enqueue it later
    monkeypatch.undo()

    resolve = post_webhook(
        token,
        body(
            [
                payloads.alert(
                    fingerprint=FP, starts_at=STARTS, status="resolved", ends_at=ended_just_now()
                )
            ]
        ),
    )

    assert resolve.status_code == 200
    wait_for(lambda: processed(resolve.json()["delivery"]), "the resolve is processed")
    assert processed(stuck.json()["delivery"])  # processed first, in arrival order
    incident = Incident.objects.get()  # before: no incident at all
    assert incident.status == Status.MONITORING
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert EntryKind.ALERT_FIRED in kinds and EntryKind.ALERT_RESOLVED in kinds
    assert Alert.objects.get().status == AlertStatus.RESOLVED


def test_a_resolve_whose_firing_never_arrived_records_a_resolved_incident(
    worker, integration_and_token
):
    _, token = integration_and_token
    resolved = payloads.alert(
        fingerprint=FP, starts_at=STARTS, status="resolved", ends_at=ended_just_now()
    )

    response = post_webhook(token, body([resolved]))

    wait_for(lambda: processed(response.json()["delivery"]), "the resolve is processed")
    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.alerts.get().status == AlertStatus.RESOLVED
    assert "nobody was paged" in incident.timeline.get(kind=EntryKind.OPENED).text


def test_a_service_label_over_200_characters_is_processed_by_the_worker(
    worker, integration_and_token
):
    _, token = integration_and_token
    long = "payments-" + "z" * 400

    response = post_webhook(token, body([payloads.alert(fingerprint=FP, service=long)]))

    assert response.status_code == 200
    delivery_id = response.json()["delivery"]
    wait_for(
        lambda: (
            Delivery.objects.filter(pk=delivery_id).exclude(state=DeliveryState.RECEIVED).exists()
        ),
        "the delivery is processed or failed",
    )
    delivery = Delivery.objects.get(pk=delivery_id)
    assert delivery.state == DeliveryState.PROCESSED, delivery.error  # before: value too long
    service = Incident.objects.get().services.get()
    assert service.name == long[:199] + "…"
    assert Alert.objects.get().labels["service"] == long
    assert Service.objects.filter(discovered=True).count() == 1


def test_a_millisecond_repost_through_the_worker_stays_one_alert_and_resolves(
    worker, integration_and_token
):
    _, token = integration_and_token
    ids = [
        post_webhook(token, body([payloads.alert(fingerprint=FP, starts_at=start)])).json()[
            "delivery"
        ]
        for start in (STARTS, "2026-11-21T16:25:35.169Z")
    ]
    wait_for(lambda: all(processed(i) for i in ids), "both firing deliveries are processed")
    assert Alert.objects.filter(status=AlertStatus.FIRING).count() == 1  # before: 2

    resolve = post_webhook(
        token,
        body(
            [
                payloads.alert(
                    fingerprint=FP, starts_at=STARTS, status="resolved", ends_at=ended_just_now()
                )
            ]
        ),
    ).json()["delivery"]

    wait_for(lambda: processed(resolve), "the resolve is processed")
    assert Incident.objects.get().status == Status.MONITORING  # before: stayed investigating


POISON = """
CREATE OR REPLACE FUNCTION keel_test_poison() RETURNS trigger AS $$
BEGIN
    IF NEW.labels->>'alertname' = 'Poison' THEN
        RAISE EXCEPTION 'injected fault' USING ERRCODE = 'data_exception';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER keel_test_poison BEFORE INSERT OR UPDATE ON incidents_alert
    FOR EACH ROW EXECUTE FUNCTION keel_test_poison();
"""
CURE = """
DROP TRIGGER IF EXISTS keel_test_poison ON incidents_alert;
DROP FUNCTION IF EXISTS keel_test_poison();
"""


@pytest.fixture
def poisoned_database(transactional_db) -> Iterator[None]:
    """PostgreSQL refuses to store alerts named Poison, until the fixture is undone."""
    with connection.cursor() as cursor:
        cursor.execute(POISON)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(CURE)


def test_a_delivery_failing_after_every_retry_is_shown_to_admins_and_replayed(
    worker, poisoned_database, integration_and_token, admin_user, settings
):
    integration, token = integration_and_token
    settings.KEEL_REQUEUE_AFTER_SECONDS = 0
    from incidents.services import deliveries_requeue

    response = post_webhook(token, body([payloads.alert(fingerprint=FP, alertname="Poison")]))
    assert response.status_code == 200
    delivery_id = response.json()["delivery"]
    for attempt in range(1, alertmanager_attempts() + 1):
        if attempt > 1:
            deliveries_requeue()  # what the sweep does every minute
        wait_for(
            lambda a=attempt: Delivery.objects.filter(pk=delivery_id, attempts__gte=a).exists(),
            f"attempt {attempt} is made",
        )
    delivery = Delivery.objects.get(pk=delivery_id)
    assert delivery.gave_up
    assert "injected fault" in delivery.error
    assert deliveries_requeue() == 0  # the sweep has given up on it

    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/").content.decode()
    assert "1 alert delivery failed after every retry" in page
    assert integration.name in page
    detail = admin.get(f"/integrations/{integration.pk}/").content.decode()
    assert "injected fault" in detail

    with connection.cursor() as cursor:
        cursor.execute(CURE)  # the cause is fixed
    admin.post(f"/integrations/{integration.pk}/deliveries/replay-failed/")

    wait_for(lambda: processed(delivery_id), "the replayed delivery is processed")
    assert Incident.objects.get().alerts.get().name == "Poison"
    assert "failed after every retry" not in admin.get("/").content.decode()


def alertmanager_attempts() -> int:
    from incidents.models.delivery import MAX_ATTEMPTS

    return MAX_ATTEMPTS


# --- chunked bodies through gunicorn --------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def gunicorn(worker, tmp_path: Path) -> Iterator[str]:
    """Keel under gunicorn on loopback, on the test database, enqueueing to the worker."""
    port = _free_port()
    database = django_settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "keel-test",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
            f"{database['NAME']}"
        ),
        "REDIS_URL": django_settings.REDIS_URL,
        "KEEL_TASKS_EAGER": "0",
        "KEEL_MAX_WEBHOOK_BYTES": "65536",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_DEBUG": "0",
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection_.request("GET", "/healthz")
                if connection_.getresponse().status == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text())
            time.sleep(0.2)
        yield f"127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def post_chunked(address: str, token: str, parts: list[bytes]) -> tuple[int, bytes]:
    """A real chunked request: Transfer-Encoding: chunked, no Content-Length."""
    host, port = address.split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=20)
    conn.request(
        "POST",
        "/hooks/alertmanager/",
        body=iter(parts),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    return response.status, response.read()


def test_a_chunked_body_posted_to_gunicorn_is_processed_by_the_worker(
    gunicorn, integration_and_token
):
    _, token = integration_and_token
    data = body([payloads.alert(fingerprint=FP)])

    status, answer = post_chunked(gunicorn, token, [data[:100], data[100:500], data[500:]])

    assert status == 200, answer  # before: 400, "The body is not valid JSON."
    wait_for(lambda: Incident.objects.exists(), "the worker opens the incident")
    assert Delivery.objects.get().body == data.decode()
    assert Incident.objects.get().alerts.get().fingerprint == FP


def test_a_chunked_body_past_the_limit_is_refused_by_gunicorn_with_413(
    gunicorn, integration_and_token
):
    _, token = integration_and_token
    big = body([payloads.alert(fingerprint=FP, annotations={"x": "y" * 70_000})])
    assert len(big) > 65536

    status, answer = post_chunked(
        gunicorn, token, [big[i : i + 8192] for i in range(0, len(big), 8192)]
    )

    assert status == 413, answer
    assert b"limit of 65536 bytes" in answer
    assert not Delivery.objects.exists()
    assert alertmanager.parse(big)  # the body itself was fine: only its size was refused
