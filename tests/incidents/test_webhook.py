"""The Alertmanager webhook: authenticate, check size and shape, store raw, process on commit."""

import json

import pytest
from django.test import Client

from core.actors import Actor
from incidents.choices import DeliveryState, EntryKind, Kind, Status
from incidents.models import Alert, Delivery, Incident
from incidents.services import integration_rotate_token, integration_set_enabled
from tests.incidents import payloads

URL = "/hooks/alertmanager/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def token(integration_and_token) -> str:
    return integration_and_token[1]


def firing_body() -> bytes:
    payload = payloads.notification([payloads.alert()])
    payload["commonAnnotations"] = {"summary": "5xx rate above 2% <checkout> & cart"}
    return payloads.body(payload)


def post(client: Client, body: bytes, *, token: str | None = None, path_token: str = ""):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    url = f"{URL}{path_token}/" if path_token else URL
    return client.post(
        url,
        data=body,
        content_type="application/json",
        HTTP_USER_AGENT="Alertmanager/0.27.0",
        **headers,
    )


def assert_nothing_stored() -> None:
    assert not Delivery.objects.exists()
    assert not Alert.objects.exists()
    assert not Incident.objects.exists()


def assert_accepted_and_processed(response, integration) -> Incident:
    assert response.status_code == 200
    delivery = Delivery.objects.get()
    assert response.json() == {"status": "accepted", "delivery": delivery.pk}
    assert delivery.integration == integration
    assert delivery.state == DeliveryState.PROCESSED
    incident = Incident.objects.get()
    assert incident.kind == Kind.ALERT
    assert incident.status == Status.INVESTIGATING
    assert incident.integration == integration
    assert incident.severity == "SEV2"  # severity=critical maps to SEV2
    assert list(incident.services.values_list("slug", flat=True)) == ["checkout"]
    alert = Alert.objects.get()
    assert alert.incident == incident
    assert alert.fingerprint == "7d2d332feada5c59"
    # No team owns checkout: the timeline also says who was paged instead (the fallback).
    assert sorted(incident.timeline.values_list("kind", flat=True)) == sorted(
        [EntryKind.ALERT_FIRED, EntryKind.OPENED, EntryKind.PAGED]
    )
    return incident


