"""SLA months are counted in the owning team's time zone, UTC for unowned services."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from catalog.models import Team
from slos import budget
from slos.sla import sla_months, sla_zone
from tests.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.django_db

AUCKLAND = "Pacific/Auckland"  # 12 or 13 hours ahead of UTC


@pytest.fixture
def auckland_outage(checkout):
    """A month boundary in Auckland; an hour of good minutes before it and 30 minutes of
    errors just after it, which in UTC is still the day before, in the previous month."""
    now = timezone.now()
    boundary, _ = budget.calendar_month_window(at=now - timedelta(days=35), zone=AUCKLAND)
    slo = SLOFactory(service=checkout, name="availability", objective=Decimal("99.9"))
    push_minutes(slo, boundary - timedelta(hours=2), 60, good=1000, total=1000, now=now)
    push_minutes(slo, boundary + timedelta(hours=2), 30, good=900, total=1000, now=now)
    checkout.sla_objective = Decimal("99.5")
    checkout.save()
    return boundary


def test_months_follow_the_owning_teams_zone(checkout, auckland_outage):
    boundary = auckland_outage
    assert sla_zone(checkout) == "UTC"
    checkout.owner = Team.objects.create(name="Payments", slug="payments", time_zone=AUCKLAND)
    checkout.save()
    assert sla_zone(checkout) == AUCKLAND
    at = boundary + timedelta(days=3)

    local = sla_months(service=checkout, months=2, at=at, zone=AUCKLAND)
    assert local[0].label == boundary.strftime("%Y-%m")
    assert (local[0].attainment, local[0].met) == (Fraction(9, 10), False)
    assert (local[1].attainment, local[1].met) == (1, True)

    # counted in UTC the errors fall in the previous month, with the good hour
    utc = sla_months(service=checkout, months=2, at=at, zone="UTC")
    assert utc[0].attainment is None
    assert utc[1].label == boundary.astimezone(ZoneInfo("UTC")).strftime("%Y-%m")
    assert utc[1].attainment == Fraction(29, 30) and utc[1].met is False


def test_service_page_names_the_zone_of_its_months(client, viewer, checkout):
    checkout.owner = Team.objects.create(name="Payments", slug="payments", time_zone=AUCKLAND)
    checkout.sla_objective = Decimal("99.5")
    checkout.save()
    client.force_login(viewer)
    html = client.get("/slos/services/checkout/").content.decode()
    assert f"months in {AUCKLAND}" in html
    this_month = timezone.now().astimezone(ZoneInfo(AUCKLAND)).strftime("%Y-%m")
    assert f'<th scope="row">{this_month}</th>' in html
