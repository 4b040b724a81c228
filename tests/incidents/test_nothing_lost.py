"""Nothing answered with 200 is lost: processing order, bounded values, failed deliveries,
chunked bodies (services and views on PostgreSQL)."""

import io
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Service
from core.actors import Actor
from incidents import alertmanager
from incidents.choices import AlertStatus, DeliveryState, EntryKind, ResolvePolicy, Status
from incidents.hooks import alertmanager_webhook
from incidents.models import Alert, Delivery, Incident
from incidents.models.delivery import MAX_ATTEMPTS
from incidents.services import (
    deliveries_requeue,
    delivery_process,
    delivery_receive,
    ingestion,
    integration_create,
)
from tests.incidents import payloads

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
FP = "aaaa00000000000a"
STARTS = "2026-11-21T16:25:35.169831Z"
ENDS = "2026-11-21T16:45:00Z"


def store(integration, alerts: list[dict[str, Any]], *, at: datetime, **kw: Any) -> Delivery:
    """Store a body as the webhook does while the broker is down (nothing processes it)."""
    body = payloads.body(payloads.notification(alerts, **kw))
    return delivery_receive(integration_id=integration.pk, body=body, at=at)


def process(delivery: Delivery, at: datetime) -> Delivery:
    result = delivery_process(delivery_id=delivery.pk, at=at)
    assert result is not None
    return result


def firing(**kw: Any) -> dict[str, Any]:
    return payloads.alert(fingerprint=FP, starts_at=kw.pop("starts_at", STARTS), **kw)


def resolved(**kw: Any) -> dict[str, Any]:
    return payloads.alert(
        fingerprint=FP, starts_at=kw.pop("starts_at", STARTS), status="resolved", ends_at=ENDS
    )


def kinds(incident: Incident) -> list[str]:
    return list(incident.timeline.order_by("at", "id").values_list("kind", flat=True))


# --- Processing order ------------------------------------------------------------------------


def test_a_firing_delivery_stored_while_the_broker_was_down_is_processed_before_its_resolve(
    integration,
):
    # The broker was down when the firing notification came; its resolve is processed
    # first, and the sweep would pick the firing one up only later.
    stuck = store(integration, [firing()], at=T0)
    resolve = store(integration, [resolved()], at=T0 + timedelta(minutes=16))

    process(resolve, T0 + timedelta(minutes=16))

    incident = Incident.objects.get()
    assert kinds(incident) == [
        EntryKind.ALERT_FIRED,
        EntryKind.OPENED,
        EntryKind.ALERT_RESOLVED,
        EntryKind.STATUS,  # every alert resolved: monitoring, as in arrival order
    ]
    assert incident.status == Status.MONITORING
    assert Alert.objects.get().status == AlertStatus.RESOLVED
    stuck.refresh_from_db()
    assert stuck.state == DeliveryState.PROCESSED
    assert stuck.outcome["opened"] is True
    # The sweep, later, finds nothing left to do.
    assert deliveries_requeue(at=T0 + timedelta(hours=1)) == 0
    assert Incident.objects.count() == 1


def test_two_hundred_groups_whose_resolve_came_first_all_have_their_incident(integration):
    def group(i: int, alert: dict[str, Any], at: datetime) -> Delivery:
        alert["fingerprint"] = f"{i:016x}"
        return store(integration, [alert], at=at, group_labels={"alertname": f"G{i}"})

    stuck = [group(i, firing(), T0) for i in range(200)]
    resolves = [group(i, resolved(), T0 + timedelta(minutes=16)) for i in range(200)]

    for delivery in [*resolves, *stuck]:  # the resolves first, then the sweep's pick-up
        process(delivery, T0 + timedelta(minutes=17))

    assert Incident.objects.count() == 200  # before: 0
    assert set(Incident.objects.values_list("status", flat=True)) == {Status.MONITORING}
    assert Alert.objects.filter(status=AlertStatus.RESOLVED).count() == 200
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.PROCESSED}


ORDERS = list(itertools.permutations(["firing", "repost", "resolve"]))


