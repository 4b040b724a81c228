"""Postmortem and action-item REST API: JSON in and out, roles, conflicts, documents."""

import pytest
from django.contrib.auth.models import Group

from accounts.services import api_token_create
from postmortems.models import ActionItem, Postmortem
from tests.factories import UserFactory, realistic_incident

pytestmark = pytest.mark.django_db


@pytest.fixture
def number(integration, responder):
    return realistic_incident(integration, responder).incident.number


@pytest.fixture
def reviewer_api(db):
    from rest_framework.test import APIClient

    user = UserFactory(username="rev")
    user.groups.add(Group.objects.get_or_create(name="responder")[0])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=user, name='t')[1]}")
    return client


def _url(number, tail=""):
    return f"/api/v1/incidents/{number}/postmortem/{tail}"


def test_draft_then_read(responder_api, viewer_api, number):
    assert viewer_api.get(_url(number)).status_code == 404
    created = responder_api.post(_url(number))
    assert created.status_code == 201
    body = created.json()
    assert body["incident"] == number and body["status"] == "draft"
    assert [s["key"] for s in body["sections"]][:3] == ["summary", "impact", "trigger"]
    assert body["facts"]["durations"][2]["text"] == "1 h 12 min"
    assert responder_api.post(_url(number)).status_code == 200
    assert viewer_api.get(_url(number)).json()["incident"] == number


def test_viewers_cannot_write(viewer_api, responder_api, number):
    responder_api.post(_url(number))
    response = viewer_api.put(_url(number, "sections/summary/"), {"body": "x", "base_revision": 0})
    assert response.status_code == 403
    assert "responder" in response.json()["message"]


def test_section_conflict_is_a_409_with_the_current_text(responder_api, admin_api, number):
    sections = responder_api.post(_url(number)).json()["sections"]
    revision = next(s["revision"] for s in sections if s["key"] == "trigger")
    first = admin_api.put(
        _url(number, "sections/trigger/"),
        {"body": "A config push at 16:18.", "base_revision": revision},
        format="json",
    )
    assert first.status_code == 200 and first.json()["revision"] == revision + 1
    second = responder_api.put(
        _url(number, "sections/trigger/"),
        {"body": "Mine.", "base_revision": revision},
        format="json",
    )
    assert second.status_code == 409
    assert second.json()["section"]["body"] == "A config push at 16:18."
    assert "ada" in second.json()["message"]


def test_bad_input_is_json_and_changes_nothing(responder_api, number):
    responder_api.post(_url(number))
    bad = responder_api.patch(_url(number, "figures/"), {"users_affected": -3}, format="json")
    assert bad.status_code == 400
    assert "users_affected" in bad.json()["errors"]
    unknown = responder_api.put(
        _url(number, "sections/gossip/"), {"body": "x", "base_revision": 0}, format="json"
    )
    assert unknown.status_code == 400 and unknown.json()["message"].startswith("Unknown section")
    assert Postmortem.objects.get().users_affected is None


def test_review_publish_versions_pdf_and_markdown(responder_api, reviewer_api, number):
    responder_api.post(_url(number))
    ok = responder_api.patch(
        _url(number, "figures/"),
        {"users_affected": 1200, "revenue_impact": "350.00"},
        format="json",
    )
    assert ok.json()["users_affected"] == 1200
    asked = responder_api.post(
        _url(number, "request-review/"), {"reviewers": ["rev"]}, format="json"
    )
    assert asked.json()["status"] == "in_review"
    early = responder_api.post(_url(number, "publish/"))
    assert early.status_code == 400 and "approve" in early.json()["message"]
    approved = reviewer_api.post(_url(number, "review/"), {"approve": True}, format="json")
    assert approved.json()["reviewers"][0]["approved_at"]
    published = responder_api.post(_url(number, "publish/"))
    assert published.status_code == 201 and published.json()["number"] == 1
    versions = responder_api.get(_url(number, "versions/")).json()
    assert [v["number"] for v in versions] == [1]
    snapshot = responder_api.get(_url(number, "versions/1/")).json()["snapshot"]
    assert snapshot["figures"]["users_affected"] == 1200
    pdf = responder_api.get(_url(number, "pdf/") + "?version=1")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f"INC-{number}-postmortem-v1.pdf" in pdf["Content-Disposition"]
    again = responder_api.get(_url(number, "pdf/") + "?version=1")
    assert again["ETag"] == pdf["ETag"] and again.content == pdf.content  # served from cache
    md = responder_api.get(_url(number, "markdown/") + "?version=1")
    assert md.content.decode().startswith(f"# Postmortem: INC-{number}")
    assert responder_api.get(_url(number, "pdf/") + "?version=9").status_code == 404
    assert responder_api.get(_url(number, "pdf/") + "?paper=a3").status_code == 400


