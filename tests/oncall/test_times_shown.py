"""Times on the on-call pages name their zone and their year when it is not this year's,
and the schedule says which zone each of its people reads times in."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from oncall.models import Override

pytestmark = pytest.mark.django_db


def _page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    return client.get(url).content.decode()


def test_an_override_into_next_year_shows_both_years_and_the_zone(schedule, cat, ann):
    now = timezone.now()
    start = now.replace(month=12, day=20, hour=9, minute=0, second=0, microsecond=0)
    if start < now:
        start = start.replace(year=start.year + 1)
    end = start + timedelta(days=300)
    Override.objects.create(schedule=schedule, user=cat, starts_at=start, ends_at=end)

    page = _page(ann, f"/oncall/schedules/{schedule.pk}/")
    overrides = page.split('id="overrides"', 1)[1].split("</ul>", 1)[0]
    line = next(part for part in overrides.split("<li>") if part.startswith("cat:"))
    assert str(end.year) in line, line
    assert "CET" in line or "CEST" in line, line


def test_the_schedule_header_names_each_persons_own_zone(schedule, ann, bob):
    Profile.objects.create(user=ann, time_zone="Asia/Tokyo")
    page = _page(bob, f"/oncall/schedules/{schedule.pk}/")
    header = page.split('data-testid="people-zones"', 1)[1].split("</p>", 1)[0]
    assert "Times here are in Europe/Berlin" in header
    assert "ann Asia/Tokyo" in header
    assert "bob UTC (not chosen yet)" in header


def test_my_on_call_page_shows_the_zone_of_each_time(schedule, ann):
    Profile.objects.create(user=ann, time_zone="America/New_York")
    page = _page(ann, "/oncall/me/")
    shifts = page.split("My shifts", 1)[1].split("</ul>", 1)[0]
    assert "<time " in shifts and ("EST" in shifts or "EDT" in shifts), shifts
