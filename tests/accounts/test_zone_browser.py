"""A new user's first pages ask for their zone, offering the one the browser reports
(Chromium via Playwright, set to Tokyo), and one click answers it."""

import pytest

from accounts.models import Profile
from tests.browser.live import save_screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def test_the_first_sign_in_offers_the_browsers_zone(request, chromium, base_url):
    from playwright.sync_api import expect

    UserFactory(username="newbie")
    context = chromium.new_context(timezone_id="Asia/Tokyo")
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    try:
        tab.goto(f"{base_url}/login/")
        tab.get_by_label("Username").fill("newbie")
        tab.get_by_label("Password").fill(PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        question = tab.get_by_test_id("zone-question")
        expect(question).to_contain_text("Times are shown in UTC until you say")
        question.get_by_role("button", name="Use Asia/Tokyo").click()
        expect(tab.locator(".messages")).to_contain_text("Times are now shown in Asia/Tokyo.")
        expect(tab.get_by_test_id("zone-question")).to_have_count(0)
        expect(tab.get_by_role("heading", name="Dashboard")).to_be_visible()
        assert Profile.objects.get(user__username="newbie").time_zone == "Asia/Tokyo"
    except Exception:
        save_screenshot(request, tab)
        raise
    finally:
        context.close()
