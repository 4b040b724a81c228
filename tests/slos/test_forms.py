"""The SLO pages' forms: define and edit SLOs, add corrections, record and revoke gate
bypasses; and revoking a bypass through the service and the API."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from slos.errors import SloError
from slos.models import SLO, Correction, GateBypass
from slos.services import gate_bypass_create, gate_bypass_revoke, gate_check
from tests.factories import ServiceFactory, SLOFactory, push_minutes

pytestmark = pytest.mark.django_db

SLO_POST = {
    "service": "checkout",
    "name": "latency",
    "description": "Requests under 300 ms",
    "objective": "99.5",
    "window_kind": "rolling",
    "window_days": "28",
    "time_zone": "UTC",
    "budgeting_method": "occurrences",
    "slice_seconds": "60",
    "slice_target": "",
    "source": "pushed",
    "bad_query": "",
    "good_query": "",
    "total_query": "",
    "alert_windows": "",
    "policy": '{"caution_below": 0.4}',
    "labels": '{"team": "payments"}',
}


def _client(user, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def _exhausted(service) -> SLO:
    """An SLO of `service` whose last hour burnt through its whole budget."""
    slo = SLOFactory(service=service)
    now = timezone.now()
    push_minutes(slo, now - timedelta(minutes=60), 61, good=990, total=1000, now=now)
    return slo


def test_admin_creates_an_slo_from_the_form(admin_user, checkout):
    client = _client(admin_user)
    page = client.get("/slos/new/?service=checkout")
    assert page.status_code == 200
    assert b'name="objective"' in page.content and b'name="alert_windows"' in page.content
    response = client.post("/slos/new/", SLO_POST, follow=True)
    slo = SLO.objects.get(service=checkout, name="latency")
    assert response.redirect_chain[-1][0] == f"/slos/{slo.pk}/"
    assert b"SLO latency created." in response.content and b"99.5" in response.content
    assert slo.objective == Decimal("99.5") and slo.window_days == 28
    assert slo.policy == {"caution_below": 0.4} and slo.labels == {"team": "payments"}
    assert slo.alert_windows == []


def test_bad_slo_input_is_shown_next_to_its_field_and_kept(admin_user, checkout):
    client = _client(admin_user)
    response = client.post("/slos/new/", {**SLO_POST, "objective": "100", "name": "keep-me"})
    assert response.status_code == 400
    html = response.content.decode()
    objective_field = html[
        html.index('name="objective"') - 400 : html.index('name="objective"') + 400
    ]
    assert "has-error" in objective_field and "99.99999" in objective_field
    assert 'value="keep-me"' in html
    assert not SLO.objects.exists()


def test_service_refusals_land_on_the_field_they_name(admin_user, checkout):
    """Rules the service enforces (a Prometheus SLI needs queries, a known time zone,
    unique names) come back next to the field, nothing saved."""
    client = _client(admin_user)
    response = client.post("/slos/new/", {**SLO_POST, "source": "prometheus"})
    assert response.status_code == 400
    html = response.content.decode()
    total = html[html.index('name="total_query"') - 400 : html.index('name="total_query"') + 400]
    assert "A Prometheus SLI needs a total query." in total
    response = client.post("/slos/new/", {**SLO_POST, "time_zone": "Mars/Olympus"})
    assert "Unknown time zone" in response.content.decode()
    SLOFactory(service=checkout, name="latency")
    response = client.post("/slos/new/", {**SLO_POST, "policy": '{"nope": 1}'})
    assert "Unknown keys: nope." in response.content.decode()
    response = client.post("/slos/new/", SLO_POST)
    assert response.status_code == 400
    assert "checkout already has an SLO named &#x27;latency&#x27;." in response.content.decode()
    assert SLO.objects.filter(service=checkout).count() == 1


def test_admin_edits_an_slo_and_the_form_shows_its_current_definition(admin_user, checkout):
    slo = SLOFactory(service=checkout, name="availability", objective=Decimal("99.9"))
    other = ServiceFactory(slug="search", name="Search")
    client = _client(admin_user)
    page = client.get(f"/slos/{slo.pk}/edit/").content.decode()
    assert 'value="availability"' in page and 'value="99.9' in page
    response = client.post(
        f"/slos/{slo.pk}/edit/",
        {**SLO_POST, "service": "search", "name": "availability", "objective": "99.95"},
    )
    assert response.status_code == 302
    slo.refresh_from_db()
    assert slo.objective == Decimal("99.95") and slo.service == other
    assert slo.window_days == 28


@pytest.mark.parametrize("who", ["responder", "viewer"])
def test_only_admins_define_slos_and_corrections(request, who, checkout):
    slo = SLOFactory(service=checkout, name="availability")
    client = _client(request.getfixturevalue(who))
    assert client.post("/slos/new/", SLO_POST).status_code == 403
    assert client.post(f"/slos/{slo.pk}/edit/", {**SLO_POST, "name": "x"}).status_code == 403
    correction = {
        "slo": "",
        "start": "2026-11-21T10:00:00Z",
        "end": "2026-11-21T11:00:00Z",
        "category": "drill",
        "reason": "game day",
    }
    response = client.post("/slos/services/checkout/corrections/new/", correction)
    assert response.status_code == 403
    slo.refresh_from_db()
    assert slo.name == "availability"
    assert SLO.objects.count() == 1 and not Correction.objects.exists()
    page = client.get("/slos/services/checkout/").content.decode()
    assert "New SLO" not in page and "Add correction" not in page


def test_forms_refuse_a_post_without_the_csrf_token(admin_user, checkout):
    client = _client(admin_user, csrf=True)
    assert client.post("/slos/new/", SLO_POST).status_code == 403
    assert client.post("/slos/services/checkout/bypasses/new/", {}).status_code == 403
    assert not SLO.objects.exists()


def test_service_wide_correction_from_the_form_restores_the_budget(admin_user, checkout):
    slo = SLOFactory(service=checkout)
    now = timezone.now().replace(second=0, microsecond=0)
    outage = now - timedelta(minutes=50)
    push_minutes(
        slo, now - timedelta(minutes=60), 60, good=1000, total=1000, now=now, worse=(outage, 10, 0)
    )
    assert gate_check(service=checkout).decision.decision == "block"
    client = _client(admin_user)
    body = {
        "slo": "",
        "start": outage.isoformat(),
        "end": (outage - timedelta(minutes=5)).isoformat(),
        "category": "maintenance",
        "reason": "planned database failover",
    }
    response = client.post("/slos/services/checkout/corrections/new/", body)
    assert response.status_code == 400
    assert "The end must be after the start." in response.content.decode()
    assert "planned database failover</textarea>" in response.content.decode()
    body["end"] = (outage + timedelta(minutes=10)).isoformat()
    response = client.post("/slos/services/checkout/corrections/new/", body)
    assert response.status_code == 302 and response["Location"] == "/slos/services/checkout/"
    correction = Correction.objects.get()
    assert correction.service == checkout and correction.slo is None
    figures = gate_check(service=checkout).figures[0]
    assert figures.remaining == 1


def test_correction_of_one_slo_from_its_page(admin_user, checkout):
    slo = SLOFactory(service=checkout, name="availability")
    SLOFactory(service=checkout, name="latency")
    client = _client(admin_user)
    page = client.get(f"/slos/{slo.pk}/").content.decode()
    assert f"/slos/services/checkout/corrections/new/?slo={slo.pk}" in page
    response = client.post(
        "/slos/services/checkout/corrections/new/",
        {
            "slo": str(slo.pk),
            "start": "2026-11-21T10:00:00Z",
            "end": "2026-11-21T11:00:00Z",
            "category": "drill",
            "reason": "game day",
        },
    )
    assert response["Location"] == f"/slos/{slo.pk}/"
    assert Correction.objects.get().slo == slo
    # an SLO of another service cannot be chosen
    foreign = SLOFactory(service=ServiceFactory(slug="search"))
    response = client.post(
        "/slos/services/checkout/corrections/new/",
        {
            "slo": str(foreign.pk),
            "start": "2026-11-21T10:00:00Z",
            "end": "2026-11-21T11:00:00Z",
            "category": "drill",
            "reason": "game day",
        },
    )
    assert response.status_code == 400 and Correction.objects.count() == 1


def test_responder_records_a_bypass_from_the_service_page(responder, checkout):
    _exhausted(checkout)
    client = _client(responder)
    page = client.get("/slos/services/checkout/").content.decode()
    assert "/slos/services/checkout/bypasses/new/" in page
    expires = (timezone.now() + timedelta(days=8)).isoformat()
    response = client.post(
        "/slos/services/checkout/bypasses/new/",
        {"kind": "hotfix", "reason": "payment rounding bug", "expires_at": expires},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "A bypass lasts at most 7 days." in html and "payment rounding bug" in html
    assert not GateBypass.objects.exists()
    expires = (timezone.now() + timedelta(hours=2)).isoformat()
    response = client.post(
        "/slos/services/checkout/bypasses/new/",
        {"kind": "hotfix", "reason": "payment rounding bug", "expires_at": expires},
        follow=True,
    )
    html = response.content.decode()
    assert "Bypass recorded" in html
    assert "payment rounding bug" in html and "active" in html
    assert gate_check(service=checkout).decision.decision == "allow"


def test_viewer_cannot_record_a_bypass(viewer, checkout):
    client = _client(viewer)
    expires = (timezone.now() + timedelta(hours=2)).isoformat()
    response = client.post(
        "/slos/services/checkout/bypasses/new/",
        {"kind": "hotfix", "reason": "x", "expires_at": expires},
    )
    assert response.status_code == 403 and not GateBypass.objects.exists()
    assert "Bypass the gate" not in client.get("/slos/services/checkout/").content.decode()


def _bypass(user, service, hours: int = 2) -> GateBypass:
    return gate_bypass_create(
        actor=Actor.of(user),
        service=service,
        kind="security",
        reason="CVE in the TLS library",
        expires_at=timezone.now() + timedelta(hours=hours),
    )


def test_revoking_a_bypass_closes_the_gate_again_and_stays_on_the_history(
    responder, admin_user, checkout
):
    _exhausted(checkout)
    bypass = _bypass(admin_user, checkout)
    assert gate_check(service=checkout).decision.decision == "allow"
    client = _client(responder)
    page = client.get("/slos/services/checkout/").content.decode()
    assert f"/slos/services/checkout/bypasses/{bypass.pk}/revoke/" in page
    response = client.post(f"/slos/services/checkout/bypasses/{bypass.pk}/revoke/", follow=True)
    html = response.content.decode()
    assert "Bypass revoked" in html
    assert "CVE in the TLS library" in html and "revoked</strong> by rita" in html
    assert gate_check(service=checkout).decision.decision == "block"
    again = client.post(f"/slos/services/checkout/bypasses/{bypass.pk}/revoke/", follow=True)
    assert "This bypass was already revoked." in again.content.decode()


def test_revoke_needs_post_a_responder_and_a_live_bypass(viewer, responder, checkout):
    bypass = _bypass(responder, checkout)
    url = f"/slos/services/checkout/bypasses/{bypass.pk}/revoke/"
    assert _client(responder).get(url).status_code == 405
    assert _client(viewer).post(url).status_code == 403
    bypass.refresh_from_db()
    assert bypass.revoked_at is None
    with pytest.raises(SloError, match="already expired"):
        gate_bypass_revoke(
            actor=Actor.of(responder), bypass=bypass, at=bypass.expires_at + timedelta(seconds=1)
        )
    assert (
        _client(responder).post(f"/slos/services/search/bypasses/{bypass.pk}/revoke/").status_code
        == 404
    )


def test_revoke_through_the_api(responder_api, viewer_api, responder, checkout):
    _exhausted(checkout)
    bypass = _bypass(responder, checkout)
    url = f"/api/v1/gate/bypass/{bypass.pk}/revoke/"
    assert viewer_api.post(url).status_code == 403
    assert viewer_api.get("/api/v1/gate/?service=checkout").json()["decision"] == "allow"
    response = responder_api.post(url)
    assert response.status_code == 200, response.json()
    assert response.json()["revoked_by"] == "rita" and response.json()["revoked_at"]
    gate = viewer_api.get("/api/v1/gate/?service=checkout").json()
    assert gate["decision"] == "block" and gate["bypass"] is None
    again = responder_api.post(url)
    assert again.status_code == 400 and "already revoked" in again.json()["message"]
    assert responder_api.post("/api/v1/gate/bypass/999999/revoke/").status_code == 404