def test_postmortem_list_by_state(responder_api, viewer_api, number):
    responder_api.post(_url(number))
    due = viewer_api.get("/api/v1/postmortems/?state=due").json()
    assert [p["incident"] for p in due] == [number]
    assert viewer_api.get("/api/v1/postmortems/?state=published").json() == []
    assert viewer_api.get("/api/v1/postmortems/?state=nope").status_code == 400


def test_language_check_suggests_without_blocking(responder_api):
    response = responder_api.post(
        "/api/v1/postmortems/check-language/",
        {"text": "It was human error; rita should have known."},
        format="json",
    )
    phrases = [s["phrase"] for s in response.json()]
    assert phrases == ["human error", "should have known"]


def test_template_is_read_by_all_and_changed_by_admins(admin_api, responder_api, number):
    sections = responder_api.get("/api/v1/postmortem-template/").json()["sections"]
    assert "root_cause" in sections
    denied = responder_api.put(
        "/api/v1/postmortem-template/", {"sections": {"trigger": "x"}}, format="json"
    )
    assert denied.status_code == 403
    changed = admin_api.put(
        "/api/v1/postmortem-template/",
        {"sections": {"trigger": "What changed, and when?"}},
        format="json",
    )
    assert changed.json()["sections"]["trigger"] == "What changed, and when?"
    drafted = responder_api.post(_url(number)).json()
    trigger = next(s for s in drafted["sections"] if s["key"] == "trigger")
    assert trigger["body"] == "What changed, and when?"


def test_action_items_crud_and_board_filters(responder_api, viewer_api, responder, number):
    created = responder_api.post(
        "/api/v1/action-items/",
        {
            "incident_number": number,
            "title": "Alert on pool saturation",
            "priority": "P0",
            "kind": "detect",
            "owner": "rita",
            "due_on": "2020-01-01",
            "tracker_url": "https://tracker.example/KEEL-9",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    item_id = created.json()["id"]
    responder_api.post(
        "/api/v1/action-items/",
        {"incident_number": number, "title": "Write a runbook", "priority": "P2"},
        format="json",
    )
    bad = responder_api.post(
        "/api/v1/action-items/",
        {"incident_number": number, "title": "x", "tracker_url": "javascript:alert(1)"},
        format="json",
    )
    assert bad.status_code == 400 and "tracker_url" in bad.json()["errors"]

    def titles(query):
        return [
            i["title"] for i in viewer_api.get("/api/v1/action-items/" + query).json()["results"]
        ]

    assert titles("?owner=rita") == ["Alert on pool saturation"]
    assert titles("?priority=P2") == ["Write a runbook"]
    assert titles("?overdue=1") == ["Alert on pool saturation"]
    done = responder_api.patch(
        f"/api/v1/action-items/{item_id}/", {"status": "done"}, format="json"
    )
    assert done.json()["completed_at"]
    assert titles("?overdue=1") == []
    assert viewer_api.delete(f"/api/v1/action-items/{item_id}/").status_code == 403
    assert responder_api.delete(f"/api/v1/action-items/{item_id}/").status_code == 204
    assert ActionItem.objects.count() == 1


def test_openapi_documents_the_postmortem_endpoints(viewer_api):
    schema = viewer_api.get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/incidents/{number}/postmortem/",
        "/api/v1/incidents/{number}/postmortem/publish/",
        "/api/v1/incidents/{number}/postmortem/pdf/",
        "/api/v1/incidents/{number}/postmortem/versions/{version}/",
        "/api/v1/action-items/",
    ):
        assert path in paths
    assert (
        "409" in paths["/api/v1/incidents/{number}/postmortem/sections/{key}/"]["put"]["responses"]
    )
