"""Every time on a page names its zone, shows its year when that is not this year, and a
new user is asked for their zone instead of silently reading UTC."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import timezone

from accounts.models import Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _render(source: str, **context) -> str:
    return Template("{% load keel_time %}" + source).render(Context(context))


def test_a_short_time_shows_the_year_only_outside_this_year_and_always_the_zone():
    now = timezone.now()
    this_year = now.replace(month=1, day=1, hour=0, minute=0)
    ten_years_on = this_year.replace(year=this_year.year + 10)
    with timezone.override(UTC):
        same = _render('{% when at "short" %}', at=this_year)
        later = _render('{% when at "short" %}', at=ten_years_on)
    assert "01 Jan 00:00 UTC</time>" in same and str(this_year.year) not in same.split(">")[1]
    assert f"01 Jan {ten_years_on.year} 00:00 UTC</time>" in later


def test_a_format_with_a_time_of_day_always_names_the_zone():
    at = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo("Europe/Berlin")):
        assert ">2026-07-01 14:00:00 CEST</time>" in _render('{% when at "Y-m-d H:i:s" %}', at=at)
        assert ">2026-07-01</time>" in _render('{% when at "Y-m-d" %}', at=at)
        assert ">2026-07-01 14:00 CEST</time>" in _render("{{ at|when }}", at=at)


def test_the_first_sign_in_asks_for_the_zone_and_the_answer_sticks(client):
    UserFactory(username="newbie")
    landed = client.post("/login/", {"username": "newbie", "password": PASSWORD}, follow=True)
    page = landed.content.decode()
    assert 'data-testid="zone-question"' in page
    assert "Times are shown in UTC until you say which time zone you are in." in page

    answered = client.post("/profile/", {"time_zone": "Asia/Tokyo", "next": "/incidents/"})
    assert answered.status_code == 302 and answered["Location"] == "/incidents/"
    assert Profile.objects.get(user__username="newbie").time_zone == "Asia/Tokyo"
    after = client.get("/incidents/").content.decode()
    assert 'data-testid="zone-question"' not in after
    assert "Asia/Tokyo" in after.split("</nav>")[0]


def test_the_answer_never_sends_the_browser_elsewhere(client):
    user = UserFactory(username="newbie")
    client.force_login(user)
    answered = client.post(
        "/profile/", {"time_zone": "Europe/Paris", "next": "https://evil.example/"}
    )
    assert answered["Location"] == "/profile/"


@pytest.mark.parametrize("where", ["fuzz", "9223372036854775808", "javascript:alert(1)"])
def test_a_next_that_is_not_a_path_goes_back_to_the_profile(client, where):
    client.force_login(UserFactory(username="newbie"))
    answered = client.post("/profile/", {"time_zone": "Europe/Paris", "next": where})
    assert answered.status_code == 302 and answered["Location"] == "/profile/"


def test_the_profile_page_offers_the_browsers_zone_until_one_is_chosen():
    user = UserFactory(username="newbie")
    client = Client()
    client.force_login(user)
    assert "data-suggest-zone" in client.get("/profile/").content.decode()
    Profile.objects.create(user=user, time_zone="UTC")
    page = client.get("/profile/").content.decode()
    assert "data-suggest-zone" not in page and 'data-testid="zone-question"' not in page