@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_the_outcome_does_not_depend_on_the_order_deliveries_are_processed_in(order):
    """Each delivery processed as it arrives, in every order (a firing notification may
    arrive after its resolve when its first attempt timed out and the retry waited)."""
    integration, _ = integration_create(
        actor=Actor.system(), name="auto", resolve_policy=ResolvePolicy.RESOLVED
    )
    alerts = {
        "firing": [firing()],
        "repost": [firing(starts_at="2026-11-21T16:25:35.169Z")],  # a relay, milliseconds
        "resolve": [resolved()],
    }
    for minute, name in enumerate(order):
        at = T0 + timedelta(minutes=minute)
        process(store(integration, alerts[name], at=at), at)

    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    alert = Alert.objects.get()
    assert alert.status == AlertStatus.RESOLVED
    assert alert.incident == incident
    assert alert.ends_at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)
    entries = kinds(incident)
    assert entries.count(EntryKind.OPENED) == 1
    assert entries.count(EntryKind.ALERT_FIRED) == 1
    assert entries.count(EntryKind.ALERT_RESOLVED) == 1
    assert entries.count(EntryKind.RESOLVED) == 1


# --- Bounded values ------------------------------------------------------------------------


def test_a_service_label_over_200_characters_is_processed_with_the_name_cut(integration):
    long = "checkout-" + "x" * 291  # 300 characters
    delivery = process(
        store(integration, [firing(service=long)], at=T0), T0
    )  # failed five times with `value too long` before

    assert delivery.state == DeliveryState.PROCESSED, delivery.error
    service = Service.objects.get(discovered=True)
    assert len(service.name) == alertmanager.SERVICE_NAME_MAX
    assert service.name == long[:199] + "…"
    incident = Incident.objects.get()
    assert list(incident.services.all()) == [service]
    assert Alert.objects.get().labels["service"] == long  # the label is kept whole
    opened = incident.timeline.get(kind=EntryKind.OPENED)
    assert "longer than 200 characters" in opened.text
    assert opened.data["services_cut"] == [service.name]


# Text PostgreSQL can store (no NUL, no unpaired surrogate), of hostile lengths and scripts.
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=400,
)
_long = st.one_of(_text, st.integers(180, 5000).map(lambda n: "é" * n))
_labels = st.dictionaries(_text.filter(bool), _long, min_size=1, max_size=5)


@st.composite
def _bodies(draw: Any) -> bytes:
    alerts = []
    for _ in range(draw(st.integers(1, 3))):
        labels = draw(_labels)
        if draw(st.booleans()):
            labels["service"] = draw(_long)
        status = draw(st.sampled_from(["firing", "resolved"]))
        alerts.append(
            {
                "status": status,
                "labels": labels,
                "annotations": draw(st.dictionaries(_text, _long, max_size=3)),
                "startsAt": payloads.ts(T0 - timedelta(seconds=draw(st.integers(0, 10**7)))),
                "endsAt": ENDS if status == "resolved" else payloads.ZERO_TIME,
                "generatorURL": draw(_long),
                "fingerprint": draw(
                    st.one_of(st.just(""), st.text("0123456789abcdef", max_size=64))
                ),
            }
        )
    payload = {
        "receiver": draw(_long),
        "status": "firing",
        "alerts": alerts,
        "groupLabels": draw(st.dictionaries(_text, _long, max_size=3)),
        "commonLabels": {},
        "commonAnnotations": draw(st.fixed_dictionaries({"summary": _long, "description": _long})),
        "externalURL": draw(_long),
        "version": "4",
        "groupKey": draw(_long),
        "truncatedAlerts": draw(st.integers(0, alertmanager.TRUNCATED_ALERTS_MAX)),
    }
    return json.dumps(payload).encode()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=_bodies())
def test_every_body_the_parser_accepts_processes(integration, body):
    try:
        alertmanager.parse(body)
    except alertmanager.PayloadError:
        return  # refused with 400: nothing was promised
    delivery = delivery_receive(integration_id=integration.pk, body=body, at=T0)

    result = process(delivery, T0)

    assert result.state == DeliveryState.PROCESSED, result.error


# --- Failed deliveries are never silent --------------------------------------------------------


def _failing(monkeypatch, exc: Exception) -> None:
    def fail(*args: Any, **kwargs: Any) -> dict:
        raise exc

    monkeypatch.setattr(ingestion, "apply_notification", fail)


