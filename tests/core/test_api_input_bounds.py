"""Hostile input on the API answers a 400 (or 404) with a JSON message, never a 500."""

import pytest

from postmortems.models import Postmortem
from tests.factories import realistic_incident

pytestmark = pytest.mark.django_db


def _message(response) -> str:
    body = response.json()
    assert isinstance(body.get("message"), str) and body["message"], body
    return body["message"]


def test_deeply_nested_json_is_a_400(responder_api):
    body = "[" * 5000 + "]" * 5000
    response = responder_api.post("/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code == 400
    assert "nest" in _message(response)


def test_moderately_nested_json_still_parses(admin_api, checkout):
    nested = '{"a":' * 30 + "1" + "}" * 30
    body = '{"title": "t", "severity": "sev3", "summary": "x", "junk": ' + nested + "}"
    response = admin_api.post("/api/v1/incidents/", body, content_type="application/json")
    assert response.status_code in (201, 400)
    assert "nest" not in response.json().get("message", "")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("delete", "/api/v1/oncall/contact-methods/abc/"),
        ("post", "/api/v1/oncall/calendar-feeds/abc/revoke/"),
        ("get", "/api/v1/oncall/pages/abc/"),
        ("get", "/api/v1/oncall/overrides/abc/"),
        ("get", "/api/v1/oncall/layers/abc/"),
        ("get", "/api/v1/oncall/handoffs/abc/"),
        ("get", "/api/v1/oncall/escalation-policies/abc/"),
        ("get", "/api/v1/alerts/abc/"),
        ("get", "/api/v1/integrations/abc/"),
        ("get", "/api/v1/budget-impacts/abc/"),
        ("get", "/api/v1/action-items/abc/"),
        ("delete", "/api/v1/oncall/contact-methods/99999999999999999999/"),
        ("get", "/api/v1/alerts/99999999999999999999/"),
        ("get", "/api/v1/services/%00/"),
        ("delete", "/api/v1/services/%00/"),
        ("get", "/api/v1/oncall/teams/%00/"),
        ("get", "/api/v1/oncall/teams/caf%C3%A9/"),
    ],
)
def test_ids_and_slugs_that_cannot_name_an_object_are_404(admin_api, method, url):
    response = getattr(admin_api, method)(url)
    assert response.status_code == 404
    _message(response)


@pytest.fixture
def number(integration, responder):
    return realistic_incident(integration, responder).incident.number


@pytest.mark.parametrize("field", ["failed_requests", "users_affected"])
@pytest.mark.parametrize("value", [2**63, 2**64, 10**30])
def test_postmortem_figures_beyond_the_column_are_400(responder_api, number, field, value):
    url = f"/api/v1/incidents/{number}/postmortem/figures/"
    response = responder_api.patch(url, {field: value}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    stored = Postmortem.objects.filter(incident__number=number).values_list(field, flat=True)
    assert set(stored) <= {None}


def test_postmortem_base_revision_beyond_the_column_is_400(responder_api, number):
    url = f"/api/v1/incidents/{number}/postmortem/sections/summary/"
    response = responder_api.put(url, {"body": "x", "base_revision": 2**63}, format="json")
    assert response.status_code == 400
    assert "base_revision" in response.json()["errors"]


@pytest.mark.parametrize("value", ["0.", "1e999", "NaN", "Infinity", "99.99999999999", "0"])
def test_service_sla_objective_odd_decimals_are_400(admin_api, checkout, value):
    response = admin_api.patch(
        "/api/v1/services/checkout/", {"sla_objective": value}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "sla_objective" in response.json()["errors"]
    checkout.refresh_from_db()
    assert checkout.sla_objective is None


@pytest.mark.parametrize("page", ["99999999999999999999", "-1", "0", "abc", "1e9"])
@pytest.mark.parametrize("url", ["/api/v1/incidents/", "/api/v1/alerts/", "/api/v1/oncall/pages/"])
def test_api_page_numbers_out_of_range_are_404_json(admin_api, url, page):
    response = admin_api.get(url, {"page": page})
    assert response.status_code in (400, 404)
    _message(response)


@pytest.mark.parametrize("value", ["100%", "%s", "%(x)s", "%d%%"])
@pytest.mark.parametrize("param", ["q", "service"])
def test_percent_in_incident_filters(admin_api, param, value):
    response = admin_api.get("/api/v1/incidents/", {param: value})
    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


@pytest.mark.parametrize("value", ["100%", "%s", "%(x)s"])
def test_percent_in_a_refused_filter_value_is_a_400_quoting_it(admin_api, value):
    response = admin_api.get("/api/v1/incidents/", {"open": value})
    assert response.status_code == 400
    assert value in response.json()["errors"]["open"][0]


@pytest.mark.parametrize(
    ("param", "value", "found"),
    [
        ("started_after", "9999-12-31T00:00:00Z", False),
        ("started_after", "9999-12-31T23:00:00-20:00", False),
        ("started_after", "0002-01-01T00:00:00Z", True),
        ("started_before", "9999-12-31T00:00:00Z", True),
        ("started_before", "0001-01-01T00:00:00+05:00", False),
    ],
)
def test_incident_time_filters_outside_keel_range_are_clamped(
    viewer_api, number, param, value, found
):
    response = viewer_api.get("/api/v1/incidents/", {param: value})
    assert response.status_code == 200, response.content
    assert (response.json()["count"] == 1) is found


YEARS = ["9999-01-01T00:00:00Z", "0002-01-01T00:00:00Z", "1969-12-31T23:59:00Z"]


@pytest.mark.parametrize("value", YEARS)
def test_declare_with_an_implausible_start_is_400(responder_api, value):
    body = {"title": "Checkout down", "severity": "sev2", "started_at": value}
    response = responder_api.post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400
    assert "started_at" in response.json()["errors"]
    from incidents.models import Incident

    assert not Incident.objects.filter(title="Checkout down").exists()


@pytest.mark.parametrize("value", YEARS)
def test_correct_time_to_an_implausible_time_is_400(responder_api, number, value):
    from incidents.models import Incident

    before = Incident.objects.get(number=number).started_at
    response = responder_api.post(
        f"/api/v1/incidents/{number}/correct-time/",
        {"field": "started_at", "value": value, "reason": "clock skew"},
        format="json",
    )
    assert response.status_code == 400
    assert "value" in response.json()["errors"]
    assert Incident.objects.get(number=number).started_at == before


@pytest.mark.parametrize("value", YEARS)
@pytest.mark.parametrize("param", ["since", "until"])
def test_incident_metrics_window_outside_keel_range_is_clamped(viewer_api, param, value):
    response = viewer_api.get("/api/v1/metrics/incidents/", {param: value})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("param", ["since", "until"])
def test_incident_metrics_window_off_the_calendar_is_400(viewer_api, param):
    response = viewer_api.get("/api/v1/metrics/incidents/", {param: "9999-12-31T23:00-20:00"})
    assert response.status_code == 400
    _message(response)


def test_a_related_id_past_bigint_is_a_400(admin_api):
    response = admin_api.post(
        "/api/v1/oncall/layers/", {"schedule": 2**63, "name": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "schedule" in response.json()["errors"]


@pytest.mark.parametrize("page", ["99999999999999999999", "1" + "0" * 4000, "-5", "0", "x", "٣"])
@pytest.mark.parametrize("url", ["/incidents/", "/alerts/"])
def test_html_list_page_numbers_out_of_range_are_a_page(client, viewer, url, page):
    client.force_login(viewer)
    response = client.get(url, {"page": page})
    assert response.status_code == 200
    assert response.context["page"].object_list == []