def test_bearer_token_is_accepted_and_processed_on_commit(
    client, integration, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = post(client, firing_body(), token=token)
    assert len(callbacks) == 1  # the request only enqueues, after its commit
    assert not Incident.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        callbacks[0]()
    incident = assert_accepted_and_processed(response, integration)
    assert incident.title == "5xx rate above 2% <checkout> & cart"


def test_token_in_the_path_is_accepted_and_processed(
    client, integration, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, firing_body(), path_token=token)
    assert_accepted_and_processed(response, integration)


def test_the_same_payload_twice_opens_one_incident(
    client, integration, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, firing_body(), token=token)
        response = post(client, firing_body(), token=token)
    assert response.status_code == 200
    assert Delivery.objects.count() == 2
    assert Incident.objects.count() == 1
    assert Alert.objects.get().times_seen == 2


def test_the_raw_body_is_stored_byte_for_byte(client, token):
    body = firing_body()
    assert b"\\u003c" in body  # Alertmanager's escaping of <, > and & is kept as sent
    raw = body.replace(b'"receiver": "keel"', b'"receiver":   "keel"') + b"\n"

    response = post(client, raw, token=token)

    assert response.status_code == 200
    delivery = Delivery.objects.get(pk=response.json()["delivery"])
    assert delivery.body == raw.decode()
    assert delivery.body.encode() == raw
    assert delivery.body_bytes == len(raw)
    assert delivery.user_agent == "Alertmanager/0.27.0"
    assert delivery.state == DeliveryState.RECEIVED  # processing waits for the commit


def test_non_ascii_body_is_stored_exactly(client, token):
    payload = payloads.notification(
        [payloads.alert(annotations={"summary": "Zahlungen schlagen fehl \u2013 支付失败 ✓"})]
    )
    raw = json.dumps(payload, ensure_ascii=False).encode()

    response = post(client, raw, token=token)

    assert response.status_code == 200
    delivery = Delivery.objects.get()
    assert delivery.body.encode() == raw
    assert delivery.body_bytes == len(raw)


@pytest.mark.parametrize(
    ("how", "value"),
    [
        ("header", None),
        ("header", ""),
        ("header", "not-a-keel-token"),
        ("header", "keel_am_deadbeef_" + "x" * 43),
        ("path", "keel_am_deadbeef_" + "x" * 43),
        ("path", "garbage"),
    ],
    ids=["missing", "empty", "malformed", "unknown", "unknown-in-path", "garbage-in-path"],
)
def test_missing_or_unknown_token_is_401_and_nothing_stored(client, integration, how, value):
    if how == "header":
        response = post(client, firing_body(), token=value)
    else:
        response = post(client, firing_body(), path_token=value)
    assert response.status_code == 401
    assert response.json() == {"message": "Missing, unknown or disabled integration token."}
    assert response["WWW-Authenticate"] == 'Bearer realm="keel"'
    assert_nothing_stored()


def test_wrong_secret_with_a_real_prefix_is_401(client, token):
    forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
    response = post(client, firing_body(), token=forged)
    assert response.status_code == 401
    assert "message" in response.json()
    assert_nothing_stored()


def test_basic_auth_scheme_is_not_accepted(client, token):
    response = client.post(
        URL,
        data=firing_body(),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {token}",
    )
    assert response.status_code == 401
    assert_nothing_stored()


def test_disabled_integration_is_401_and_enabling_again_works(
    client, integration, token, django_capture_on_commit_callbacks
):
    assert post(client, firing_body(), token=token).status_code == 200  # cached now
    Delivery.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        integration_set_enabled(integration=integration, enabled=False, actor=Actor.system())

    response = post(client, firing_body(), token=token)

    assert response.status_code == 401
    assert response.json()["message"] == "Missing, unknown or disabled integration token."
    assert not Delivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        integration_set_enabled(integration=integration, enabled=True, actor=Actor.system())
    assert post(client, firing_body(), token=token).status_code == 200
    assert Delivery.objects.count() == 1


def test_rotated_token_stops_working_at_once(
    client, integration, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, firing_body(), token=token).status_code == 200  # cached now
        _, new_token = integration_rotate_token(integration=integration, actor=Actor.system())
    Delivery.objects.all().delete()

    assert post(client, firing_body(), token=token).status_code == 401
    assert not Delivery.objects.exists()
    assert post(client, firing_body(), token=new_token).status_code == 200


def test_body_over_the_limit_is_413_and_nothing_stored(client, token, settings):
    body = firing_body()
    settings.KEEL_MAX_WEBHOOK_BYTES = len(body) - 1

    response = post(client, body, token=token)

    assert response.status_code == 413
    assert response.json() == {
        "message": f"The body is larger than the limit of {len(body) - 1} bytes."
    }
    assert_nothing_stored()


def test_body_exactly_at_the_limit_is_accepted(client, token, settings):
    body = firing_body()
    settings.KEEL_MAX_WEBHOOK_BYTES = len(body)
    assert post(client, body, token=token).status_code == 200
    assert Delivery.objects.count() == 1


def test_body_cut_off_by_an_understated_content_length_is_400(client, token, settings):
    body = firing_body()
    settings.KEEL_MAX_WEBHOOK_BYTES = 100
    response = client.generic(
        "POST",
        URL,
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        CONTENT_LENGTH="50",
    )
    # Django reads only as much as Content-Length says: a cut-off body is not JSON.
    assert response.status_code == 400
    assert response.json() == {
        "message": "Not an Alertmanager v4 webhook payload: The body is not valid JSON."
    }
    assert_nothing_stored()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"this is not json", "The body is not valid JSON."),
        (b"", "The body is not valid JSON."),
        (b"\xff\xfe\xfa", "The body is not valid JSON."),
        (b"[1, 2, 3]", "The body must be a JSON object."),
        (
            json.dumps({**payloads.notification([payloads.alert()]), "version": "3"}).encode(),
            '"version": "4"',
        ),
        (
            json.dumps(
                {
                    k: v
                    for k, v in payloads.notification([payloads.alert()]).items()
                    if k != "version"
                }
            ).encode(),
            '"version": "4"',
        ),
        (
            json.dumps({**payloads.notification([payloads.alert()]), "alerts": {}}).encode(),
            "alerts must be a list.",
        ),
        (
            json.dumps(payloads.notification([payloads.alert(starts_at="yesterday")])).encode(),
            "alerts[0].startsAt is not an RFC 3339 timestamp",
        ),
        (
            json.dumps(
                payloads.notification(
                    [payloads.alert(status="resolved", ends_at=payloads.ZERO_TIME)]
                )
            ).encode(),
            "alerts[0].endsAt must be set on a resolved alert.",
        ),
    ],
    ids=[
        "text",
        "empty",
        "binary",
        "array",
        "version-3",
        "no-version",
        "alerts-object",
        "bad-start",
        "resolved-without-end",
    ],
)
def test_not_a_v4_payload_is_400_naming_the_problem(client, token, body, problem):
    response = post(client, body, token=token)
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("Not an Alertmanager v4 webhook payload: ")
    assert problem in message
    assert_nothing_stored()


def test_get_is_405(client, token):
    response = client.get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert not Delivery.objects.exists()


def test_get_with_token_in_path_is_405(client, token):
    assert client.get(f"{URL}{token}/").status_code == 405


def test_no_csrf_token_is_needed(token, integration):
    strict = Client(enforce_csrf_checks=True)
    response = post(strict, firing_body(), token=token)
    assert response.status_code == 200
    assert Delivery.objects.filter(integration=integration).count() == 1


def test_resolved_notification_moves_the_incident_to_monitoring(
    client, integration, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, firing_body(), token=token)
        resolved = payloads.body(
            payloads.notification(
                [payloads.alert(status="resolved", ends_at="2026-11-21T16:40:00Z")]
            )
        )
        response = post(client, resolved, token=token)
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert incident.status == Status.MONITORING  # the integration's default resolve policy
    assert Alert.objects.get().ends_at is not None
    assert incident.timeline.filter(kind=EntryKind.ALERT_RESOLVED).count() == 1
