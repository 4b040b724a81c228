"""The schedule page in a real browser (Chromium via Playwright) against a live server:
a conflicting override is explained next to its field, a good one shows on the timeline."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from oncall.models import Override

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_adding_an_override_in_the_browser(page, base_url, schedule, ann, cat):
    berlin = ZoneInfo("Europe/Berlin")
    start = (
        (timezone.now() + timedelta(days=2))
        .astimezone(berlin)
        .replace(minute=0, second=0, microsecond=0)
    )
    Override.objects.create(
        schedule=schedule, user=cat, starts_at=start, ends_at=start + timedelta(hours=4)
    )

    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill("ann")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{base_url}/oncall/schedules/{schedule.pk}/")

    page.get_by_label("Who covers").select_option(label="ann")
    page.get_by_label("Starts at").fill((start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends at").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Reason").fill("covering the release")
    page.get_by_role("button", name="Add override").click()

    error = page.locator(".has-error .error")
    error.wait_for()
    assert "Conflicts with an existing override: cat covers" in error.inner_text()
    assert page.get_by_label("Reason").input_value() == "covering the release"

    page.get_by_label("Starts at").fill((start + timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Ends at").fill((start + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Add override").click()

    page.get_by_text("Override saved.").wait_for()
    saved = Override.objects.get(user=ann)
    assert saved.starts_at == start + timedelta(hours=4)
    bars = page.locator("svg title").evaluate_all("titles => titles.map(t => t.textContent)")
    assert any(text.startswith("ann: ") for text in bars)
