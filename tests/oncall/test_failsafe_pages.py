"""Pages that show a schedule survive a broken layer: they show the error in place, and
admins see that paging is degraded until the layer is fixed."""

import html
from typing import Any

import pytest
from django.test import Client
from icalendar import Calendar

from oncall.models import Handoff, Layer
from oncall.services import feed_create, handoffs_prepare, layer_delete
from oncall.services.schedules import schedule_create

from .conftest import on_call_now
from .failsafe import FAILURE, add_broken_layer

ERROR = (
    'Cannot work out layer 2 "Follow the sun" of payments/Primary: OverflowError: '
    f"{FAILURE} (check its shift length, handoff time and dates)"
)
SHOWN = html.escape(ERROR)  # as an HTML page shows it


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def broken(schedule, cat, monkeypatch):
    return add_broken_layer(schedule, [cat], monkeypatch)


@pytest.mark.parametrize("path", ["/", "/oncall/", "/oncall/teams/payments/", "schedule"])
def test_pages_with_on_call_show_the_error_in_place_and_the_working_layers(
    path, schedule, broken, viewer, ann, bob
):
    url = f"/oncall/schedules/{schedule.pk}/" if path == "schedule" else path

    response = logged_in(viewer).get(url)

    assert response.status_code == 200
    page = response.content.decode()
    assert SHOWN in page
    on_call = ann if on_call_now(schedule) == ann.pk else bob
    assert on_call.username in page


def test_my_on_call_shows_my_shifts_and_the_error(schedule, broken, ann, bob):
    response = logged_in(ann).get("/oncall/me/")

    assert response.status_code == 200
    assert SHOWN in response.content.decode()


def test_ical_feeds_carry_the_working_shifts_and_an_error_event(schedule, broken, ann):
    _, schedule_token = feed_create(user=ann, schedule=schedule)
    _, my_token = feed_create(user=ann, person=ann)

    for token in (schedule_token, my_token):
        response = Client().get(f"/oncall/ical/{token}.ics")

        assert response.status_code == 200
        events = Calendar.from_ical(response.content).walk("VEVENT")
        errors = [e for e in events if str(e["summary"]).startswith("Schedule error")]
        assert [str(e["description"]) for e in errors] == [ERROR]
        assert any("On call: ann" in str(e["summary"]) for e in events)


def test_the_on_call_api_names_the_broken_layer_in_the_json(schedule, broken, viewer_api):
    response = viewer_api.get("/api/v1/oncall/now/")

    assert response.status_code == 200
    (row,) = response.json()
    assert row["now"] in ("ann", "bob")
    assert row["layer_errors"] == [
        {
            "schedule": schedule.pk,
            "layer": broken.pk,
            "layer_name": "Follow the sun",
            "message": ERROR,
        }
    ]


def test_the_final_schedule_api_answers_409_with_the_error_and_the_partial_schedule(
    schedule, broken, viewer_api
):
    response = viewer_api.get(f"/api/v1/oncall/schedules/{schedule.pk}/final/")

    assert response.status_code == 409
    body = response.json()
    assert body["message"] == ERROR
    assert {s["user"] for s in body["shifts"]} <= {"ann", "bob"} and body["shifts"]


def test_admins_see_paging_is_degraded_until_the_layer_is_fixed(
    schedule, broken, admin_user, responder
):
    page = logged_in(admin_user).get("/").content.decode()
    assert "Paging is degraded" in page and SHOWN in page
    assert "Paging is degraded" not in logged_in(responder).get("/").content.decode()

    layer_delete(user=admin_user, layer=broken)

    assert "Paging is degraded" not in logged_in(admin_user).get("/").content.decode()


def test_handoffs_go_on_for_other_schedules_while_one_is_broken(schedule, broken, team, ann, bob):
    from datetime import timedelta

    from django.utils import timezone

    from oncall.services import layer_create

    other = schedule_create(user=None, team=team, name="Secondary")
    layer_create(
        user=None,
        schedule=other,
        name="Hourly",
        participants=[ann, bob],
        shift_length=1,
        shift_unit="hours",
        handoff_at=timezone.now() - timedelta(days=3),
    )

    handoffs_prepare()

    assert Handoff.objects.filter(schedule=other).exists()
    assert not Handoff.objects.filter(schedule=schedule).exists()
    assert Layer.objects.filter(schedule=schedule).count() == 2
