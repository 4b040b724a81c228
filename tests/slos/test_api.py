"""The SLO API: definitions, pushed events, ledger, impacts, the gate and bypasses."""

from datetime import timedelta

import pytest
from django.utils import timezone

from slos.models import SLO, GateBypass, SliBucket
from tests.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.django_db


def _fresh_healthy(slo, minutes=90):
    now = timezone.now()
    push_minutes(slo, now - timedelta(minutes=minutes), minutes + 1, good=1000, total=1000, now=now)


def test_admin_defines_an_slo_and_everyone_reads_it(admin_api, viewer_api, checkout):
    body = {
        "service": "checkout",
        "name": "availability",
        "objective": "99.9",
        "source": "pushed",
        "budgeting_method": "occurrences",
    }
    response = admin_api.post("/api/v1/slos/", body, format="json")
    assert response.status_code == 201, response.json()
    listed = viewer_api.get("/api/v1/slos/").json()["results"]
    assert [(s["service"], s["name"], s["objective"]) for s in listed] == [
        ("checkout", "availability", "99.90000")
    ]
    again = admin_api.post("/api/v1/slos/", body, format="json")
    assert again.status_code == 400
    assert "name" in again.json()["errors"]
    assert viewer_api.post("/api/v1/slos/", {**body, "name": "x"}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"objective": "100"}, "objective"),
        ({"source": "prometheus"}, "total_query"),
        ({"budgeting_method": "timeslices"}, "slice_target"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"alert_windows": [{"severity": "page"}]}, "alert_windows"),
    ],
)
def test_bad_slo_definitions_are_400_with_the_field(admin_api, checkout, change, field):
    body = {"service": "checkout", "name": "availability", "objective": "99.9", **change}
    response = admin_api.post("/api/v1/slos/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert response.json()["message"]
    assert not SLO.objects.exists()


def test_push_events_and_read_the_budget(responder_api, checkout):
    slo = SLOFactory(service=checkout)
    now = timezone.now().replace(second=0, microsecond=0)
    events = [
        {"at": (now - timedelta(minutes=2)).isoformat(), "good": 9_990, "total": 10_000},
        {"at": (now - timedelta(minutes=1)).isoformat(), "good": 10_000, "total": 10_000},
    ]
    response = responder_api.post(
        f"/api/v1/slos/{slo.pk}/events", {"events": events}, format="json"
    )
    assert response.status_code == 202, response.json()
    assert response.json() == {"minutes": 2}
    assert SliBucket.objects.filter(slo=slo).count() == 2
    ledger = responder_api.get(f"/api/v1/slos/{slo.pk}/ledger/").json()
    assert ledger["method"] == "occurrences"


@pytest.mark.parametrize(
    "body",
    [
        {
            "events": [
                {"at": "2026-01-01", "good": 1, "total": 1},
                {"at": "nope", "good": 1, "total": 1},
            ]
        },
        {"events": []},
        {"events": "many"},
        {"nothing": True},
        [{"at": "2026-11-20T10:00:00Z", "good": 5, "total": 4}],
    ],
)
def test_bad_batches_are_400_json_and_store_nothing(responder_api, checkout, body):
    slo = SLOFactory(service=checkout)
    response = responder_api.post(f"/api/v1/slos/{slo.pk}/events", body, format="json")
    assert response.status_code == 400
    assert response.json()["message"]
    assert not SliBucket.objects.exists()


def test_ledger_lists_incident_debits_and_the_rest(
    admin_api, responder, checkout, django_capture_on_commit_callbacks
):
    from core.actors import Actor
    from incidents.services import incident_declare, incident_resolve
    from slos.services import slo_evaluate

    slo = SLOFactory(service=checkout)
    now = timezone.now().replace(second=0, microsecond=0)
    incident_start = now - timedelta(hours=4)
    push_minutes(
        slo,
        now - timedelta(hours=5),
        180,
        good=1000,
        total=1000,
        now=now,
        worse=(incident_start, 10, 990),
    )
    push_minutes(
        slo,
        now - timedelta(hours=2),
        120,
        good=1000,
        total=1000,
        now=now,
        worse=(now - timedelta(hours=2), 5, 996),
    )
    actor = Actor.of(responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=actor,
            title="Errors",
            severity="SEV2",
            services=[checkout],
            started_at=now - timedelta(hours=4),
            at=now - timedelta(hours=3),
        )
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(
            incident=incident, actor=actor, at=now - timedelta(hours=4) + timedelta(minutes=10)
        )
    slo_evaluate(slo=slo, at=now)
    ledger = admin_api.get(f"/api/v1/slos/{slo.pk}/ledger/").json()
    # 300,000 events allow 300 bad; the incident's 100 bad are a third, 20 more outside it
    assert ledger["allowance"] == "300.000000"
    assert [(line["label"], line["bad"]) for line in ledger["lines"]] == [
        (incident.reference, "100.000000"),
        ("outside any incident", "20.000000"),
    ]
    assert ledger["remaining"] == "0.600000"
    impacts = admin_api.get(f"/api/v1/budget-impacts/?incident={incident.number}").json()["results"]
    # frozen at resolution against the window that ended then: 70,000 events allowed 70 bad
    assert impacts[0]["fraction"] == "1.42857143"
    assert impacts[0]["allowed"] == "70.000000"
    assert impacts[0]["frozen"] is True


def test_gate_allows_a_healthy_service(viewer_api, checkout):
    slo = SLOFactory(service=checkout)
    _fresh_healthy(slo)
    body = viewer_api.get("/api/v1/gate/?service=checkout").json()
    assert body["decision"] == "allow", body
    assert body["tier"] == "healthy"
    assert body["slos"][0]["remaining"] == 1.0
    assert body["slos"][0]["burn_1h"] == 0.0
    assert body["slos"][0]["data_age_s"] < 120


def test_gate_fails_closed_on_stale_pushed_data(viewer_api, checkout):
    slo = SLOFactory(service=checkout)
    now = timezone.now()
    push_minutes(slo, now - timedelta(hours=2), 60, good=1000, total=1000, now=now)
    body = viewer_api.get("/api/v1/gate/?service=checkout").json()
    assert body["decision"] == "block"
    assert "no data" in body["reasons"][0] or "stale" in body["reasons"][0]


def test_gate_without_service_or_unknown_service(viewer_api):
    response = viewer_api.get("/api/v1/gate/")
    assert response.status_code == 400 and "service" in response.json()["errors"]
    assert viewer_api.get("/api/v1/gate/?service=nope").status_code == 404


def test_hotfix_bypass_lets_an_exhausted_budget_through(responder_api, viewer_api, checkout):
    slo = SLOFactory(service=checkout)
    now = timezone.now()
    push_minutes(slo, now - timedelta(minutes=60), 61, good=990, total=1000, now=now)
    assert viewer_api.get("/api/v1/gate/?service=checkout").json()["decision"] == "block"
    bad = responder_api.post(
        "/api/v1/gate/bypass/",
        {
            "service": "checkout",
            "kind": "hotfix",
            "reason": "",
            "expires_at": (now + timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    assert bad.status_code == 400 and not GateBypass.objects.exists()
    assert (
        viewer_api.post(
            "/api/v1/gate/bypass/",
            {
                "service": "checkout",
                "kind": "hotfix",
                "reason": "x",
                "expires_at": (now + timedelta(hours=2)).isoformat(),
            },
            format="json",
        ).status_code
        == 403
    )
    made = responder_api.post(
        "/api/v1/gate/bypass/",
        {
            "service": "checkout",
            "kind": "hotfix",
            "reason": "payment rounding bug",
            "expires_at": (now + timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    assert made.status_code == 201, made.json()
    body = viewer_api.get("/api/v1/gate/?service=checkout").json()
    assert body["decision"] == "allow"
    assert body["bypass"]["by"] == "rita"
    assert any("payment rounding bug" in r for r in body["reasons"])


def test_service_wide_correction_removes_an_outage(admin_api, viewer_api, checkout):
    slo = SLOFactory(service=checkout)
    now = timezone.now().replace(second=0, microsecond=0)
    outage = now - timedelta(minutes=50)
    push_minutes(
        slo,
        now - timedelta(minutes=60),
        60,
        good=1000,
        total=1000,
        now=now,
        worse=(outage, 10, 0),
    )
    body = {
        "start": outage.isoformat(),
        "end": (outage + timedelta(minutes=10)).isoformat(),
        "category": "maintenance",
        "reason": "planned database failover",
    }
    assert (
        viewer_api.post("/api/v1/services/checkout/corrections/", body, format="json").status_code
        == 403
    )
    bad = admin_api.post(
        "/api/v1/services/checkout/corrections/", {**body, "reason": ""}, format="json"
    )
    assert bad.status_code == 400 and "reason" in bad.json()["errors"]
    assert viewer_api.get("/api/v1/gate/?service=checkout").json()["tier"] == "freeze"
    made = admin_api.post("/api/v1/services/checkout/corrections/", body, format="json")
    assert made.status_code == 201, made.json()
    gate = viewer_api.get("/api/v1/gate/?service=checkout").json()
    assert gate["slos"][0]["remaining"] == 1.0
    assert gate["decision"] == "allow"
