"""The SLO pages in a real browser (Chromium via Playwright) against a live server: on a
phone-sized screen the wide tables scroll inside their box and the page itself does not."""

from decimal import Decimal

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"

PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
WIDEST_TABLE = """
() => Math.max(0, ...Array.from(document.querySelectorAll('main table'))
    .map(t => t.scrollWidth - t.closest('.table-wrap').clientWidth))
"""


def test_slo_pages_fit_a_phone(page, base_url, viewer, checkout, evaluated):
    checkout.sla_objective = Decimal("99.5")
    checkout.save(update_fields=["sla_objective"])
    slo = evaluated

    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(viewer.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()

    page.set_viewport_size({"width": 390, "height": 844})
    paths = ["/slos/", f"/slos/{slo.pk}/", f"/slos/services/{checkout.slug}/", "/slos/report/"]
    scrolled_inside = 0
    for path in paths:
        page.goto(base_url + path)
        assert page.evaluate(PAGE_OVERFLOW) <= 1, path
        scrolled_inside += page.evaluate(WIDEST_TABLE) > 0
    # The tables are wider than a phone; they scroll in their own box.
    assert scrolled_inside >= 2
