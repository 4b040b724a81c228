"""Teams from the on-call pages, each team's working hours (off-hours in the handoff
page and health report), and handoff reminders on webhooks."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from catalog.models import Team
from core.actors import Actor
from incidents.services import incident_declare
from oncall.choices import PageStatus
from oncall.models import Handoff, HandoffReminder, Page
from oncall.reports import health_report
from oncall.services import (
    contact_method_create,
    handoff_acknowledge,
    handoff_send_reminder,
    handoffs_prepare,
    team_update,
)
from tests.catcher import webhook_catcher

from .test_handoffs_ical import next_boundary


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KEEL_PAGE_WEBHOOK_ALLOW_HTTP = True
    settings.KEEL_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # the catcher
    settings.KEEL_PAGE_RETRY_BASE_SECONDS = 0
    settings.KEEL_PAGE_WEBHOOK_TIMEOUT_SECONDS = 0.5


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_html(html: str, name: str) -> str:
    """The markup of one form field: its label, input and errors."""
    match = re.search(
        rf'<(div|fieldset) class="field[^"]*">(?:(?!</\1>).)*?id_{name}\b.*?</\1>', html, re.S
    )
    assert match, f"no field {name}"
    return match.group(0)


# --- creating and editing teams -----------------------------------------------------------


def test_an_admin_creates_a_team_from_the_on_call_page(admin_user, ann, bob):
    client = logged_in(admin_user)
    home = client.get(reverse("oncall:home")).content.decode()
    assert reverse("oncall:team-new") in home

    form = client.get(reverse("oncall:team-new")).content.decode()
    assert 'value="09:00"' in form and 'value="18:00"' in form  # default working hours
    response = client.post(
        reverse("oncall:team-new"),
        {
            "name": "Search",
            "slug": "search",
            "time_zone": "Asia/Tokyo",
            "members": [ann.pk, bob.pk],
            "working_days": ["0", "1", "2", "3", "4"],
            "working_start": "10:00",
            "working_end": "19:00",
        },
    )

    assert response.status_code == 302 and response["Location"] == "/oncall/teams/search/"
    team = Team.objects.get(slug="search")
    assert (team.name, team.time_zone) == ("Search", "Asia/Tokyo")
    assert set(team.members.all()) == {ann, bob}
    page = client.get(response["Location"]).content.decode()
    assert "Mon-Fri 10:00-19:00 Asia/Tokyo" in page
    assert "ann" in page and "bob" in page


def test_bad_team_input_is_explained_next_to_the_field_and_kept(admin_user, team):
    client = logged_in(admin_user)
    before = Team.objects.count()

    taken = client.post(
        reverse("oncall:team-new"),
        {
            "name": "Payments again",
            "slug": "payments",
            "time_zone": "Europe/Berlin",
            "working_start": "09:00",
            "working_end": "18:00",
        },
    )
    html = taken.content.decode()
    assert taken.status_code == 400
    assert "exists already" in field_html(html, "slug")
    assert 'value="Payments again"' in field_html(html, "name")

    backwards = client.post(
        reverse("oncall:team-new"),
        {
            "name": "Nights",
            "slug": "nights",
            "time_zone": "Mars/Olympus",
            "working_start": "18:00",
            "working_end": "09:00",
        },
    )
    html = backwards.content.decode()
    assert backwards.status_code == 400
    assert "end after they start" in field_html(html, "working_end")
    assert "valid choice" in field_html(html, "time_zone")
    assert 'value="nights"' in field_html(html, "slug")
    assert Team.objects.count() == before


def test_an_admin_edits_members_zone_and_working_hours(admin_user, team, ann, bob, cat):
    client = logged_in(admin_user)
    url = reverse("oncall:team-edit", args=[team.slug])
    form = client.get(url).content.decode()
    assert 'value="Payments"' in form and "Europe/Berlin" in form

    response = client.post(
        url,
        {
            "name": "Payments",
            "time_zone": "America/New_York",
            "members": [ann.pk],
            "working_days": ["6", "0", "1", "2", "3"],
            "working_start": "08:00",
            "working_end": "16:00",
        },
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.time_zone == "America/New_York"
    assert list(team.members.all()) == [ann]
    assert team.working_days == [0, 1, 2, 3, 6]
    assert (
        "Mon-Thu, Sun 08:00-16:00 America/New_York"
        in client.get(response["Location"]).content.decode()
    )

    kept = client.post(
        url, {"name": "", "time_zone": "UTC", "working_start": "08:00", "working_end": "16:00"}
    )
    assert kept.status_code == 400 and "required" in field_html(kept.content.decode(), "name")
    team.refresh_from_db()
    assert team.name == "Payments"


@pytest.mark.parametrize("who", ["viewer", "responder"])
def test_only_admins_create_or_edit_teams(request, who, team, ann):
    client = logged_in(request.getfixturevalue(who))
    data = {
        "name": "Hijacked",
        "slug": "hijacked",
        "time_zone": "UTC",
        "members": [ann.pk],
        "working_start": "09:00",
        "working_end": "18:00",
    }
    assert client.post(reverse("oncall:team-new"), data).status_code == 403
    assert client.post(reverse("oncall:team-edit", args=[team.slug]), data).status_code == 403
    assert client.post(reverse("oncall:team-new"), {}).status_code == 403
    assert client.get(reverse("oncall:team-new")).status_code == 403
    team.refresh_from_db()
    assert team.name == "Payments" and not Team.objects.filter(slug="hijacked").exists()
    assert reverse("oncall:team-new") not in client.get(reverse("oncall:home")).content.decode()


def test_the_team_api_sets_working_hours_and_rejects_backwards_ones(admin_api, team):
    ok = admin_api.patch(
        f"/api/v1/oncall/teams/{team.slug}/",
        {"working_days": [0, 1, 2, 3], "working_start": "07:30:00"},
        format="json",
    )
    assert ok.status_code == 200, ok.content
    assert (ok.json()["working_days"], ok.json()["working_start"]) == ([0, 1, 2, 3], "07:30:00")

    bad = admin_api.patch(
        f"/api/v1/oncall/teams/{team.slug}/", {"working_end": "06:00:00"}, format="json"
    )
    assert bad.status_code == 400 and "working_end" in bad.json()["errors"]
    team.refresh_from_db()
    assert team.working_end == time(18)


# --- off-hours are the team's ---------------------------------------------------------------


def pages_during_outgoing_shift(handoff, incident) -> None:
    """Four pages in the week before the handoff, at Berlin local times."""
    berlin = ZoneInfo("Europe/Berlin")
    monday = handoff.outgoing_shift_start.astimezone(berlin).date()
    for days, hour in ((1, 12), (1, 17), (4, 10), (6, 10)):  # Tue 12, Tue 17, Fri 10, Sun 10
        Page.objects.create(
            incident=incident,
            user=handoff.outgoing,
            channel="email",
            status="sent",
            created_at=datetime.combine(monday + timedelta(days=days), time(hour), tzinfo=berlin),
        )


def test_off_hours_follow_the_teams_working_days_and_hours(
    schedule, team, payments_service, responder
):
    boundary = next_boundary(timezone.now())
    handoffs_prepare(at=boundary - timedelta(minutes=30))
    handoff = Handoff.objects.get(shift_start=boundary)
    incident = incident_declare(
        actor=Actor.of(responder),
        title="Refunds slow",
        severity="SEV3",
        services=[payments_service],
        at=handoff.outgoing_shift_start + timedelta(hours=1),
    )
    pages_during_outgoing_shift(handoff, incident)
    client = logged_in(handoff.incoming)
    url = reverse("oncall:handoff", args=[handoff.pk])

    default = client.get(url).content.decode()
    assert "4 pages, 1 off-hours (outside Mon-Fri 09:00-18:00 Europe/Berlin)" in default

    # A Sunday-to-Thursday team working 08:00-16:00.
    team_update(
        user=None,
        team=team,
        working_days=[6, 0, 1, 2, 3],
        working_start=time(8),
        working_end=time(16),
    )
    custom = client.get(url).content.decode()
    assert "4 pages, 2 off-hours (outside Mon-Thu, Sun 08:00-16:00 Europe/Berlin)" in custom

    start = handoff.outgoing_shift_start
    report = health_report(team=team, start=start, end=boundary)
    [(_name, count, off)] = report.pages_per_person
    assert (count, off) == (4, 2)
    health = client.get(reverse("oncall:health"), {"team": team.slug, "weeks": 2}).content.decode()
    assert "Mon-Thu, Sun 08:00-16:00 Europe/Berlin" in health


# --- handoff reminders on webhooks ------------------------------------------------------------


def prepared_handoff() -> Handoff:
    boundary = next_boundary(timezone.now())
    handoffs_prepare(at=boundary - timedelta(minutes=30))
    return Handoff.objects.get(shift_start=boundary)


def test_the_handoff_reminder_is_posted_to_the_incoming_persons_webhooks_with_retries(
    django_capture_on_commit_callbacks, schedule
):
    handoff = prepared_handoff()
    incoming = handoff.incoming
    with webhook_catcher() as catcher:
        catcher.statuses = [500]
        contact_method_create(
            user=incoming, owner=incoming, kind="webhook", address=catcher.url, label="Slack"
        )
        with django_capture_on_commit_callbacks(execute=True):
            handoff_send_reminder(handoff_id=handoff.pk)
        with django_capture_on_commit_callbacks(execute=True):
            handoff_send_reminder(handoff_id=handoff.pk)  # reminded once only

    reminder = HandoffReminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (
        PageStatus.DELIVERED,
        2,
        "",
    )
    assert len(catcher.bodies) == 2  # the 500, then the delivery
    body = catcher.bodies[-1]
    assert f"/oncall/handoffs/{handoff.pk}/" in body["text"]
    assert body["handoff"]["incoming"] == incoming.get_username()
    assert [m.to for m in mail.outbox] == [[incoming.email]]  # and the email, as before
    page = logged_in(incoming).get(reverse("oncall:handoff", args=[handoff.pk])).content.decode()
    assert 'webhook Slack: <span class="badge">Delivered</span>' in page


def test_a_reminder_webhook_that_keeps_failing_shows_why(
    django_capture_on_commit_callbacks, settings, schedule
):
    settings.KEEL_PAGE_MAX_ATTEMPTS = 3
    handoff = prepared_handoff()
    incoming = handoff.incoming
    with webhook_catcher() as catcher:
        catcher.statuses = [503] * 5
        contact_method_create(user=incoming, owner=incoming, kind="webhook", address=catcher.url)
        with django_capture_on_commit_callbacks(execute=True):
            handoff_send_reminder(handoff_id=handoff.pk)

    reminder = HandoffReminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.last_error) == (
        PageStatus.FAILED,
        3,
        "HTTP 503",
    )
    page = logged_in(incoming).get(reverse("oncall:handoff", args=[handoff.pk])).content.decode()
    assert "Failed" in page and "HTTP 503" in page and "3 attempts" in page


def test_no_reminder_is_posted_once_the_shift_is_taken_over(
    django_capture_on_commit_callbacks, schedule
):
    from oncall.services.handoffs import handoff_reminder_deliver

    handoff = prepared_handoff()
    incoming = handoff.incoming
    with webhook_catcher() as catcher:
        contact_method_create(user=incoming, owner=incoming, kind="webhook", address=catcher.url)
        handoff_send_reminder(handoff_id=handoff.pk)  # delivery not yet run
        handoff_acknowledge(user=incoming, handoff=handoff)
        reminder, retry = handoff_reminder_deliver(reminder_id=HandoffReminder.objects.get().pk)

    assert catcher.bodies == [] and not retry
    assert reminder is not None and reminder.status == PageStatus.FAILED
    assert "taken over" in reminder.last_error
