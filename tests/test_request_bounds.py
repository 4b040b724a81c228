"""What the HTML fuzzer found, one plain test each: filters, page numbers and label names
from a URL, and requests too large to read, are answered with a page (or the API's JSON),
never a server error, and change nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from incidents.models import Incident
from incidents.services import incident_declare
from postmortems import services as pm
from postmortems.models import PostmortemSection
from postmortems.sections import SECTION_KEYS
from slos.models import Correction, GateBypass

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def _in_layout(page: str) -> bool:
    return '<nav aria-label="Main">' in page and "keel/keel.css" in page


@pytest.mark.parametrize("field", ["until", "since"])
@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_an_incident_list_filter_at_the_end_of_the_calendar_is_a_form_error(viewer, field, day):
    response = _signed_in(viewer).get("/incidents/", {field: day}, **BROWSER)
    assert response.status_code == 400
    assert "must lie between 1970-01-01 and 2200-12-31" in response.content.decode()


def test_a_page_number_too_large_for_the_database_shows_an_empty_page(viewer, responder):
    incident_declare(actor=Actor.of(responder), title="Checkout errors", severity="SEV2")
    client = _signed_in(viewer)
    for url in ["/incidents/", "/alerts/"]:
        response = client.get(url, {"page": "99999999999999999999"}, **BROWSER)
        assert response.status_code == 200, url
        assert "Checkout errors" not in response.content.decode()
    assert client.get("/incidents/", {"page": "1"}).status_code == 200


@pytest.mark.parametrize("label", ["isnull=1", "regex=(", "contains=x", "service__x=1"])
def test_an_alert_label_filter_names_a_label_never_a_database_lookup(viewer, label):
    response = _signed_in(viewer).get("/alerts/", {"label": label}, **BROWSER)
    assert response.status_code in {200, 400}
    assert "Internal error" not in response.content.decode()


def test_an_alert_label_filter_still_finds_alerts_by_label(viewer, integration):
    from incidents.services import delivery_process, delivery_receive
    from tests.incidents import payloads

    body = payloads.body(payloads.notification([payloads.alert(alertname="DiskFull")]))
    delivery = delivery_receive(integration_id=integration.pk, body=body, user_agent="am")
    delivery_process(delivery_id=delivery.pk)
    client = _signed_in(viewer)
    found = client.get("/alerts/", {"label": "alertname=DiskFull"}).content.decode()
    missed = client.get("/alerts/", {"label": "alertname=Other"}).content.decode()
    assert "DiskFull" in found.split("<table", 1)[-1]
    assert "DiskFull" not in missed.split("<table", 1)[-1]


def test_a_schedule_from_the_end_of_the_calendar_shows_the_current_weeks(admin_user):
    from oncall.services import schedule_create, team_create

    team = team_create(user=admin_user, name="Payments", slug="payments", members=[admin_user])
    schedule = schedule_create(user=admin_user, team=team, name="Primary")
    client = _signed_in(admin_user)
    for day in ["9999-12-31", "0001-01-01", "9999-12-31T23:59"]:
        response = client.get(f"/oncall/schedules/{schedule.pk}/", {"from": day}, **BROWSER)
        assert response.status_code == 200, day
        assert f"{timezone.now():%Y}" in response.content.decode()


def test_a_correction_or_bypass_in_year_9999_is_a_form_error_and_stores_nothing(
    admin_user, checkout
):
    client = _signed_in(admin_user)
    correction = client.post(
        f"/slos/services/{checkout.slug}/corrections/new/",
        {
            "start": "9999-12-31T00:00Z",
            "end": "9999-12-31T23:00Z",
            "category": "maintenance",
            "reason": "x",
        },
    )
    bypass = client.post(
        f"/slos/services/{checkout.slug}/bypasses/new/",
        {"kind": "hotfix", "reason": "x", "expires_at": "9999-12-31T00:00Z"},
    )
    for response in (correction, bypass):
        assert response.status_code in {200, 400}
        assert "must lie between 1970-01-01 and 2200-12-31" in response.content.decode()
    assert not Correction.objects.exists() and not GateBypass.objects.exists()


def test_a_time_correction_in_year_9999_is_a_form_error(responder):
    incident = incident_declare(actor=Actor.of(responder), title="Checkout", severity="SEV2")
    started = incident.started_at
    response = _signed_in(responder).post(
        f"/incidents/{incident.number}/correct-time/",
        {"correct-field": "started_at", "correct-value": "9999-12-31T23:59", "correct-reason": "x"},
        **BROWSER,
    )
    assert response.status_code < 500
    incident.refresh_from_db()
    assert incident.started_at == started


def _resolved_with_postmortem(responder) -> Incident:
    actor = Actor.of(responder)
    start = timezone.now() - timedelta(hours=2)
    incident = incident_declare(actor=actor, title="Checkout", severity="SEV2", started_at=start)
    from incidents.services import incident_resolve

    incident_resolve(incident=incident, actor=actor)
    pm.postmortem_draft(incident=incident, actor=actor)
    return incident


def test_a_postmortem_section_over_the_body_limit_is_a_page_saying_the_limit(responder, settings):
    incident = _resolved_with_postmortem(responder)
    key = SECTION_KEYS[0]
    before = list(PostmortemSection.objects.values_list("key", "body", "revision"))
    response = _signed_in(responder).post(
        f"/incidents/{incident.number}/postmortem/sections/{key}/",
        {"body": "x" * (settings.KEEL_MAX_BODY_BYTES + 1), "base_revision": "0"},
        **BROWSER,
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert _in_layout(page)
    assert "at most 5 MiB can be sent at once; nothing was changed" in page
    assert list(PostmortemSection.objects.values_list("key", "body", "revision")) == before


def test_a_body_over_django_s_form_limit_without_a_length_is_a_page_too(responder, settings):
    """A body that declares no length is stopped where Django reads it: the same page."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = _signed_in(responder).post(
        "/incidents/declare/", {"title": "x" * 200, "severity": "SEV2"}, **BROWSER
    )
    assert response.status_code == 413
    page = response.content.decode()
    assert _in_layout(page) and "at most 100 bytes can be sent at once" in page
    assert not Incident.objects.exists()


