"""On-call REST API: configuration, who is on call, conflicts as 400 JSON, permissions."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_create
from oncall.models import Override, Schedule

from .conftest import week_of


def client_for(user) -> APIClient:
    client = APIClient()
    _, token = api_token_create(user=user, name="t")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_an_admin_sets_up_a_team_schedule_layer_and_policy(admin_api, ann, bob):
    team = admin_api.post(
        "/api/v1/oncall/teams/",
        {
            "name": "Search",
            "slug": "search",
            "time_zone": "America/New_York",
            "members": ["ann", "bob"],
        },
        format="json",
    )
    assert team.status_code == 201, team.json()
    schedule = admin_api.post(
        "/api/v1/oncall/schedules/", {"team": "search", "name": "Primary"}, format="json"
    )
    assert schedule.status_code == 201 and schedule.json()["time_zone"] == "America/New_York"
    sid = schedule.json()["id"]
    layer = admin_api.post(
        "/api/v1/oncall/layers/",
        {
            "schedule": sid,
            "name": "Daily",
            "participants": ["bob", "ann"],
            "shift_unit": "days",
            "handoff_at": "2026-01-05T09:00:00-05:00",
            "restriction_weekdays": [0, 1, 2, 3, 4],
        },
        format="json",
    )
    assert layer.status_code == 201, layer.json()
    assert layer.json()["participants"] == ["bob", "ann"] and layer.json()[
        "restriction_weekdays"
    ] == [0, 1, 2, 3, 4]
    policy = admin_api.post(
        "/api/v1/oncall/escalation-policies/",
        {
            "team": "search",
            "name": "Default",
            "repeat": 1,
            "steps": [
                {"escalate_after_minutes": 5, "targets": [{"kind": "schedule", "schedule": sid}]},
                {"escalate_after_minutes": 10, "targets": [{"kind": "team", "team": "search"}]},
            ],
        },
        format="json",
    )
    assert policy.status_code == 201, policy.json()
    assert [s["targets"][0]["kind"] for s in policy.json()["steps"]] == ["schedule", "team"]

    final = admin_api.get(
        f"/api/v1/oncall/schedules/{sid}/final/",
        {"start": "2026-03-02T00:00:00-05:00", "end": "2026-03-09T00:00:00-04:00"},
    )
    assert final.status_code == 200
    shifts = final.json()
    # Daily 09:00 handoffs, alternating; the weekday restriction cuts at midnight and
    # leaves the weekend to nobody. 1 March is day 55 since the anchor: ann's turn.
    # (The window ends Monday 00:00 EDT: New York moved its clocks on 8 March.)
    assert [s["user"] for s in shifts] == ["ann", "bob", "ann", "bob", "ann", "bob"]
    assert shifts[0]["start"].startswith("2026-03-02T05:00:00")  # Monday 00:00 in New York
    assert shifts[1]["start"].startswith("2026-03-02T14:00:00")  # Monday 09:00 in New York
    assert shifts[-1]["end"].startswith("2026-03-07T05:00:00")  # Saturday 00:00 in New York


def test_now_answers_who_is_on_call_for_a_team(viewer_api, schedule, ann, bob):
    response = viewer_api.get("/api/v1/oncall/now/", {"team": "payments"})
    assert response.status_code == 200
    [row] = response.json()
    expected = [ann, bob][week_of(timezone.now()) % 2]
    assert row["schedule_name"] == "Primary" and row["now"] == expected.username
    assert row["next"] == ({ann, bob} - {expected}).pop().username
    unknown = viewer_api.get("/api/v1/oncall/now/", {"team": "nope"})
    assert (
        unknown.status_code == 400 and unknown.json()["message"] == "No team with the slug 'nope'."
    )


def test_a_conflicting_override_is_a_400_that_explains_the_clash(schedule, ann, bob, cat):
    api = client_for(ann)
    start = timezone.now() + timedelta(days=1)
    first = api.post(
        "/api/v1/oncall/overrides/",
        {
            "schedule": schedule.pk,
            "user": "cat",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=4)).isoformat(),
            "reason": "swap",
        },
        format="json",
    )
    assert first.status_code == 201, first.json()
    clash = api.post(
        "/api/v1/oncall/overrides/",
        {
            "schedule": schedule.pk,
            "user": "bob",
            "starts_at": (start + timedelta(hours=1)).isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
        },
        format="json",
    )
    assert clash.status_code == 400
    body = clash.json()
    assert body["message"].startswith("Conflicts with an existing override: cat covers")
    assert "starts_at" in body["errors"]
    assert Override.objects.count() == 1


@pytest.mark.parametrize(
    ("path", "payload", "field"),
    [
        (
            "/api/v1/oncall/schedules/",
            {"team": "payments", "name": "X", "time_zone": "Mars/Olympus"},
            "time_zone",
        ),
        (
            "/api/v1/oncall/layers/",
            {"schedule": 0, "name": "X", "participants": [], "handoff_at": "2026-01-01T00:00Z"},
            "schedule",
        ),
        (
            "/api/v1/oncall/escalation-policies/",
            {"team": "payments", "name": "X", "steps": []},
            "steps",
        ),
        ("/api/v1/oncall/teams/", {"name": "X", "slug": "payments"}, "slug"),
    ],
)
def test_bad_input_is_a_400_json_naming_the_field(admin_api, team, path, payload, field):
    response = admin_api.post(path, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"] and response.json()["message"]


def test_viewers_read_but_cannot_configure_or_override(viewer_api, schedule, cat):
    assert viewer_api.get("/api/v1/oncall/schedules/").status_code == 200
    response = viewer_api.post(
        "/api/v1/oncall/schedules/", {"team": "payments", "name": "X"}, format="json"
    )
    assert response.status_code == 403 and "admin" in response.json()["message"]
    start = timezone.now() + timedelta(days=1)
    response = viewer_api.post(
        "/api/v1/oncall/overrides/",
        {
            "schedule": schedule.pk,
            "user": "cat",
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 403
    assert Schedule.objects.count() == 1


def test_contact_methods_are_personal_and_webhooks_masked(ann, bob):
    api = client_for(ann)
    created = api.post(
        "/api/v1/oncall/contact-methods/",
        {"kind": "webhook", "address": "https://hooks.slack.com/services/T0/B0/very-secret"},
        format="json",
    )
    assert created.status_code == 201
    assert "very-secret" not in created.content.decode()
    assert (
        api.post(
            "/api/v1/oncall/contact-methods/",
            {"user": "bob", "kind": "email", "address": "b@example.com"},
            format="json",
        ).status_code
        == 403
    )
    assert client_for(bob).get("/api/v1/oncall/contact-methods/").json()["results"] == []


def test_pages_and_handoffs_are_listed(viewer_api, responder_api, schedule):
    assert viewer_api.get("/api/v1/oncall/pages/", {"incident": "INC-1"}).json()["results"] == []
    assert responder_api.get("/api/v1/oncall/handoffs/").status_code == 200


def test_the_openapi_schema_documents_the_oncall_api(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in (
        "/api/v1/oncall/now/",
        "/api/v1/oncall/schedules/{id}/final/",
        "/api/v1/oncall/overrides/",
        "/api/v1/oncall/escalation-policies/",
        "/api/v1/oncall/handoffs/{id}/acknowledge/",
    ):
        assert path in schema["paths"], path


def test_a_calendar_feed_url_is_shown_once_and_can_be_revoked(schedule, ann):
    from django.test import Client

    api = client_for(ann)
    created = api.post("/api/v1/oncall/calendar-feeds/", {"schedule": schedule.pk}, format="json")
    assert created.status_code == 201
    url = created.json()["url"]
    path = url.split("testserver", 1)[1]
    assert Client().get(path)["Content-Type"].startswith("text/calendar")
    listed = api.get("/api/v1/oncall/calendar-feeds/").json()["results"]
    assert [f["prefix"] for f in listed] == [created.json()["prefix"]] and "url" not in listed[0]

    revoked = api.post(f"/api/v1/oncall/calendar-feeds/{created.json()['id']}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert Client().get(path).status_code == 404


def test_only_admins_delete_a_schedule(admin_api, responder_api, schedule):
    from oncall.models import Schedule

    url = f"/api/v1/oncall/schedules/{schedule.pk}/"
    refused = responder_api.delete(url)
    assert refused.status_code == 403 and "admin" in refused.json()["message"]
    assert Schedule.objects.filter(pk=schedule.pk).exists()
    assert admin_api.delete(url).status_code == 204
    assert not Schedule.objects.filter(pk=schedule.pk).exists()
