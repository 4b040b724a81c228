"""The SLO pages in a real browser (Chromium via Playwright) against a live server: on a
phone-sized screen the wide tables scroll inside their box and the page itself does not."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from slos.services import slo_evaluate
from tests.slos.factories import SLOFactory, push_minutes

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"

PAGE_OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
WIDEST_TABLE = """
() => Math.max(0, ...Array.from(document.querySelectorAll('main table'))
    .map(t => t.scrollWidth - t.closest('.table-wrap').clientWidth))
"""


def test_slo_pages_fit_a_phone(page, base_url, viewer, checkout):
    checkout.sla_objective = Decimal("99.5")
    checkout.save(update_fields=["sla_objective"])
    now = timezone.now().replace(second=0, microsecond=0)
    slo = SLOFactory(service=checkout, name="availability")
    push_minutes(
        slo,
        now - timedelta(hours=3),
        181,
        good=1000,
        total=1000,
        now=now,
        worse=(now - timedelta(hours=3), 10, 995),
    )
    slo_evaluate(slo=slo, at=now)

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
