"""Handoffs at shift boundaries, the handoff page, and iCal feeds parsed back."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from core.actors import Actor
from core.errors import KeelError
from incidents.services import incident_acknowledge, incident_declare, incident_resolve
from oncall.models import Handoff, Page
from oncall.services import (
    feed_create,
    feed_revoke,
    handoff_acknowledge,
    handoff_send_reminder,
    handoff_update_notes,
    handoffs_prepare,
    override_create,
)

from .conftest import ANCHOR, week_of


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def next_boundary(after: datetime) -> datetime:
    """The next weekly Monday 09:00 Berlin handoff of the fixture schedule."""
    from oncall.rotation import WEEKS, Layer, final_schedule

    layer = Layer(("x", "y"), 1, WEEKS, anchor=ANCHOR, start=ANCHOR)
    shifts = final_schedule([layer], [], after, after + timedelta(days=8), "Europe/Berlin")
    return shifts[1].start


def test_a_handoff_is_created_at_each_boundary_and_the_incoming_person_reminded_once(
    schedule, ann, bob
):
    boundary = next_boundary(timezone.now())
    half_hour_before = boundary - timedelta(minutes=30)

    due = handoffs_prepare(at=half_hour_before)
    again = handoffs_prepare(at=half_hour_before + timedelta(minutes=5))

    handoff = Handoff.objects.get(shift_start=boundary)
    incoming = [ann, bob][week_of(boundary) % 2]
    outgoing = [ann, bob][week_of(boundary - timedelta(minutes=1)) % 2]
    assert (handoff.incoming, handoff.outgoing) == (incoming, outgoing)
    week_before = boundary - timedelta(weeks=1)
    assert abs(handoff.outgoing_shift_start - week_before) <= timedelta(
        hours=1
    )  # DST may sit between
    assert handoff.pk in due and handoff.pk in again
    assert Handoff.objects.filter(shift_start=boundary).count() == 1

    handoff_send_reminder(handoff_id=handoff.pk)
    handoff_send_reminder(handoff_id=handoff.pk)

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [incoming.email]
    assert f"/oncall/handoffs/{handoff.pk}/" in mail.outbox[0].body
    assert handoff.pk not in handoffs_prepare(at=half_hour_before + timedelta(minutes=10))


def test_nothing_is_prepared_two_hours_ahead_with_the_default_one_hour_reminder(schedule):
    boundary = next_boundary(timezone.now())
    handoffs_prepare(at=boundary - timedelta(hours=2))
    assert not Handoff.objects.filter(shift_start=boundary).exists()
    handoffs_prepare(at=boundary - timedelta(minutes=59))
    assert Handoff.objects.filter(shift_start=boundary).exists()


def test_the_handoff_page_composes_itself(schedule, payments_service, ann, bob, cat, responder):
    boundary = next_boundary(timezone.now())
    handoffs_prepare(at=boundary - timedelta(minutes=30))
    handoff = Handoff.objects.get(shift_start=boundary)
    start = handoff.outgoing_shift_start
    a = incident_declare(
        actor=Actor.of(responder),
        title="Refunds slow",
        severity="SEV3",
        services=[payments_service],
        at=start + timedelta(hours=2),
    )
    incident_acknowledge(
        incident=a, actor=Actor.of(responder), at=start + timedelta(hours=2, minutes=4)
    )
    incident_resolve(incident=a, actor=Actor.of(responder), at=start + timedelta(hours=3))
    b = incident_declare(
        actor=Actor.of(responder),
        title="Card declines up",
        severity="SEV2",
        services=[payments_service],
        at=start + timedelta(days=1),
    )
    handoff_update_notes(
        user=handoff.outgoing, handoff=handoff, notes="DB failover drill on Thursday."
    )
    berlin = ZoneInfo("Europe/Berlin")
    tuesday = (start + timedelta(days=1)).astimezone(berlin).date()
    for hour in (3, 11):  # one page at night, one in office hours
        Page.objects.create(
            incident=a,
            user=handoff.outgoing,
            channel="email",
            status="sent",
            created_at=datetime.combine(tuesday, time(hour), tzinfo=berlin),
        )

    client = Client()
    client.force_login(handoff.incoming)
    page = client.get(f"/oncall/handoffs/{handoff.pk}/").content.decode()

    assert "2 incidents opened, 1 resolved" in page
    assert "MTTA 240 s" in page and "MTTR 3600 s" in page
    assert a.reference in page and b.reference in page
    still_open = page.split("Still open", 1)[1]
    assert (
        b.reference in still_open.split("Notes from", 1)[0]
        and a.reference not in still_open.split("Notes from", 1)[0]
    )
    assert "DB failover drill on Thursday." in page
    assert "2 pages, 1 off-hours" in page
    assert "I have it" in page

    response = client.post(f"/oncall/handoffs/{handoff.pk}/", {"acknowledge": "1"})
    assert response.status_code == 302
    handoff.refresh_from_db()
    assert handoff.acknowledged_at is not None


def test_only_the_incoming_person_takes_over_and_only_the_outgoing_writes_notes(schedule, cat):
    boundary = next_boundary(timezone.now())
    handoffs_prepare(at=boundary - timedelta(minutes=30))
    handoff = Handoff.objects.get(shift_start=boundary)
    with pytest.raises(KeelError, match="Only the incoming"):
        handoff_acknowledge(user=cat, handoff=handoff)
    with pytest.raises(KeelError, match="Only the outgoing"):
        handoff_update_notes(user=handoff.incoming, handoff=handoff, notes="x")
    client = Client()
    client.force_login(cat)
    response = client.post(f"/oncall/handoffs/{handoff.pk}/", {"notes": "sneaky"})
    assert response.status_code == 400 and "Only the outgoing" in response.content.decode()
    handoff.refresh_from_db()
    assert handoff.notes == ""


def _events(body: bytes) -> list:
    calendar = Calendar.from_ical(body)
    return [c for c in calendar.walk("VEVENT")]


def test_a_schedule_feed_is_valid_icalendar_with_overrides_and_can_be_revoked(
    schedule, ann, bob, cat
):
    start = timezone.now() + timedelta(days=3)
    override_create(
        user=None,
        schedule=schedule,
        person=cat,
        starts_at=start,
        ends_at=start + timedelta(hours=6),
    )
    feed, token = feed_create(user=ann, schedule=schedule)
    assert token not in feed.digest and feed.digest != token

    response = Client().get(f"/oncall/ical/{token}.ics")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0" and "PRODID" in calendar
    events = _events(response.content)
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any(s.startswith("On call: cat") and "override" in s for s in summaries)
    assert {"ann", "bob"} <= {s.split()[2] for s in summaries}
    cover = next(e for e in events if str(e["SUMMARY"]).startswith("On call: cat"))
    assert cover.decoded("DTSTART") == start.astimezone(UTC).replace(microsecond=0) or abs(
        cover.decoded("DTSTART") - start
    ) < timedelta(seconds=1)
    assert all(e.decoded("DTEND") > e.decoded("DTSTART") for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)

    feed_revoke(user=ann, feed=feed)
    assert Client().get(f"/oncall/ical/{token}.ics").status_code == 404
    assert Client().get(f"/oncall/ical/{token[:-2]}xx.ics").status_code == 404


def test_a_personal_feed_shows_only_that_persons_shifts(schedule, ann, bob):
    _, token = feed_create(user=ann, person=ann)
    events = _events(Client().get(f"/oncall/ical/{token}.ics").content)
    assert events and all(str(e["SUMMARY"]).startswith("On call: ann") for e in events)
    with pytest.raises(KeelError, match="for yourself only"):
        feed_create(user=ann, person=bob)


def test_the_handoff_page_lists_the_teams_error_budgets_at_risk(
    schedule, payments_service, checkout
):
    from decimal import Decimal

    from slos import budget_policy
    from slos.models import SLO, SloStatus

    at_risk = SLO.objects.create(
        service=payments_service, name="availability", objective=Decimal("99.9")
    )
    SloStatus.objects.create(
        slo=at_risk,
        evaluated_at=timezone.now(),
        tier=budget_policy.AT_RISK,
        remaining=Decimal("0.12"),
    )
    elsewhere = SLO.objects.create(service=checkout, name="latency", objective=Decimal("99"))
    SloStatus.objects.create(
        slo=elsewhere,
        evaluated_at=timezone.now(),
        tier=budget_policy.AT_RISK,
        remaining=Decimal("0.1"),
    )
    boundary = next_boundary(timezone.now())
    handoffs_prepare(at=boundary - timedelta(minutes=30))
    handoff = Handoff.objects.get(shift_start=boundary)

    client = Client()
    client.force_login(handoff.incoming)
    page = client.get(f"/oncall/handoffs/{handoff.pk}/").content.decode()
    budgets = page.split("Error budgets at risk", 1)[1].split("</ul>", 1)[0]

    assert "payments-api/availability" in budgets and "12% of the budget left" in budgets
    assert "checkout/latency" not in budgets  # another team's service


def test_the_beat_task_reminds_the_incoming_person_once(schedule, settings):
    from oncall.tasks import handoffs_tick

    settings.KEEL_HANDOFF_REMIND_BEFORE_MINUTES = (
        24 * 60 * 8
    )  # every boundary of the next week is near

    handoffs_tick.apply()
    handoffs_tick.apply()

    handoff = Handoff.objects.filter(shift_start__gt=timezone.now()).get()
    assert handoff.reminded_at is not None
    assert [m.to for m in mail.outbox] == [[handoff.incoming.email]]
