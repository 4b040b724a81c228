"""Profile: the time zone times are shown in."""

from datetime import UTC, datetime

import pytest

from accounts.models import Profile
from core.actors import Actor
from incidents.services import incident_declare

pytestmark = pytest.mark.django_db


def test_profile_sets_the_zone_and_pages_show_times_in_it_with_utc_on_hover(client, responder):
    client.force_login(responder)
    started = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    incident = incident_declare(
        actor=Actor.of(responder),
        title="Summer outage",
        severity="SEV2",
        started_at=started,
        at=datetime(2026, 7, 1, 12, 5, tzinfo=UTC),
    )
    before = client.get(f"/incidents/{incident.number}/").content.decode()
    assert (
        '<time datetime="2026-07-01T12:00:00Z" title="2026-07-01 12:00:00 UTC">'
        "2026-07-01 12:00 UTC</time>" in before
    )

    response = client.post("/profile/", {"time_zone": "Europe/Berlin"})
    assert response.status_code == 302
    assert Profile.objects.get(user=responder).time_zone == "Europe/Berlin"
    after = client.get(f"/incidents/{incident.number}/").content.decode()
    assert 'title="2026-07-01 12:00:00 UTC">2026-07-01 14:00 CEST</time>' in after


def test_profile_rejects_an_unknown_zone_and_keeps_the_old_one(client, responder):
    client.force_login(responder)
    client.post("/profile/", {"time_zone": "Asia/Tokyo"})
    response = client.post("/profile/", {"time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 400
    assert "time_zone" in response.context["form"].errors
    assert Profile.objects.get(user=responder).time_zone == "Asia/Tokyo"


def test_the_zone_is_read_again_in_a_new_session(client, responder):
    Profile.objects.create(user=responder, time_zone="America/New_York")
    client.force_login(responder)
    page = client.get("/profile/").content.decode()
    assert 'value="America/New_York" selected' in page
    assert "America/New_York" in page.split("</nav>")[0]


def test_a_zone_change_applies_at_once_in_the_users_other_sessions(responder):
    from django.test import Client

    laptop, phone = Client(), Client()
    laptop.force_login(responder)
    phone.force_login(responder)
    incident = incident_declare(
        actor=Actor.of(responder),
        title="Winter outage",
        severity="SEV2",
        started_at=datetime(2026, 1, 10, 9, 30, tzinfo=UTC),
        at=datetime(2026, 1, 10, 9, 35, tzinfo=UTC),
    )
    room = f"/incidents/{incident.number}/"
    assert ">2026-01-10 09:30 UTC</time>" in laptop.get(room).content.decode()

    assert phone.post("/profile/", {"time_zone": "Asia/Tokyo"}).status_code == 302

    page = laptop.get(room).content.decode()
    assert ">2026-01-10 18:30 JST</time>" in page
    assert ">2026-01-10 09:30 UTC</time>" not in page


def test_profile_needs_sign_in(client):
    assert client.get("/profile/")["Location"].startswith("/login/")
