"""Bounds on schedule values: the form, the API and the database each refuse the values
that used to stop paging (a shift of 99999999999 weeks, a handoff time in year 1 with
hourly shifts, an override until year 9999), and Keel keeps answering who is on call."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from oncall.models import Layer, LayerParticipant, Override
from oncall.services import feed_create, layer_create, schedule_create

from .conftest import ANCHOR

NEXT_HOUR = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def new_york(team):
    """A schedule in a zone west of UTC, where year 1 local time is before year 1 UTC."""
    return schedule_create(user=None, team=team, name="East coast", time_zone="America/New_York")


# The values seen in the field, as typed in the schedule's zone (form) and sent to the API.
BAD_LAYERS = [
    pytest.param(
        {"shift_length": "99999999999", "shift_unit": "weeks"},
        "shift_length",
        "The shift length must be 1 to 8784 hours, 366 days or 52 weeks (at most a year).",
        id="shift-99999999999-weeks",
    ),
    pytest.param(
        {"shift_length": "1", "shift_unit": "hours", "handoff_at": "0001-01-01T00:00"},
        "handoff_at",
        "must lie between 1970-01-01 and 2200-12-31 (UTC)",
        id="handoff-year-1-hourly",
    ),
]


def _layer_form(ann, bob, **change: Any) -> dict[str, Any]:
    return {
        "name": "Bad",
        "participants": [ann.pk, bob.pk],
        "shift_length": "1",
        "shift_unit": "weeks",
        "handoff_at": "2026-01-05T09:00",
        **change,
    }


@pytest.mark.parametrize(("change", "field", "message"), BAD_LAYERS)
def test_the_layer_form_refuses_the_value_next_to_its_field(
    new_york, admin_user, ann, bob, change, field, message
):
    client = logged_in(admin_user)
    response = client.post(
        f"/oncall/schedules/{new_york.pk}/layers/", _layer_form(ann, bob, **change)
    )

    assert response.status_code == 400
    form = response.context["layer_form"]
    assert any(message in error for error in form.errors[field]), form.errors
    assert message in response.content.decode()  # shown on the page, at the form
    assert not new_york.layers.exists()
    # Nothing was saved, so every page that works out who is on call still answers.
    for path in ("/", "/oncall/", "/oncall/teams/payments/", f"/oncall/schedules/{new_york.pk}/"):
        assert client.get(path).status_code == 200, path


def _layer_api(schedule, **change: Any) -> dict[str, Any]:
    body = {
        "schedule": schedule.pk,
        "name": "Bad",
        "participants": ["ann", "bob"],
        "shift_unit": "weeks",
        "handoff_at": "2026-01-05T09:00:00-05:00",
    }
    body.update(change)
    if "handoff_at" in change:
        body["handoff_at"] = change["handoff_at"] + "-04:56"  # New York's offset in year 1
    if "shift_length" in change:
        body["shift_length"] = int(change["shift_length"])
    return body


@pytest.mark.parametrize(("change", "field", "message"), BAD_LAYERS)
def test_the_layer_api_refuses_the_value_with_a_400_naming_the_field(
    admin_api, new_york, ann, bob, change, field, message
):
    response = admin_api.post("/api/v1/oncall/layers/", _layer_api(new_york, **change), "json")

    assert response.status_code == 400, response.content
    body = response.json()
    assert any(message in error for error in body["errors"][field]), body
    assert body["message"].startswith(f"{field}: ")
    assert not new_york.layers.exists()
    assert admin_api.get("/api/v1/oncall/now/").status_code == 200


def test_after_a_refused_layer_the_next_incident_still_pages_the_person_on_call(
    admin_api, django_capture_on_commit_callbacks, settings, policy, payments_service, ann, bob
):
    """The largest shift length the column held used to be saved, and then the escalation
    crashed and the incident paged nobody."""
    from django.core import mail

    from core.actors import Actor
    from incidents.choices import EntryKind
    from incidents.services import incident_declare
    from oncall.models import Page

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    schedule = policy.steps.first().targets.first().schedule
    refused = admin_api.post(
        "/api/v1/oncall/layers/",
        {
            "schedule": schedule.pk,
            "name": "Forever",
            "participants": ["cat"],
            "shift_length": 2_147_483_647,
            "handoff_at": "2026-01-05T09:00:00Z",
        },
        "json",
    )
    assert refused.status_code == 400

    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=Actor.of(ann),
            title="Card payments failing",
            severity="SEV1",
            services=[payments_service],
        )

    page = Page.objects.get()
    assert page.user in (ann, bob)
    assert mail.outbox[0].to == [page.user.email]
    assert incident.timeline.filter(kind=EntryKind.PAGED).exists()


def test_a_layer_update_through_the_api_is_bounded_too(admin_api, schedule):
    layer = schedule.layers.get()
    body = _layer_api(schedule, shift_length="367", shift_unit="days")
    body["starts_at"] = body["handoff_at"]
    del body["schedule"]

    response = admin_api.put(f"/api/v1/oncall/layers/{layer.pk}/", body, "json")

    assert response.status_code == 400
    assert "must be 1 to 366 days; 367 is not" in response.json()["errors"]["shift_length"][0]
    layer.refresh_from_db()
    assert (layer.shift_length, layer.shift_unit) == (1, "weeks")


def _bare_layer(schedule, **change: Any) -> Layer:
    fields = {
        "schedule": schedule,
        "position": 0,
        "name": "Direct",
        "shift_length": 1,
        "shift_unit": "weeks",
        "handoff_at": ANCHOR,
        "starts_at": ANCHOR,
        **change,
    }
    return Layer(**fields)


@pytest.mark.parametrize(
    "change",
    [
        # 99999999999 does not fit the column at all; this is the largest that did, and it
        # overflowed the rotation math just the same.
        {"shift_length": 2_147_483_647, "shift_unit": "weeks"},
        {"shift_length": 53, "shift_unit": "weeks"},
        {"shift_length": 367, "shift_unit": "days"},
        {"shift_length": 24 * 366 + 1, "shift_unit": "hours"},
        {"shift_unit": "hours", "handoff_at": datetime(1, 1, 1, tzinfo=UTC)},
        {"handoff_at": datetime(9999, 12, 31, tzinfo=UTC)},
        {"starts_at": datetime(1969, 12, 31, 23, 59, tzinfo=UTC)},
        {"ends_at": datetime(2201, 1, 1, tzinfo=UTC)},
        {"restriction_start": time(9, 0, 30), "restriction_end": time(17)},
    ],
    ids=lambda change: "-".join(f"{k}={v}" for k, v in change.items()),
)
def test_the_database_refuses_an_out_of_range_layer(new_york, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        _bare_layer(new_york, **change).save()
    assert not new_york.layers.exists()


def test_the_largest_values_inside_the_bounds_are_stored(new_york):
    for position, (length, unit) in enumerate(((8784, "hours"), (366, "days"), (52, "weeks"))):
        _bare_layer(new_york, position=position, shift_length=length, shift_unit=unit).save()
    assert new_york.layers.count() == 3


def test_the_admin_form_explains_an_out_of_range_layer(new_york):
    layer = _bare_layer(new_york, shift_length=53, handoff_at=datetime(1, 1, 1, tzinfo=UTC))
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        layer.full_clean()

    errors = refused.value.message_dict
    assert "The shift length must be 1 to 52 weeks; 53 is not." in errors["shift_length"]
    assert "1970-01-01 and 2200-12-31" in errors["handoff_at"][0]


def test_the_django_admin_refuses_an_override_until_year_9999(new_york, ann):
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client = logged_in(root)
    response = client.post(
        "/admin/oncall/override/add/",
        {
            "schedule": new_york.pk,
            "user": ann.pk,
            "starts_at_0": "2026-12-01",
            "starts_at_1": "09:00",
            "ends_at_0": "9999-12-31",
            "ends_at_1": "23:00",
            "reason": "",
        },
    )

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors
    assert "1970-01-01 and 2200-12-31" in errors["ends_at"][0]
    assert not Override.objects.exists()


# --- overrides ---------------------------------------------------------------------------

YEAR_9999 = "9999-12-31T23:00"


def test_the_override_form_refuses_an_override_until_year_9999(new_york, ann, bob):
    start = NEXT_HOUR.astimezone(new_york_zone()).strftime("%Y-%m-%dT%H:%M")
    client = logged_in(ann)
    response = client.post(
        f"/oncall/schedules/{new_york.pk}/overrides/",
        {"user": bob.pk, "starts_at": start, "ends_at": YEAR_9999},
    )

    assert response.status_code == 400
    errors = response.context["override_form"].errors
    assert "1970-01-01 and 2200-12-31" in errors["ends_at"][0], errors
    assert not Override.objects.exists()
    assert client.get(f"/oncall/schedules/{new_york.pk}/").status_code == 200


def test_the_override_form_refuses_an_override_longer_than_a_year(new_york, ann, bob):
    zone = new_york_zone()
    start = NEXT_HOUR.astimezone(zone)
    response = logged_in(ann).post(
        f"/oncall/schedules/{new_york.pk}/overrides/",
        {
            "user": bob.pk,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(days=367)).strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 400
    assert (
        "An override may last at most 366 days."
        in response.context["override_form"].errors["ends_at"]
    )
    assert not Override.objects.exists()


def test_the_override_api_refuses_an_override_until_year_9999(responder_api, team, new_york):
    from django.contrib.auth import get_user_model

    team.members.add(get_user_model().objects.get(username="rita"))
    response = responder_api.post(
        "/api/v1/oncall/overrides/",
        {
            "schedule": new_york.pk,
            "user": "rita",
            "starts_at": NEXT_HOUR.isoformat(),
            "ends_at": "9999-12-31T23:00:00+00:00",
        },
        "json",
    )

    assert response.status_code == 400
    body = response.json()
    assert "1970-01-01 and 2200-12-31" in body["errors"]["ends_at"][0]
    assert body["message"].startswith("ends_at: ")
    assert not Override.objects.exists()


@pytest.mark.parametrize(
    "ends_at",
    [datetime(9999, 12, 31, 23, tzinfo=UTC), NEXT_HOUR + timedelta(days=366, minutes=1)],
    ids=["year-9999", "longer-than-366-days"],
)
def test_the_database_refuses_an_out_of_range_override(new_york, ann, ends_at):
    with pytest.raises(IntegrityError), transaction.atomic():
        Override.objects.create(schedule=new_york, user=ann, starts_at=NEXT_HOUR, ends_at=ends_at)
    assert not Override.objects.exists()


def new_york_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")


# --- unknown usernames ---------------------------------------------------------------------


def test_an_unknown_username_in_the_rotation_order_is_refused_by_name(schedule, admin_user):
    layer = schedule.layers.get()
    participants = list(layer.participants.values_list("user_id", flat=True))

    response = logged_in(admin_user).post(
        f"/oncall/schedules/{schedule.pk}/layers/",
        {
            "layer": layer.pk,
            "name": "Weekly",
            "participants": participants,
            "order": "bob, zed, ann",
            "shift_length": 1,
            "shift_unit": "weeks",
            "handoff_at": "2026-01-05T09:00",
            "starts_at": "2026-01-05T09:00",
        },
    )

    assert response.status_code == 400
    assert "Unknown username: zed." in response.context["layer_form"].errors["order"]
    order = LayerParticipant.objects.filter(layer=layer).order_by("position")
    assert [p.user.username for p in order] == ["ann", "bob"]  # unchanged


def test_a_username_in_the_order_but_not_picked_is_refused(schedule, admin_user, ann, cat):
    response = logged_in(admin_user).post(
        f"/oncall/schedules/{schedule.pk}/layers/",
        _layer_form(ann, ann, participants=[ann.pk], order="cat, ann"),
    )

    assert response.status_code == 400
    errors = response.context["layer_form"].errors["order"]
    assert "In the order but not picked as participants: cat." in errors
    assert schedule.layers.count() == 1


def test_unknown_usernames_in_a_rotation_are_refused_by_the_api_all_at_once(admin_api, schedule):
    response = admin_api.post(
        "/api/v1/oncall/layers/",
        {
            "schedule": schedule.pk,
            "name": "Nights",
            "participants": ["ann", "zed", "yan"],
            "handoff_at": "2026-01-05T09:00:00Z",
        },
        "json",
    )

    assert response.status_code == 400
    assert response.json()["message"] == "participants: Unknown usernames: zed, yan."
    assert schedule.layers.count() == 1


def test_an_unknown_username_elsewhere_in_the_on_call_api_is_named(admin_api, schedule):
    override = admin_api.post(
        "/api/v1/oncall/overrides/",
        {
            "schedule": schedule.pk,
            "user": "zed",
            "starts_at": NEXT_HOUR.isoformat(),
            "ends_at": (NEXT_HOUR + timedelta(hours=2)).isoformat(),
        },
        "json",
    )
    team = admin_api.patch("/api/v1/oncall/teams/payments/", {"members": ["ann", "zed"]}, "json")

    assert override.status_code == 400
    assert override.json()["message"] == "user: Unknown username: zed."
    assert team.status_code == 400
    assert team.json()["message"] == "members: Unknown username: zed."
    assert schedule.team.members.count() == 3


# --- windows read from a URL ---------------------------------------------------------------


def test_a_schedule_window_outside_the_range_falls_back_to_today(new_york, ann, viewer):
    layer_create(
        user=None,
        schedule=new_york,
        name="Hourly",
        participants=[ann],
        shift_unit="hours",
        handoff_at=ANCHOR,
    )
    client = logged_in(viewer)
    for value in ("0001-01-01", "9999-12-31"):
        assert client.get(f"/oncall/schedules/{new_york.pk}/?from={value}").status_code == 200


def test_the_final_schedule_api_refuses_a_start_outside_the_range(viewer_api, new_york, ann):
    layer_create(
        user=None,
        schedule=new_york,
        name="Hourly",
        participants=[ann],
        shift_unit="hours",
        handoff_at=ANCHOR,
    )
    response = viewer_api.get(
        f"/api/v1/oncall/schedules/{new_york.pk}/final/?start=0001-01-01T00:00:00Z"
    )

    assert response.status_code == 400
    assert "1970-01-01 and 2200-12-31" in response.json()["errors"]["start"][0]


# --- at the edge of the bounds, everything still answers -----------------------------------


def test_at_the_edges_of_the_bounds_every_page_answers_and_the_layer_can_be_undone(
    team, admin_user, ann, bob
):
    """The bounds are tight enough: the most extreme values they let in, in the zones
    furthest from UTC, still leave every page and feed working, and the admin can edit and
    delete what they set."""
    team.members.add(admin_user)
    client = logged_in(admin_user)
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago"):
        schedule = schedule_create(user=None, team=team, name=zone, time_zone=zone)
        earliest = datetime(1970, 1, 1, tzinfo=UTC)
        latest = datetime(2200, 12, 31, 23, 59, tzinfo=UTC)
        for length, unit, anchor in (
            (1, "hours", earliest),
            (8784, "hours", latest),
            (366, "days", earliest),
            (52, "weeks", latest),
        ):
            layer_create(
                user=None,
                schedule=schedule,
                name=f"{length} {unit}",
                participants=[ann, bob],
                shift_length=length,
                shift_unit=unit,
                handoff_at=anchor,
                starts_at=earliest,
                ends_at=latest,
            )
        Override.objects.create(
            schedule=schedule, user=bob, starts_at=latest - timedelta(days=366), ends_at=latest
        )
        _, token = feed_create(user=None, schedule=schedule)
        pages = [
            "/",
            "/oncall/",
            "/oncall/teams/payments/",
            f"/oncall/schedules/{schedule.pk}/",
            f"/oncall/schedules/{schedule.pk}/?from=2200-12-01",
            f"/oncall/schedules/{schedule.pk}/?from=1970-01-01",
            "/oncall/me/",
            f"/oncall/ical/{token}.ics",
            "/api/v1/oncall/now/",
            f"/api/v1/oncall/schedules/{schedule.pk}/final/",
        ]
        for path in pages:
            assert client.get(path).status_code == 200, (zone, path)

        hourly = schedule.layers.get(shift_length=1)
        edit = client.get(f"/oncall/schedules/{schedule.pk}/?edit={hourly.pk}")
        assert edit.status_code == 200
        saved = client.post(
            f"/oncall/schedules/{schedule.pk}/layers/",
            {
                "layer": hourly.pk,
                "name": "Daily now",
                "participants": [ann.pk, bob.pk],
                "shift_length": 1,
                "shift_unit": "days",
                "handoff_at": "1970-01-02T00:00",
                "starts_at": "1970-01-02T00:00",
            },
        )
        assert saved.status_code == 302
        hourly.refresh_from_db()
        assert (hourly.shift_length, hourly.shift_unit) == (1, "days")
        deleted = client.post(f"/oncall/schedules/{schedule.pk}/layers/{hourly.pk}/delete/")
        assert deleted.status_code == 302
        assert client.get(deleted.url).status_code == 200
        assert not schedule.layers.filter(pk=hourly.pk).exists()


# --- settings --------------------------------------------------------------------------


def test_keel_refuses_to_start_with_an_on_call_setting_out_of_bounds():
    """A reminder lead time of 99999999999 minutes used to start, then stop every handoff
    with an OverflowError; now no process starts, and the error names the setting."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {
        **os.environ,
        "DATABASE_URL": "sqlite://:memory:",
        "REDIS_URL": "",
        "KEEL_HANDOFF_REMIND_BEFORE_MINUTES": "99999999999",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert (
        "KEEL_HANDOFF_REMIND_BEFORE_MINUTES must be 0 to 20160 minutes; 99999999999 is not."
        in result.stderr
    )