def test_a_database_error_counts_an_attempt_and_the_last_one_shows_as_failed(
    integration, monkeypatch
):
    _failing(monkeypatch, OperationalError("server closed the connection unexpectedly"))
    delivery = store(integration, [firing()], at=T0)

    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(OperationalError):
            delivery_process(delivery_id=delivery.pk, at=T0)
        delivery.refresh_from_db()
        assert delivery.attempts == attempt  # before: 0, and the delivery looked unsent

    assert delivery.state == DeliveryState.FAILED
    assert delivery.gave_up
    assert "server closed the connection" in delivery.error


@pytest.fixture
def given_up(integration, monkeypatch) -> Delivery:
    """A delivery that failed after every retry of the sweep."""
    _failing(monkeypatch, RuntimeError("a bug in processing"))
    delivery = store(integration, [firing()], at=T0)
    for minute in range(MAX_ATTEMPTS):
        deliveries_requeue(at=T0 + timedelta(hours=1, minutes=minute))
    delivery.refresh_from_db()
    assert delivery.gave_up
    monkeypatch.undo()
    return delivery


def test_the_dashboard_shows_admins_the_deliveries_that_failed_after_every_retry(
    client, admin_user, responder, integration, given_up
):
    client.force_login(responder)
    assert "failed after every retry" not in client.get("/").content.decode()

    client.force_login(admin_user)
    page = client.get("/").content.decode()

    assert "1 alert delivery failed after every retry" in page
    assert f'href="/integrations/{integration.pk}/#failed-deliveries"' in page


def test_the_integration_page_lists_failed_deliveries_and_replays_them_all(
    client, admin_user, integration, given_up, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    page = client.get(f"/integrations/{integration.pk}/").content.decode()
    assert 'id="failed-deliveries"' in page
    assert "RuntimeError: a bug in processing" in page
    assert "Replay all 1 failed" in page
    assert not Incident.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/integrations/{integration.pk}/deliveries/replay-failed/")

    assert response.status_code == 302
    given_up.refresh_from_db()
    assert given_up.state == DeliveryState.PROCESSED
    assert Incident.objects.count() == 1
    assert "failed after every retry" not in client.get("/").content.decode()


def test_the_api_lists_the_failed_deliveries(admin_api, integration, given_up):
    response = admin_api.get(f"/api/v1/integrations/{integration.pk}/deliveries/?failed=true")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["id"], r["gave_up"]) for r in rows] == [(given_up.pk, True)]


def test_replaying_all_failed_deliveries_is_for_admins(client, responder, integration, given_up):
    client.force_login(responder)

    response = client.post(f"/integrations/{integration.pk}/deliveries/replay-failed/")

    assert response.status_code in (403, 404)
    given_up.refresh_from_db()
    assert given_up.state == DeliveryState.FAILED


# --- Chunked bodies ------------------------------------------------------------------------------


def _chunked_request(token: str, body: bytes, *, terminated: bool = True):
    """A request as gunicorn hands a chunked one to Django: no Content-Length, and an
    input stream that ends where the body ends."""
    request = RequestFactory().generic(
        "POST",
        "/hooks/alertmanager/",
        data=b"",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    request.META.pop("CONTENT_LENGTH", None)
    request.META["wsgi.input"] = io.BytesIO(body)
    request.META["wsgi.input_terminated"] = terminated
    return request


def test_a_chunked_body_is_read_and_accepted(integration_and_token):
    _, token = integration_and_token
    body = payloads.body(payloads.notification([firing()]))

    response = alertmanager_webhook(_chunked_request(token, body))

    assert response.status_code == 200, response.content  # before: 400 "not valid JSON"
    assert Delivery.objects.get().body == body.decode()


def test_a_chunked_body_past_the_limit_is_refused_with_413(integration_and_token, settings):
    _, token = integration_and_token
    settings.KEEL_MAX_WEBHOOK_BYTES = 1000
    body = payloads.body(payloads.notification([firing(annotations={"x": "y" * 2000})]))

    response = alertmanager_webhook(_chunked_request(token, body))

    assert response.status_code == 413
    assert "limit of 1000 bytes" in json.loads(response.content)["message"]
    assert not Delivery.objects.exists()


def test_a_chunked_body_a_server_cannot_end_is_refused_with_411(integration_and_token):
    _, token = integration_and_token
    body = payloads.body(payloads.notification([firing()]))

    response = alertmanager_webhook(_chunked_request(token, body, terminated=False))

    assert response.status_code == 411
    assert "Content-Length" in json.loads(response.content)["message"]
    assert not Delivery.objects.exists()
