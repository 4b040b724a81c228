"""REST API: incidents and their lifecycle, alerts, integrations, services, metrics, schema."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from accounts.services import api_token_create, api_token_revoke
from catalog.models import Service
from core.actors import Actor
from incidents import services
from incidents.choices import EntryKind, Kind, Severity, Status
from incidents.models import Alert, Delivery, Incident, Integration, TimelineEntry
from tests.factories import ResponderFactory, ServiceFactory, UserFactory
from tests.incidents import payloads

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
INCIDENTS = "/api/v1/incidents/"

pytestmark = pytest.mark.django_db


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def declare(user, **kwargs) -> Incident:
    fields = {
        "actor": Actor.of(user),
        "title": "Checkout 5xx above 2%",
        "severity": Severity.SEV2,
        "started_at": minutes(-10),
        "at": T0,
    }
    fields.update(kwargs)
    return services.incident_declare(**fields)


@pytest.fixture
def bob(db):
    return ResponderFactory(username="bob")


@pytest.fixture
def incident(responder, checkout) -> Incident:
    return declare(responder, services=[checkout])


def url(incident: Incident, action: str = "") -> str:
    return f"{INCIDENTS}{incident.number}/" + (f"{action}/" if action else "")


def state(incident: Incident) -> dict:
    """What a user could see of an incident, to show that a refused request changed nothing."""
    row = Incident.objects.get(pk=incident.pk)
    fields = {f.attname: getattr(row, f.attname) for f in Incident._meta.concrete_fields}
    fields.pop("updated_at")
    return {
        **fields,
        "services": sorted(row.services.values_list("slug", flat=True)),
        "responders": sorted(row.responders.values_list("username", flat=True)),
        "timeline": list(
            TimelineEntry.objects.filter(incident=row).values_list("id", "kind", "text", "pinned")
        ),
    }


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["number"] for item in response.json()["results"]]


def kinds(body: dict) -> list[str]:
    return [entry["kind"] for entry in body["timeline"]]


# --- list and filters ----------------------------------------------------------------------


@pytest.fixture
def catalogue(responder, checkout):
    """Five incidents with known statuses, severities, services, kinds and start times."""
    search = ServiceFactory(slug="search")
    actor = Actor.of(responder)
    pay = declare(
        responder,
        title="Payment provider timeouts",
        summary="Card payments failed.",
        severity=Severity.SEV1,
        services=[checkout],
        started_at=minutes(-60 * 24),
        at=minutes(-60 * 24 + 5),
    )
    services.incident_resolve(incident=pay, actor=actor, at=minutes(-60 * 23))
    services.incident_close(incident=pay, actor=actor, at=minutes(-60 * 22))
    slow = declare(
        responder,
        title="Search latency above 2 s",
        severity=Severity.SEV3,
        services=[search],
        started_at=minutes(-120),
        at=minutes(-110),
    )
    services.incident_resolve(incident=slow, actor=actor, at=minutes(-30))
    login = declare(
        responder,
        title="Elevated sign-in errors",
        summary="Users see a blank page after the redirect.",
        severity=Severity.SEV2,
        started_at=minutes(-20),
        at=minutes(-15),
    )
    services.incident_set_status(
        incident=login, status=Status.MONITORING, actor=actor, at=minutes(-5)
    )
    both = declare(
        responder,
        title="Cache cluster failover",
        severity=Severity.SEV2,
        services=[checkout, search],
        started_at=minutes(-10),
        at=minutes(-8),
    )
    drill = declare(
        responder,
        title="Game day: database failover",
        severity=Severity.SEV4,
        services=[checkout],
        kind=Kind.DRILL,
        started_at=minutes(-1),
        at=T0,
    )
    return {"pay": pay, "slow": slow, "login": login, "both": both, "drill": drill}


def test_list_is_newest_first_with_list_fields(viewer_api, catalogue):
    response = viewer_api.get(INCIDENTS)
    c = catalogue
    assert numbers(response) == [c[k].number for k in ("drill", "both", "login", "slow", "pay")]
    body = response.json()
    assert body["count"] == 5
    first = body["results"][0]
    assert first == {
        "number": c["drill"].number,
        "reference": f"INC-{c['drill'].number}",
        "title": "Game day: database failover",
        "summary": "",
        "severity": "SEV4",
        "status": "investigating",
        "kind": "drill",
        "services": ["checkout"],
        "commander": "rita",
        "started_at": iso(minutes(-1)),
        "detected_at": iso(T0),
        "acknowledged_at": None,
        "last_acknowledged_at": None,
        "resolved_at": None,
        "closed_at": None,
        "alert_count": 0,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=investigating", ["drill", "both"]),
        ("status=resolved&status=closed", ["slow", "pay"]),
        ("status=monitoring", ["login"]),
        ("severity=SEV2", ["both", "login"]),
        ("severity=SEV1&severity=SEV3", ["slow", "pay"]),
        ("service=search", ["both", "slow"]),
        ("service=checkout", ["drill", "both", "pay"]),
        ("service=nothing-here", []),
        ("kind=drill", ["drill"]),
        ("kind=manual", ["both", "login", "slow", "pay"]),
        ("open=true", ["drill", "both", "login"]),
        ("open=false", ["slow", "pay"]),
        ("open=1", ["drill", "both", "login"]),
        ("open=", ["drill", "both", "login", "slow", "pay"]),
        (f"started_after={iso(minutes(-20))}", ["drill", "both", "login"]),
        (f"started_before={iso(minutes(-20))}", ["slow", "pay"]),
        (
            f"started_after={iso(minutes(-120))}&started_before={iso(minutes(-10))}",
            ["login", "slow"],
        ),
        ("q=failover", ["drill", "both"]),
        ("q=BLANK%20PAGE", ["login"]),
        ("q=payment", ["pay"]),
        ("status=investigating&service=checkout&kind=manual", ["both"]),
    ],
)
def test_list_filters(viewer_api, catalogue, query, expected):
    response = viewer_api.get(f"{INCIDENTS}?{query.replace('+', '%2B')}")
    assert numbers(response) == [catalogue[k].number for k in expected]
    assert response.json()["count"] == len(expected)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=paused", "status"),
        ("severity=P1", "severity"),
        ("kind=alert-ish", "kind"),
        ("started_after=yesterday", "started_after"),
        ("started_before=2026-13-40", "started_before"),
        ("open=perhaps", "open"),
    ],
)
def test_bad_list_filters_are_400_json(viewer_api, catalogue, query, field):
    response = viewer_api.get(f"{INCIDENTS}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith(f"{field}: ")
    assert field in body["errors"]


def test_time_filters_accept_any_offset_python_does(viewer_api, catalogue):
    # PostgreSQL refuses offsets beyond ±16 h; the filter hands it UTC instead.
    response = viewer_api.get(f"{INCIDENTS}?started_after=0210-10-27T13:47:27-20:40")
    assert response.status_code == 200
    assert response.json()["count"] == len(catalogue)


def test_list_is_paginated(viewer_api, responder):
    for i in range(53):
        declare(responder, title=f"Incident {i}", started_at=minutes(-100 + i), at=minutes(i))

    first = viewer_api.get(INCIDENTS).json()
    assert first["count"] == 53
    assert len(first["results"]) == 50
    assert first["previous"] is None
    assert first["next"].endswith("/api/v1/incidents/?page=2")
    assert first["results"][0]["title"] == "Incident 52"

    second = viewer_api.get(f"{INCIDENTS}?page=2").json()
    assert [r["title"] for r in second["results"]] == ["Incident 2", "Incident 1", "Incident 0"]
    assert second["next"] is None

    missing = viewer_api.get(f"{INCIDENTS}?page=9")
    assert missing.status_code == 404
    assert "message" in missing.json()


# --- declare -------------------------------------------------------------------------------


def test_declare_returns_201_with_the_incident(responder_api, checkout, bob):
    started = (timezone.now() - timedelta(minutes=12)).replace(microsecond=0)
    response = responder_api.post(
        INCIDENTS,
        {
            "title": "Checkout returns 502",
            "severity": "SEV1",
            "summary": "Since the 14:00 deploy.",
            "services": ["checkout"],
            "started_at": iso(started),
            "commander": "bob",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    incident = Incident.objects.get(number=body["number"])
    assert body["reference"] == f"INC-{incident.number}"
    assert body["title"] == "Checkout returns 502"
    assert body["severity"] == "SEV1"
    assert body["status"] == "investigating"
    assert body["kind"] == "manual"
    assert body["services"] == ["checkout"]
    assert body["started_at"] == iso(started)
    assert body["detected_at"] == iso(incident.detected_at)
    assert body["acknowledged_at"] is None
    assert body["resolved_at"] is None
    assert body["commander"] == "bob"
    assert body["alert_count"] == 0
    assert body["alerts"] == []
    assert kinds(body) == ["declared"]
    assert body["timeline"][0]["actor"] == "rita"
    assert incident.commander == bob
    assert incident.started_at == started
    assert list(incident.services.values_list("slug", flat=True)) == ["checkout"]


def test_declare_with_defaults(responder_api):
    response = responder_api.post(
        INCIDENTS, {"title": "Disk full", "severity": "SEV4"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["services"], body["commander"]) == ("manual", [], "rita")
    assert body["started_at"] == body["detected_at"]


def test_declare_a_drill(responder_api):
    response = responder_api.post(
        INCIDENTS, {"title": "Game day", "severity": "SEV4", "kind": "drill"}, format="json"
    )
    assert response.status_code == 201
    assert Incident.objects.get(number=response.json()["number"]).kind == Kind.DRILL


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"title": "x", "severity": "SEV9"}, 'severity: "SEV9" is not a valid choice.'),
        ({"title": "x", "severity": "sev1"}, 'severity: "sev1" is not a valid choice.'),
        ({"severity": "SEV1"}, "title: This field is required."),
        ({"title": "   ", "severity": "SEV1"}, "title: This field may not be blank."),
        ({"title": "x" * 301, "severity": "SEV1"}, "title: Ensure this field has no more than 300"),
        (
            {"title": "x", "severity": "SEV1", "kind": "alert"},
            'kind: "alert" is not a valid choice.',
        ),
        (
            {"title": "x", "severity": "SEV1", "services": ["nope"]},
            "services: Object with slug=nope",
        ),
        (
            {"title": "x", "severity": "SEV1", "commander": "nobody"},
            "commander: Object with username",
        ),
        ({"title": "x", "severity": "SEV1", "started_at": "yesterday"}, "started_at: Datetime has"),
        (
            {"title": "x", "severity": "SEV1", "started_at": "2199-01-01T00:00:00Z"},
            "The start cannot be in the future.",
        ),
        (
            {"title": "a\x00b", "severity": "SEV1"},
            "JSON strings and keys may not contain the NUL character (\\u0000).",
        ),
    ],
)
def test_declare_rejects_bad_input_with_400_and_stores_nothing(
    responder_api, checkout, payload, message
):
    response = responder_api.post(INCIDENTS, payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert not Incident.objects.exists()


def test_declare_with_malformed_json_is_400(responder_api):
    response = responder_api.post(
        INCIDENTS, '{"title": "x", "severity": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("JSON parse error")
    assert not Incident.objects.exists()


# --- detail --------------------------------------------------------------------------------


def _alert_incident(integration) -> Incident:
    delivery = services.delivery_receive(
        integration_id=integration.pk,
        body=payloads.body(
            payloads.notification(
                [
                    payloads.alert(
                        fingerprint="aaaa000000000001", starts_at="2026-03-02T08:50:00Z"
                    ),
                    payloads.alert(
                        fingerprint="aaaa000000000002",
                        starts_at="2026-03-02T08:52:00Z",
                        extra_labels={"pod": "checkout-2"},
                    ),
                ]
            )
        ),
        at=T0,
    )
    services.delivery_process(delivery_id=delivery.pk, at=T0)
    return Incident.objects.get()


@pytest.mark.parametrize("form", ["{n}", "INC-{n}", "inc-{n}"])
def test_detail_by_number_or_reference_with_alerts_and_timeline(viewer_api, integration, form):
    incident = _alert_incident(integration)

    response = viewer_api.get(f"{INCIDENTS}{form.format(n=incident.number)}/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == incident.number
    assert body["kind"] == "alert"
    assert body["integration"] == "am-test"
    assert body["alert_count"] == 2
    assert body["services"] == ["checkout"]
    assert body["allowed_statuses"] == ["identified", "monitoring", "resolved"]
    assert [a["fingerprint"] for a in body["alerts"]] == ["aaaa000000000002", "aaaa000000000001"]
    assert body["alerts"][0]["labels"]["pod"] == "checkout-2"
    assert body["alerts"][0]["runbook_url"] == "https://runbooks.example/checkout-5xx"
    assert body["alerts"][0]["incident"] == incident.number
    assert kinds(body) == ["alert_fired", "alert_fired", "opened"]
    assert body["timeline"][-1]["actor"] == "integration:am-test"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("999999/", "No incident INC-999999."),
        ("INC-999999/", "No incident INC-999999."),
        ("0/", "No incident INC-0."),
        ("INC-x/", "Not found."),
        ("99999999999999999999/", "No incident INC-99999999999999999999."),
    ],
)
def test_unknown_incident_is_404_json(viewer_api, incident, path, message):
    response = viewer_api.get(f"{INCIDENTS}{path}")
    assert response.status_code == 404
    assert response.json() == {"message": message}


def test_action_on_unknown_incident_is_404_json(responder_api, incident):
    response = responder_api.post(f"{INCIDENTS}999999/acknowledge/")
    assert response.status_code == 404
    assert "message" in response.json()


# --- actions -------------------------------------------------------------------------------


def test_acknowledge(responder_api, incident):
    response = responder_api.post(url(incident, "acknowledge"))
    assert response.status_code == 200
    body = response.json()
    incident.refresh_from_db()
    assert body["acknowledged_at"] == iso(incident.acknowledged_at)
    assert body["acknowledged_by"] == "rita"
    assert kinds(body) == ["declared", "acknowledged"]

    again = responder_api.post(url(incident, "acknowledge"))
    assert again.status_code == 200
    assert again.json()["acknowledged_at"] == body["acknowledged_at"]
    assert kinds(again.json()) == ["declared", "acknowledged"]


def test_status_change(responder_api, incident):
    response = responder_api.post(
        url(incident, "status"), {"status": "identified", "note": "Bad deploy."}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "identified"
    assert body["allowed_statuses"] == ["investigating", "monitoring", "resolved"]
    assert body["timeline"][-1]["text"] == "Status investigating → identified. Bad deploy."
    assert Incident.objects.get(pk=incident.pk).status == Status.IDENTIFIED


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"status": "closed"}, "Resolve INC-{n} before closing it (it is investigating)."),
        ({"status": "paused"}, 'status: "paused" is not a valid choice.'),
        ({}, "status: This field is required."),
    ],
)
def test_illegal_or_unknown_status_is_400_and_changes_nothing(
    responder_api, incident, payload, message
):
    before = state(incident)
    response = responder_api.post(url(incident, "status"), payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == message.format(n=incident.number)
    assert state(incident) == before


def test_closed_incident_cannot_change_status(responder_api, responder, incident):
    services.incident_resolve(incident=incident, actor=Actor.of(responder), at=minutes(5))
    services.incident_close(incident=incident, actor=Actor.of(responder), at=minutes(6))
    before = state(incident)
    response = responder_api.post(
        url(incident, "status"), {"status": "investigating"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == (
        f"INC-{incident.number} cannot move from closed to investigating; it is closed."
    )
    assert body["errors"] == {"status": [body["message"]]}
    assert state(incident) == before


def test_severity(responder_api, incident):
    response = responder_api.post(url(incident, "severity"), {"severity": "SEV1"}, format="json")
    assert response.status_code == 200
    assert response.json()["severity"] == "SEV1"
    assert response.json()["timeline"][-1]["text"] == "Severity SEV2 → SEV1."
    assert Incident.objects.get(pk=incident.pk).severity == Severity.SEV1


def test_unknown_severity_is_400_and_changes_nothing(responder_api, incident):
    before = state(incident)
    response = responder_api.post(
        url(incident, "severity"), {"severity": "critical"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"] == 'severity: "critical" is not a valid choice.'
    assert state(incident) == before


def test_commander_set_and_cleared(responder_api, incident, bob):
    response = responder_api.post(url(incident, "commander"), {"username": "bob"}, format="json")
    assert response.status_code == 200
    assert response.json()["commander"] == "bob"
    assert Incident.objects.get(pk=incident.pk).commander == bob

    cleared = responder_api.post(url(incident, "commander"), {"username": None}, format="json")
    assert cleared.status_code == 200
    assert cleared.json()["commander"] is None
    assert Incident.objects.get(pk=incident.pk).commander is None
    assert kinds(cleared.json()) == ["declared", "role", "role"]


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("nobody", "username: Object with username=nobody does not exist."),
        ("gone", "username: Object with username=gone does not exist."),
        ("a\x00b", "JSON strings and keys may not contain the NUL character (\\u0000)."),
        (42, "username: Object with username=42 does not exist."),
    ],
)
def test_unknown_commander_is_400_and_changes_nothing(responder_api, incident, username, message):
    UserFactory(username="gone", is_active=False)
    before = state(incident)
    response = responder_api.post(url(incident, "commander"), {"username": username}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert state(incident) == before


def test_responders_added_and_removed(responder_api, incident, bob):
    added = responder_api.post(url(incident, "responders"), {"username": "bob"}, format="json")
    assert added.status_code == 200
    assert added.json()["responders"] == ["bob"]
    assert list(incident.responders.values_list("username", flat=True)) == ["bob"]

    removed = responder_api.delete(url(incident, "responders/bob"))
    assert removed.status_code == 200
    assert removed.json()["responders"] == []
    assert not incident.responders.exists()
    assert [e["text"] for e in removed.json()["timeline"][1:]] == [
        "bob joined as a responder.",
        "bob left the responders.",
    ]


def test_removing_a_non_responder_is_400(responder_api, incident, bob):
    before = state(incident)
    response = responder_api.delete(url(incident, "responders/bob"))
    assert response.status_code == 400
    assert response.json()["message"] == "bob is not a responder."
    assert state(incident) == before


def test_add_unknown_responder_is_400(responder_api, incident):
    before = state(incident)
    response = responder_api.post(url(incident, "responders"), {"username": "ghost"}, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == "username: Object with username=ghost does not exist."
    assert state(incident) == before


def test_note(responder_api, incident):
    response = responder_api.post(
        url(incident, "note"), {"text": "Rolled back `2026.3.1`.", "pinned": True}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["actor"], body["text"], body["pinned"]) == (
        "note",
        "rita",
        "Rolled back `2026.3.1`.",
        True,
    )
    entry = TimelineEntry.objects.get(pk=body["id"])
    assert (entry.incident_id, entry.kind, entry.pinned) == (incident.pk, EntryKind.NOTE, True)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"text": "  "}, "text: This field may not be blank."),
        ({}, "text: This field is required."),
        ({"text": "x" * 20001}, "text: Ensure this field has no more than 20000 characters."),
        ({"text": "ok", "pinned": "perhaps"}, "pinned: Must be a valid boolean."),
    ],
)
def test_bad_note_is_400(responder_api, incident, payload, message):
    before = state(incident)
    response = responder_api.post(url(incident, "note"), payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert state(incident) == before


def test_resolve_reopen_close(responder_api, incident):
    resolved = responder_api.post(url(incident, "resolve"), {"note": "Failed over."}, format="json")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_at"] is not None
    assert resolved.json()["allowed_statuses"] == ["closed", "investigating"]

    reopened = responder_api.post(url(incident, "reopen"), {"reason": "Back again."}, format="json")
    assert reopened.status_code == 200
    assert reopened.json()["status"] == "investigating"
    assert reopened.json()["resolved_at"] is None
    assert Incident.objects.get(pk=incident.pk).resolved_at is None

    responder_api.post(url(incident, "resolve"), format="json")
    closed = responder_api.post(url(incident, "close"))
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_at"] is not None
    assert closed.json()["allowed_statuses"] == []
    assert kinds(closed.json()) == ["declared", "resolved", "reopened", "resolved", "closed"]
    assert Incident.objects.get(pk=incident.pk).status == Status.CLOSED


def test_a_reopened_incident_is_acknowledged_again_through_the_api(responder_api, incident):
    first = responder_api.post(url(incident, "acknowledge")).json()
    assert first["acknowledged_at"] == first["last_acknowledged_at"] is not None
    responder_api.post(url(incident, "resolve"), format="json")

    reopened = responder_api.post(url(incident, "reopen"), format="json").json()
    assert reopened["acknowledged_at"] == first["acknowledged_at"]
    assert reopened["last_acknowledged_at"] is None
    listed = responder_api.get(INCIDENTS, {"open": "true"}).json()["results"]
    assert [(r["number"], r["last_acknowledged_at"]) for r in listed] == [(incident.number, None)]

    again = responder_api.post(url(incident, "acknowledge")).json()
    assert again["acknowledged_at"] == first["acknowledged_at"]
    assert datetime.fromisoformat(again["last_acknowledged_at"]) > datetime.fromisoformat(
        first["acknowledged_at"]
    )
    assert kinds(again)[-2:] == ["reopened", "acknowledged"]


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("close", "Resolve INC-{n} before closing it (it is investigating)."),
        ("reopen", "Only resolved incidents can be reopened; INC-{n} is investigating."),
    ],
)
def test_close_or_reopen_of_an_open_incident_is_400(responder_api, incident, action, message):
    before = state(incident)
    response = responder_api.post(url(incident, action), format="json")
    assert response.status_code == 400
    assert response.json()["message"] == message.format(n=incident.number)
    assert state(incident) == before


def test_reopen_of_a_closed_incident_is_400(responder_api, responder, incident):
    services.incident_resolve(incident=incident, actor=Actor.of(responder), at=minutes(5))
    services.incident_close(incident=incident, actor=Actor.of(responder), at=minutes(6))
    before = state(incident)
    response = responder_api.post(url(incident, "reopen"), format="json")
    assert response.status_code == 400
    assert response.json()["message"] == (
        f"Only resolved incidents can be reopened; INC-{incident.number} is closed."
    )
    assert state(incident) == before


def test_correct_time(responder_api, incident):
    response = responder_api.post(
        url(incident, "correct-time"),
        {
            "field": "started_at",
            "value": "2026-03-02T08:30:00Z",
            "reason": "Dashboard shows 08:30.",
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["started_at"] == "2026-03-02T08:30:00Z"
    assert body["timeline"][-1]["kind"] == "field_corrected"
    assert body["timeline"][-1]["data"]["reason"] == "Dashboard shows 08:30."
    assert Incident.objects.get(pk=incident.pk).started_at == minutes(-30)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"field": "started_at", "value": "2026-03-02T09:05:00Z"}, "started_at must not be after"),
        ({"field": "started_at", "value": "2199-01-01T00:00:00Z"}, "A corrected time cannot be"),
        ({"field": "started_at", "value": "last tuesday"}, "value: Datetime has wrong format."),
        (
            {"field": "started_at", "value": "2026-02-30T08:00:00Z"},
            "value: Datetime has wrong format",
        ),
        (
            {"field": "closed_at", "value": "2026-03-02T08:00:00Z"},
            'field: "closed_at" is not a valid',
        ),
        ({"field": "resolved_at", "value": "2026-03-02T08:55:00Z"}, "resolved_at is not set yet"),
        (
            {"field": "started_at", "value": "2026-03-02T08:00:00Z", "reason": ""},
            "reason: This field",
        ),
        (
            {"field": "started_at", "value": "2026-03-02T08:00:00Z", "reason": None},
            "reason: This field",
        ),
    ],
)
def test_bad_time_correction_is_400_and_changes_nothing(responder_api, incident, payload, message):
    before = state(incident)
    response = responder_api.post(
        url(incident, "correct-time"), {"reason": "Typo.", **payload}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert state(incident) == before


def test_pin_and_unpin_a_timeline_entry(responder_api, incident):
    entry = incident.timeline.get()
    pinned = responder_api.post(
        url(incident, f"timeline/{entry.pk}/pin"), {"pinned": True}, format="json"
    )
    assert pinned.status_code == 200
    assert pinned.json()["pinned"] is True
    assert TimelineEntry.objects.get(pk=entry.pk).pinned is True

    unpinned = responder_api.post(
        url(incident, f"timeline/{entry.pk}/pin"), {"pinned": False}, format="json"
    )
    assert unpinned.json()["pinned"] is False
    assert TimelineEntry.objects.get(pk=entry.pk).pinned is False


def test_pin_an_entry_of_another_incident_is_404(responder_api, responder, incident):
    other = declare(responder, title="Other")
    entry = other.timeline.get()
    response = responder_api.post(
        url(incident, f"timeline/{entry.pk}/pin"), {"pinned": True}, format="json"
    )
    assert response.status_code == 404
    assert "message" in response.json()
    assert TimelineEntry.objects.get(pk=entry.pk).pinned is False


def test_patch_title_summary_and_services(responder_api, incident):
    ServiceFactory(slug="search")
    response = responder_api.patch(
        url(incident),
        {
            "title": "Checkout and search down",
            "summary": "Cache.",
            "services": ["search", "checkout"],
        },
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["title"] == "Checkout and search down"
    assert body["summary"] == "Cache."
    assert sorted(body["services"]) == ["checkout", "search"]
    assert body["timeline"][-1]["kind"] == "edited"
    row = Incident.objects.get(pk=incident.pk)
    assert (row.title, row.summary) == ("Checkout and search down", "Cache.")


def test_patch_with_only_the_summary_leaves_the_rest(responder_api, incident):
    response = responder_api.patch(url(incident), {"summary": "More detail."}, format="json")
    assert response.status_code == 200
    row = Incident.objects.get(pk=incident.pk)
    assert (row.title, row.summary) == ("Checkout 5xx above 2%", "More detail.")
    assert list(row.services.values_list("slug", flat=True)) == ["checkout"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"title": " "}, "title: This field may not be blank."),
        ({"services": ["unknown"]}, "services: Object with slug=unknown does not exist."),
        ({"services": "checkout"}, "services: Expected a list of items"),
    ],
)
def test_bad_patch_is_400_and_changes_nothing(responder_api, incident, payload, message):
    before = state(incident)
    response = responder_api.patch(url(incident), payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert state(incident) == before


def test_put_and_delete_are_not_allowed(responder_api, incident):
    for method in ("put", "delete"):
        response = getattr(responder_api, method)(url(incident), {"title": "x"}, format="json")
        assert response.status_code == 405
        assert "message" in response.json()
    assert Incident.objects.filter(pk=incident.pk).exists()


# --- roles ---------------------------------------------------------------------------------


def _writes(incident: Incident) -> list[tuple[str, str, dict]]:
    entry = incident.timeline.first()
    return [
        ("post", INCIDENTS, {"title": "x", "severity": "SEV1"}),
        ("patch", url(incident), {"title": "Renamed"}),
        ("post", url(incident, "acknowledge"), {}),
        ("post", url(incident, "status"), {"status": "identified"}),
        ("post", url(incident, "severity"), {"severity": "SEV1"}),
        ("post", url(incident, "commander"), {"username": "vic"}),
        ("post", url(incident, "responders"), {"username": "vic"}),
        ("delete", url(incident, "responders/rita"), None),
        ("post", url(incident, "note"), {"text": "hello"}),
        ("post", url(incident, "resolve"), {}),
        ("post", url(incident, "reopen"), {}),
        ("post", url(incident, "close"), {}),
        (
            "post",
            url(incident, "correct-time"),
            {"field": "started_at", "value": "2026-03-02T08:00:00Z", "reason": "r"},
        ),
        ("post", url(incident, f"timeline/{entry.pk}/pin"), {"pinned": True}),
    ]


def test_viewer_can_read(viewer_api, incident):
    assert numbers(viewer_api.get(INCIDENTS)) == [incident.number]
    assert viewer_api.get(url(incident)).json()["title"] == "Checkout 5xx above 2%"
    assert viewer_api.get("/api/v1/alerts/").status_code == 200
    assert viewer_api.get("/api/v1/services/").status_code == 200
    assert viewer_api.get("/api/v1/metrics/incidents/").status_code == 200


def test_viewer_gets_403_json_on_every_write_and_nothing_changes(viewer_api, responder, incident):
    services.incident_add_responder(incident=incident, user=responder, actor=Actor.of(responder))
    before = state(incident)
    for method, path, data in _writes(incident):
        response = getattr(viewer_api, method)(path, data, format="json")
        assert response.status_code == 403, (method, path)
        assert response.json() == {"message": "This needs the responder role."}, (method, path)
    assert state(incident) == before
    assert Incident.objects.count() == 1


def test_viewer_cannot_configure_integrations_or_services(viewer_api, checkout):
    for path, data in [
        ("/api/v1/integrations/", {"name": "sneaky"}),
        ("/api/v1/services/", {"slug": "sneaky", "name": "Sneaky"}),
    ]:
        response = viewer_api.post(path, data, format="json")
        assert response.status_code == 403
        assert response.json() == {"message": "This needs the admin role."}
    assert not Integration.objects.exists()
    assert not Service.objects.filter(slug="sneaky").exists()


def test_unauthenticated_requests_get_401_json(incident):
    anonymous = APIClient()
    reads = [("get", INCIDENTS, {}), ("get", url(incident), {})]
    for method, path, data in [*reads, *_writes(incident)]:
        response = getattr(anonymous, method)(path, data, format="json")
        assert response.status_code == 401, (method, path)
        assert response.json() == {"message": "Authentication credentials were not provided."}
        assert response["WWW-Authenticate"] == 'Bearer realm="keel"'
    assert Incident.objects.count() == 1


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Bearer keel_api_0123abcd_not-the-secret", "Invalid API token."),
        ("Bearer nonsense", "Invalid API token."),
        ("Bearer a b", "Malformed Authorization header."),
        ("Token keel_api_0123abcd_not-the-secret", "Invalid API token."),
    ],
)
def test_bad_api_tokens_get_401_json(header, message, incident):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(INCIDENTS)
    assert response.status_code == 401
    assert response.json() == {"message": message}


def test_revoked_api_token_is_401(responder, incident):
    token, plaintext = api_token_create(user=responder, name="laptop")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get(INCIDENTS).status_code == 200

    api_token_revoke(token=token)

    response = client.get(INCIDENTS)
    assert response.status_code == 401
    assert response.json() == {"message": "This API token has been revoked."}
    assert client.post(url(incident, "acknowledge")).status_code == 401
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is None


def test_token_of_a_deactivated_user_is_401(responder, incident):
    _, plaintext = api_token_create(user=responder)
    responder.is_active = False
    responder.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get(INCIDENTS).status_code == 401


def test_responder_can_act_but_not_configure_integrations(responder_api, incident, checkout):
    assert responder_api.post(url(incident, "acknowledge")).status_code == 200
    created = responder_api.post("/api/v1/integrations/", {"name": "am-x"}, format="json")
    assert created.status_code == 403
    assert created.json() == {"message": "This needs the admin role."}
    listed = responder_api.get("/api/v1/integrations/")
    assert listed.status_code == 403
    assert listed.json() == {"message": "This needs the admin role."}
    assert not Integration.objects.exists()


def test_admin_can_act_on_incidents(admin_api, incident):
    response = admin_api.post(url(incident, "severity"), {"severity": "SEV1"}, format="json")
    assert response.status_code == 200
    assert response.json()["timeline"][-1]["actor"] == "ada"


def test_superuser_without_groups_is_an_admin(incident):
    boss = UserFactory(username="boss", is_superuser=True)
    _, plaintext = api_token_create(user=boss)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = client.post("/api/v1/integrations/", {"name": "am-boss"}, format="json")
    assert response.status_code == 201
    assert Integration.objects.filter(name="am-boss").exists()


# --- alerts --------------------------------------------------------------------------------


@pytest.fixture
def alerts(integration):
    """checkout group: a1 firing; search group: b1 firing, b2 resolved."""
    checkout_group = payloads.notification(
        [payloads.alert(fingerprint="a1", starts_at="2026-03-02T08:50:00Z")]
    )
    search_group = payloads.notification(
        [
            payloads.alert(
                fingerprint="b1",
                alertname="SlowSearch",
                service="search",
                severity="warning",
                starts_at="2026-03-02T08:51:00Z",
            ),
            payloads.alert(
                fingerprint="b2",
                alertname="SlowSearch",
                service="search",
                severity="warning",
                status="resolved",
                starts_at="2026-03-02T08:40:00Z",
                ends_at="2026-03-02T08:45:00Z",
            ),
        ],
        group_labels={"alertname": "SlowSearch", "service": "search"},
    )
    for payload in (checkout_group, search_group):
        delivery = services.delivery_receive(
            integration_id=integration.pk, body=payloads.body(payload), at=T0
        )
        services.delivery_process(delivery_id=delivery.pk, at=T0)
    return {a.fingerprint: a for a in Alert.objects.all()}


def fingerprints(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [a["fingerprint"] for a in response.json()["results"]]


def test_alert_list(viewer_api, alerts):
    response = viewer_api.get("/api/v1/alerts/")
    assert fingerprints(response) == ["b1", "a1", "b2"]
    a1 = response.json()["results"][1]
    assert a1["integration"] == "am-test"
    assert a1["incident"] == alerts["a1"].incident.number
    assert a1["status"] == "firing"
    assert a1["starts_at"] == "2026-03-02T08:50:00Z"
    assert a1["ends_at"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=firing", ["b1", "a1"]),
        ("status=resolved", ["b2"]),
        ("integration=am-test", ["b1", "a1", "b2"]),
        ("integration=other", []),
        ("label=service=search", ["b1", "b2"]),
        ("label=alertname=HighErrorRate", ["a1"]),
        ("label=service=nowhere", []),
        ("fingerprint=b2", ["b2"]),
    ],
)
def test_alert_filters(viewer_api, alerts, query, expected):
    assert fingerprints(viewer_api.get(f"/api/v1/alerts/?{query}")) == expected


def test_alert_filter_by_incident(viewer_api, alerts):
    search_incident = alerts["b1"].incident
    assert alerts["b2"].incident == search_incident
    response = viewer_api.get(f"/api/v1/alerts/?incident={search_incident.number}")
    assert fingerprints(response) == ["b1", "b2"]
    assert fingerprints(viewer_api.get("/api/v1/alerts/?incident=999999")) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("label=service", "label"),
        ("label==checkout", "label"),
        ("status=exploded", "status"),
        ("incident=INC-one", "incident"),
    ],
)
def test_bad_alert_filters_are_400_json(viewer_api, alerts, query, field):
    response = viewer_api.get(f"/api/v1/alerts/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith(f"{field}: ")
    if field == "label":
        assert body["message"].startswith("label: Write a label matcher as name=value")


def test_alert_detail(viewer_api, alerts):
    response = viewer_api.get(f"/api/v1/alerts/{alerts['b2'].pk}/")
    assert response.status_code == 200
    assert response.json()["ends_at"] == "2026-03-02T08:45:00Z"
    assert viewer_api.get("/api/v1/alerts/999999/").status_code == 404


# --- integrations --------------------------------------------------------------------------


def _hook(token: str):
    body = payloads.body(payloads.notification([payloads.alert()]))
    return Client().post(
        "/hooks/alertmanager/",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_create_integration_returns_the_token_once_and_it_works(admin_api, checkout):
    response = admin_api.post(
        "/api/v1/integrations/",
        {
            "name": "am-prod",
            "default_service": "checkout",
            "severity_mapping": {"critical": "SEV1", "warning": "SEV3"},
            "resolve_policy": "resolved",
            "quiet_period_seconds": 900,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    token = body["token"]
    assert token.startswith(f"keel_am_{body['token_prefix']}_")
    assert body["webhook_url"].endswith("/hooks/alertmanager/")
    assert body["default_service"] == "checkout"
    assert body["severity_mapping"] == {"critical": "SEV1", "warning": "SEV3"}
    assert body["resolve_policy"] == "resolved"
    assert body["quiet_period_seconds"] == 900
    assert "token_digest" not in body
    integration = Integration.objects.get(name="am-prod")
    assert integration.quiet_period == timedelta(minutes=15)
    assert token not in json.dumps(list(Integration.objects.values()), default=str)

    hook = _hook(token)
    assert hook.status_code == 200
    assert Delivery.objects.get(pk=hook.json()["delivery"]).integration == integration


def test_integration_list_and_detail_never_show_the_token(admin_api, integration_and_token):
    integration, token = integration_and_token
    listed = admin_api.get("/api/v1/integrations/")
    detail = admin_api.get(f"/api/v1/integrations/{integration.pk}/")
    assert listed.status_code == detail.status_code == 200
    assert [i["name"] for i in listed.json()["results"]] == ["am-test"]
    assert detail.json()["token_prefix"] == integration.token_prefix
    for response in (listed, detail):
        text = response.content.decode()
        assert token not in text
        assert integration.token_digest not in text
        assert '"token"' not in text and "digest" not in text


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"name": "am-test"}, "name: integration with this name already exists."),
        ({}, "name: This field is required."),
        ({"name": "x", "default_service": "nope"}, "default_service: Object with slug=nope"),
        ({"name": "x", "severity_mapping": {"critical": "P1"}}, "severity_mapping: "),
        ({"name": "x", "quiet_period_seconds": 5}, "quiet_period_seconds: Ensure this value is"),
        ({"name": "x", "quiet_period_seconds": 10**15}, "quiet_period_seconds: Ensure this value"),
        ({"name": "x", "default_severity": "SEV0"}, 'default_severity: "SEV0" is not a valid'),
        ({"name": "x", "resolve_policy": "ignore"}, 'resolve_policy: "ignore" is not a valid'),
    ],
)
def test_bad_integration_is_400_and_not_created(admin_api, integration, payload, message):
    response = admin_api.post("/api/v1/integrations/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)
    assert list(Integration.objects.values_list("name", flat=True)) == ["am-test"]


def test_rotate_token_invalidates_the_old_token_at_once(
    admin_api, integration_and_token, django_capture_on_commit_callbacks
):
    integration, old_token = integration_and_token
    assert _hook(old_token).status_code == 200  # the webhook has cached the token now

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(f"/api/v1/integrations/{integration.pk}/rotate-token/")

    assert response.status_code == 200
    new_token = response.json()["token"]
    assert new_token != old_token
    integration.refresh_from_db()
    assert response.json()["token_prefix"] == integration.token_prefix
    rejected = _hook(old_token)
    assert rejected.status_code == 401
    assert rejected.json() == {"message": "Missing, unknown or disabled integration token."}
    assert Delivery.objects.count() == 1
    assert _hook(new_token).status_code == 200


def test_disabling_an_integration_makes_the_webhook_answer_401(
    admin_api, integration_and_token, django_capture_on_commit_callbacks
):
    integration, token = integration_and_token
    assert _hook(token).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(
            f"/api/v1/integrations/{integration.pk}/enabled/", {"enabled": False}, format="json"
        )

    assert response.status_code == 200
    assert response.json()["enabled"] is False
    assert Integration.objects.get(pk=integration.pk).enabled is False
    assert _hook(token).status_code == 401
    assert Delivery.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        admin_api.post(
            f"/api/v1/integrations/{integration.pk}/enabled/", {"enabled": True}, format="json"
        )
    assert _hook(token).status_code == 200


def test_integration_deliveries(admin_api, integration_and_token):
    integration, token = integration_and_token
    _hook(token)
    response = admin_api.get(f"/api/v1/integrations/{integration.pk}/deliveries/")
    assert response.status_code == 200
    [delivery] = response.json()["results"]
    assert delivery["state"] == "received"
    assert "body" not in delivery


def test_admin_changes_integration_routing_and_it_applies_to_new_deliveries(
    admin_api, integration_and_token, django_capture_on_commit_callbacks
):
    integration, token = integration_and_token
    response = admin_api.patch(
        f"/api/v1/integrations/{integration.pk}/",
        {
            "severity_mapping": {"critical": "SEV1"},
            "resolve_policy": "resolved",
            "quiet_period_seconds": 3600,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["severity_mapping"] == {"critical": "SEV1"}
    assert response.json()["quiet_period_seconds"] == 3600
    assert "token" not in response.json()

    with django_capture_on_commit_callbacks(execute=True):
        assert _hook(token).status_code == 200
    incident = Incident.objects.get()
    assert incident.severity == "SEV1"  # the label says critical, now mapped to SEV1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"severity_mapping": {"critical": "SEV9"}}, "severity_mapping"),
        ({"quiet_period_seconds": 5}, "quiet_period_seconds"),
        ({"service_label": ""}, "service_label"),
        ({"enabled": False}, "enabled"),
        ({"default_service": "no-such-service"}, "default_service"),
    ],
)
def test_bad_integration_change_is_400_and_changes_nothing(admin_api, integration, payload, field):
    before = Integration.objects.values().get(pk=integration.pk)
    response = admin_api.patch(f"/api/v1/integrations/{integration.pk}/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["message"]
    assert Integration.objects.values().get(pk=integration.pk) == before


def test_responder_cannot_change_an_integration(responder_api, integration):
    response = responder_api.patch(
        f"/api/v1/integrations/{integration.pk}/", {"resolve_policy": "resolved"}, format="json"
    )
    assert response.status_code == 403
    assert Integration.objects.get(pk=integration.pk).resolve_policy == "monitoring"


def test_a_failed_delivery_can_be_replayed(
    admin_api, integration_and_token, django_capture_on_commit_callbacks
):
    integration, token = integration_and_token
    assert _hook(token).status_code == 200  # stored; not processed (no on-commit run)
    delivery = Delivery.objects.get()
    Delivery.objects.filter(pk=delivery.pk).update(
        state="failed", attempts=5, error="OperationalError: server closed the connection"
    )
    url = f"/api/v1/integrations/{integration.pk}/deliveries/{delivery.pk}/replay/"

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(url)

    assert response.status_code == 200
    assert response.json()["error"] == ""
    delivery.refresh_from_db()
    assert delivery.state == "processed"
    assert Incident.objects.count() == 1
    again = admin_api.post(url)
    assert again.status_code == 400
    assert "processed already" in again.json()["message"]
    assert Incident.objects.count() == 1


def test_unknown_integration_is_404_json(admin_api):
    for path in ("/api/v1/integrations/999999/", "/api/v1/integrations/abc/"):
        response = admin_api.get(path)
        assert response.status_code == 404
        assert "message" in response.json()


# --- services ------------------------------------------------------------------------------


def test_services_list_and_detail(viewer_api, checkout):
    ServiceFactory(slug="auth", name="Auth")
    listed = viewer_api.get("/api/v1/services/")
    assert listed.status_code == 200
    assert [s["slug"] for s in listed.json()["results"]] == ["auth", "checkout"]
    detail = viewer_api.get("/api/v1/services/checkout/")
    assert detail.json()["name"] == "Checkout"
    assert detail.json()["discovered"] is False
    missing = viewer_api.get("/api/v1/services/nope/")
    assert missing.status_code == 404
    assert "message" in missing.json()


def test_admin_creates_a_service_and_responder_cannot(admin_api, responder_api):
    denied = responder_api.post(
        "/api/v1/services/", {"slug": "auth", "name": "Auth"}, format="json"
    )
    assert denied.status_code == 403
    assert denied.json() == {"message": "This needs the admin role."}
    assert not Service.objects.filter(slug="auth").exists()

    created = admin_api.post("/api/v1/services/", {"slug": "auth", "name": "Auth"}, format="json")
    assert created.status_code == 201
    assert Service.objects.get(slug="auth").name == "Auth"

    duplicate = admin_api.post("/api/v1/services/", {"slug": "auth", "name": "A"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["message"].startswith("slug: ")


def test_discovered_services_filter(viewer_api, checkout):
    Service.objects.create(slug="found", name="found", discovered=True)
    response = viewer_api.get("/api/v1/services/?discovered=true")
    assert [s["slug"] for s in response.json()["results"]] == ["found"]


# --- metrics -------------------------------------------------------------------------------


@pytest.fixture
def measured(responder, checkout):
    """Incidents with known times (seconds after their start)."""
    search = ServiceFactory(slug="search")
    actor = Actor.of(responder)

    def incident(started, detect, ack, resolve, severity, svcs, kind=Kind.MANUAL):
        made = declare(
            responder,
            severity=severity,
            services=svcs,
            kind=kind,
            started_at=started,
            at=started + timedelta(seconds=detect),
        )
        if ack is not None:
            services.incident_acknowledge(
                incident=made, actor=actor, at=started + timedelta(seconds=detect + ack)
            )
        if resolve is not None:
            services.incident_resolve(
                incident=made, actor=actor, at=started + timedelta(seconds=resolve)
            )
        return made

    # detect = started→detected, ack = detected→acknowledged, resolve = started→resolved
    incident(T0, 60, 120, 600, Severity.SEV1, [checkout])
    incident(minutes(60), 120, 300, 1800, Severity.SEV1, [search])
    incident(minutes(120), 30, None, None, Severity.SEV2, [checkout, search])
    incident(minutes(130), 9000, 9000, 90000, Severity.SEV1, [checkout], kind=Kind.DRILL)
    incident(T0 - timedelta(days=10), 600, None, 3600, Severity.SEV3, [checkout])


def summary(count, mean=None, p50=None, p90=None, maximum=None) -> dict:
    values = {"count": count, "mean": mean, "p50": p50, "p90": p90, "max": maximum}
    return {
        k: pytest.approx(v) if isinstance(v, float | int) and k != "count" else v
        for k, v in values.items()
    }


def test_metrics_overall_by_service_and_by_severity(viewer_api, measured):
    since, until = iso(T0 - timedelta(minutes=1)), iso(minutes(180))
    response = viewer_api.get(f"/api/v1/metrics/incidents/?since={since}&until={until}")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["since"] == since
    assert body["until"] == until
    assert body["overall"] == {
        "count": 3,
        "time_to_detect": summary(3, 70.0, 60.0, 108.0, 120.0),
        "time_to_acknowledge": summary(2, 210.0, 210.0, 282.0, 300.0),
        "time_to_resolve": summary(2, 1200.0, 1200.0, 1680.0, 1800.0),
    }
    assert body["by_service"] == [
        {
            "service": "checkout",
            "count": 2,
            "time_to_detect": summary(2, 45.0, 45.0, 57.0, 60.0),
            "time_to_acknowledge": summary(1, 120.0, 120.0, 120.0, 120.0),
            "time_to_resolve": summary(1, 600.0, 600.0, 600.0, 600.0),
        },
        {
            "service": "search",
            "count": 2,
            "time_to_detect": summary(2, 75.0, 75.0, 111.0, 120.0),
            "time_to_acknowledge": summary(1, 300.0, 300.0, 300.0, 300.0),
            "time_to_resolve": summary(1, 1800.0, 1800.0, 1800.0, 1800.0),
        },
    ]
    assert body["by_severity"] == [
        {
            "severity": "SEV1",
            "count": 2,
            "time_to_detect": summary(2, 90.0, 90.0, 114.0, 120.0),
            "time_to_acknowledge": summary(2, 210.0, 210.0, 282.0, 300.0),
            "time_to_resolve": summary(2, 1200.0, 1200.0, 1680.0, 1800.0),
        },
        {
            "severity": "SEV2",
            "count": 1,
            "time_to_detect": summary(1, 30.0, 30.0, 30.0, 30.0),
            "time_to_acknowledge": summary(0),
            "time_to_resolve": summary(0),
        },
    ]


def test_metrics_without_a_window_include_everything_but_drills(viewer_api, measured):
    body = viewer_api.get("/api/v1/metrics/incidents/").json()
    assert body["since"] is None and body["until"] is None
    assert body["overall"]["count"] == 4
    assert body["overall"]["time_to_detect"] == summary(4, 202.5, 90.0, 456.0, 600.0)
    assert body["overall"]["time_to_resolve"]["max"] == pytest.approx(3600.0)
    assert [b["severity"] for b in body["by_severity"]] == ["SEV1", "SEV2", "SEV3"]
    assert [b["count"] for b in body["by_severity"]] == [2, 1, 1]
    assert Incident.objects.filter(kind=Kind.DRILL).count() == 1


def test_metrics_until_only(viewer_api, measured):
    body = viewer_api.get(f"/api/v1/metrics/incidents/?until={iso(minutes(90))}").json()
    assert body["overall"]["count"] == 3
    assert body["overall"]["time_to_detect"] == summary(3, 260.0, 120.0, 504.0, 600.0)
    assert [b["severity"] for b in body["by_severity"]] == ["SEV1", "SEV3"]


def test_metrics_with_no_incidents(viewer_api):
    body = viewer_api.get("/api/v1/metrics/incidents/").json()
    assert body["overall"] == {
        "count": 0,
        "time_to_detect": summary(0),
        "time_to_acknowledge": summary(0),
        "time_to_resolve": summary(0),
    }
    assert body["by_service"] == [] and body["by_severity"] == []


@pytest.mark.parametrize("query", ["since=last-week", "until=2026-02-30T00:00:00Z"])
def test_metrics_bad_dates_are_400_json(viewer_api, query):
    response = viewer_api.get(f"/api/v1/metrics/incidents/?{query}")
    assert response.status_code == 400
    assert response.json()["message"].startswith(query.split("=")[0] + ": ")


def test_metrics_need_sign_in():
    response = APIClient().get("/api/v1/metrics/incidents/")
    assert response.status_code == 401
    assert "message" in response.json()


# --- schema and docs -----------------------------------------------------------------------


def test_openapi_schema_is_valid_and_has_the_incident_paths(viewer_api):
    response = viewer_api.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path in [
        "/api/v1/incidents/",
        "/api/v1/incidents/{number}/",
        "/api/v1/incidents/{number}/acknowledge/",
        "/api/v1/incidents/{number}/status/",
        "/api/v1/incidents/{number}/correct-time/",
        "/api/v1/incidents/{number}/timeline/{entry_id}/pin/",
        "/api/v1/alerts/",
        "/api/v1/integrations/",
        "/api/v1/integrations/{id}/rotate-token/",
        "/api/v1/metrics/incidents/",
        "/api/v1/services/",
    ]:
        assert path in paths, path
    assert set(paths["/api/v1/incidents/"]) >= {"get", "post"}
    assert "post" in paths["/api/v1/incidents/{number}/responders/"]
    assert "delete" in paths["/api/v1/incidents/{number}/responders/{username}/"]


def test_openapi_schema_as_yaml(viewer_api):
    response = viewer_api.get("/api/schema/")
    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")
    assert b"/api/v1/incidents/{number}/acknowledge/:" in response.content


def test_api_docs_render_without_a_cdn():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    # The page's script is a file of its own (no inline script under the CSP): it loads
    # the schema from Keel.
    assert '<script src="/api/docs/?script="></script>' in html
    script = Client().get("/api/docs/?script=").content.decode()
    assert "/api/schema/" in script
    for cdn in ("cdn.", "jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert cdn not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html


# --- bounded queries ----------------------------------------------------------------------


def _busy_incidents(integration, responder, count: int) -> None:
    """`count` alert incidents, each with services, responders, alerts and timeline entries."""
    for i in range(count):
        group = {"alertname": "HighErrorRate", "service": f"svc-{i % 3}", "n": str(i)}
        alerts = [
            payloads.alert(
                fingerprint=f"{i:08x}{j:08x}", service=f"svc-{i % 3}", extra_labels={"n": str(i)}
            )
            for j in range(3)
        ]
        body = payloads.body(payloads.notification(alerts, group_labels=group))
        delivery = services.delivery_receive(integration_id=integration.pk, body=body, at=T0)
        services.delivery_process(delivery_id=delivery.pk, at=T0)
        incident = Incident.objects.get(number=Incident.objects.order_by("-number")[0].number)
        actor = Actor.of(responder)
        services.incident_add_responder(incident=incident, user=responder, actor=actor)
        services.incident_assign_commander(incident=incident, commander=responder, actor=actor)
        services.incident_add_note(incident=incident, text="Looking.", actor=actor)


@pytest.mark.parametrize("count", [2, 12])
def test_incident_list_runs_the_same_queries_whatever_its_length(
    responder_api, responder, integration, count, django_assert_max_num_queries
):
    _busy_incidents(integration, responder, count)
    with django_assert_max_num_queries(8):
        response = responder_api.get(INCIDENTS)
    assert response.status_code == 200
    assert response.json()["count"] == count
    assert all(row["alert_count"] == 3 for row in response.json()["results"])


@pytest.mark.parametrize("count", [1, 6])
def test_incident_detail_runs_the_same_queries_whatever_its_size(
    responder_api, responder, integration, count, django_assert_max_num_queries
):
    _busy_incidents(integration, responder, 1)
    incident = Incident.objects.get()
    for n in range(count):
        services.incident_add_note(incident=incident, text=f"note {n}", actor=Actor.of(responder))
    with django_assert_max_num_queries(12):
        response = responder_api.get(f"{INCIDENTS}{incident.number}/")
    assert response.status_code == 200
    assert len(response.json()["alerts"]) == 3
    assert len(response.json()["timeline"]) >= count


@pytest.mark.parametrize(
    "body",
    [
        {"name": "am-nul", "severity_mapping": {"\u0000": "SEV1"}},
        {"name": "am\u0000nul"},
    ],
)
def test_nul_characters_are_a_400_and_store_nothing(admin_api, body):
    # PostgreSQL can store NUL in neither text nor jsonb.
    from incidents.models import Integration

    response = admin_api.post("/api/v1/integrations/", body, format="json")
    assert response.status_code == 400
    assert "NUL" in response.json()["message"]
    assert not Integration.objects.exists()


@pytest.mark.parametrize(
    "query", ["q=a%00b", "owner=%00", "%00=1", "status=open&service=check%00out"]
)
def test_nul_in_a_query_string_is_a_400(viewer_api, client, viewer, query):
    response = viewer_api.get(f"{INCIDENTS}?{query}")
    assert response.status_code == 400
    assert "NUL" in response.json()["message"]
    client.force_login(viewer)
    page = client.get(f"/incidents/?{query}")
    assert page.status_code == 400
