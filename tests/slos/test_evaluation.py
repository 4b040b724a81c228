"""The full evaluation pass stores, for every SLO, what evaluating it alone shows: the pass
reads most pushed SLIs in grouped queries, and falls back to one by one where it must."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import timezone

from core.actors import Actor
from slos.models import SloStatus
from slos.services import correction_create, slo_figures, slos_evaluate_all
from slos.services.figures import dec
from tests.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.django_db


def test_full_pass_stores_what_each_slo_shows_alone(checkout, admin_user):
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(hours=50)  # spans at least one whole UTC day
    outage = (now - timedelta(hours=30), 10, 990)
    plain = SLOFactory(service=checkout, name="plain")
    push_minutes(plain, start, 3000, good=1000, total=1000, now=now, worse=outage)
    corrected = SLOFactory(service=checkout, name="corrected")
    push_minutes(corrected, start, 3000, good=1000, total=1000, now=now, worse=outage)
    correction_create(
        actor=Actor.of(admin_user),
        slo=corrected,
        start=outage[0],
        end=outage[0] + timedelta(minutes=10),
        category="maintenance",
        reason="failover",
    )
    quiet_today = SLOFactory(service=checkout, name="quiet-today")
    push_minutes(quiet_today, start, 600, good=1000, total=1000, now=now, worse=(start, 5, 0))
    sliced = SLOFactory(
        service=checkout,
        name="sliced",
        budgeting_method="timeslices",
        slice_target=Decimal("0.995"),
    )
    push_minutes(sliced, start, 3000, good=1000, total=1000, now=now, worse=outage)
    empty = SLOFactory(service=checkout, name="no-data")
    # a 3-day window: whole days in the middle, partial days at both ends
    three_days = SLOFactory(service=checkout, name="three-days", window_days=3)
    push_minutes(
        three_days,
        now - timedelta(days=3),
        3 * 1440,
        good=100,
        total=100,
        now=now,
        worse=(now - timedelta(days=3), 30, 99),
    )

    assert slos_evaluate_all(at=now - timedelta(minutes=1)) == 6
    first_ids = dict(SloStatus.objects.values_list("slo__name", "pk"))
    assert slos_evaluate_all(at=now) == 6  # the second pass updates the same rows

    statuses = {s.slo.name: s for s in SloStatus.objects.select_related("slo__service")}
    assert {name: s.pk for name, s in statuses.items()} == first_ids
    assert all(s.evaluated_at == now for s in statuses.values())
    # 10 minutes x 10 bad events of 3,000 x 1,000: 100 bad of an allowance of 3,000
    assert statuses["plain"].remaining == dec(1 - Fraction(100, 3000))
    assert statuses["corrected"].remaining == 1
    assert statuses["quiet-today"].data_at == start + timedelta(minutes=600)
    assert statuses["quiet-today"].remaining == dec(1 - Fraction(5000, 600))
    # 30 bad of 432,000 events, an allowance of 432
    assert statuses["three-days"].remaining == dec(1 - Fraction(30, 432))
    assert statuses["no-data"].remaining is None and statuses["no-data"].tier == "freeze"
    for slo in (plain, corrected, quiet_today, sliced, empty, three_days):
        alone = slo_figures(slo, at=now)
        stored = statuses[slo.name]
        assert (stored.good, stored.total, stored.bad, stored.remaining) == (
            dec(alone.good),
            dec(alone.total),
            dec(alone.bad),
            dec(alone.remaining),
        ), slo.name
        assert stored.burn_rates == alone.burn_rates_json(), slo.name
        assert (stored.tier, stored.alert_state, stored.data_at) == (
            alone.tier,
            alone.alert_state,
            alone.data_at,
        ), slo.name