def test_an_api_body_over_the_limit_is_a_413_with_a_json_message(responder_api, settings):
    settings.KEEL_MAX_BODY_BYTES = 1024
    response = responder_api.post(
        "/api/v1/incidents/", {"title": "x" * 2000, "severity": "SEV2"}, format="json"
    )
    assert response.status_code == 413
    assert response.json() == {
        "message": "What was sent is too large: at most 1 KiB can be sent at once; "
        "nothing was changed."
    }
    assert not Incident.objects.exists()


def test_a_query_string_over_the_limit_is_a_414_page_or_json(viewer, viewer_api):
    query = "q=" + "x" * 9000
    page = _signed_in(viewer).get(f"/incidents/?{query}", **BROWSER)
    assert page.status_code == 414
    assert _in_layout(page.content.decode()) and "at most 8 KiB" in page.content.decode()
    api = viewer_api.get(f"/api/v1/incidents/?{query}")
    assert api.status_code == 414
    assert "at most 8 KiB" in api.json()["message"]


def test_a_nul_in_a_query_string_is_a_page_in_the_layout(viewer):
    response = _signed_in(viewer).get("/incidents/?q=a%00b", **BROWSER)
    assert response.status_code == 400
    page = response.content.decode()
    assert _in_layout(page) and "NUL character" in page


def test_an_action_address_opened_in_the_browser_is_a_page_not_a_blank(responder):
    incident = incident_declare(actor=Actor.of(responder), title="Checkout", severity="SEV2")
    response = _signed_in(responder).get(f"/incidents/{incident.number}/resolve/", **BROWSER)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    page = response.content.decode()
    assert _in_layout(page) and "Only POST requests are taken here; nothing was changed." in page


@pytest.mark.parametrize("count", ["9223372036854775808", str(10**15 + 1)])
def test_postmortem_figures_beyond_any_count_are_a_form_error(responder, count):
    incident = _resolved_with_postmortem(responder)
    response = _signed_in(responder).post(
        f"/incidents/{incident.number}/postmortem/figures/",
        {"failed_requests": count, "users_affected": "10"},
        **BROWSER,
    )
    assert response.status_code < 500
    postmortem = incident.postmortem
    postmortem.refresh_from_db()
    assert postmortem.failed_requests is None and postmortem.users_affected is None


def test_postmortem_figures_api_refuses_a_count_beyond_any_count(responder, responder_api):
    incident = _resolved_with_postmortem(responder)
    response = responder_api.patch(
        f"/api/v1/incidents/{incident.number}/postmortem/figures/",
        {"failed_requests": 2**63},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "message" in response.json()


def test_a_nul_in_the_postmortem_template_is_refused_and_the_text_kept(admin_user):
    key = SECTION_KEYS[0]
    before = pm.postmortem_template_get().text_for(key)
    response = _signed_in(admin_user).post(
        "/postmortems/template/", {key: "Summary\x00 of it"}, **BROWSER
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "A section may not contain the NUL character." in page
    assert "Summary" in page
    assert pm.postmortem_template_get().text_for(key) == before


def test_a_nul_in_a_postmortem_section_is_refused(responder):
    incident = _resolved_with_postmortem(responder)
    key = SECTION_KEYS[0]
    before = list(PostmortemSection.objects.values_list("key", "body", "revision"))
    _signed_in(responder).post(
        f"/incidents/{incident.number}/postmortem/sections/{key}/",
        {"body": "a\x00b", "base_revision": "0"},
        HTTP_HX_REQUEST="true",
    )
    assert list(PostmortemSection.objects.values_list("key", "body", "revision")) == before
