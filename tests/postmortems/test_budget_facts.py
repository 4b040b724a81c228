"""Budget figures for postmortems from pushed per-minute counts, checked against values
computed by hand from docs/slo-math.md (allowance, impact, remaining, minutes of budget)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from core.actors import Actor
from postmortems.budget_facts import burn_times, incident_budget_facts, window_label
from slos.services import correction_create, slo_figures
from tests.factories import SLOFactory, push_history, push_minutes, resolved_incident

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_timeslices_debit_window_and_minutes_left_over_30_days(checkout, responder):
    # 99.9% over 30 days in 1-minute slices: 43.2 bad minutes allowed. Ten bad minutes two
    # days ago, then a 20-minute incident: 20 / 43.2 = 46.3% spent by the incident,
    # 43.2 - 30 = 13.2 minutes left.
    slo = SLOFactory(service=checkout, budgeting_method="timeslices", slice_target=Decimal("0.99"))
    start = NOW - timedelta(hours=3)
    end = start + timedelta(minutes=20)
    push_history(
        slo,
        first=NOW - timedelta(days=3),
        start=start,
        minutes=180,
        now=NOW,
        earlier=(NOW - timedelta(days=2), 10, 750),
        during=(20, 980),
    )
    incident = resolved_incident(checkout, responder, start, end)

    [facts] = incident_budget_facts(incident_id=incident.pk, at=NOW)

    assert facts.window_label == "30-day"
    assert facts.window_end == end and facts.window_start == end - timedelta(days=30)
    assert facts.fraction == Fraction(Decimal("0.46296296"))
    assert facts.left.allowed == Fraction("43.2")
    assert facts.left.window_bad == 30
    assert facts.left.remaining_bad == Fraction("13.2")
    assert facts.left.remaining_minutes == Fraction("13.2")
    assert facts.left.remaining == 1 - Fraction(30) / Fraction("43.2")
    assert facts.text == (
        "consumed 46.3% of the budget of the 30-day window ending 2026-11-20 09:20 UTC "
        "(frozen at resolution); 13.2 min remain"
    )

    # the burn-down: an hour either side of the incident, falling from 33.2/43.2 to 13.2/43.2
    times = [t for t, _ in facts.burn]
    assert times[0] == start - timedelta(hours=1)
    assert times[-1] == end + timedelta(hours=1)
    assert start in times and end in times
    values = dict(facts.burn)
    assert values[times[0]] == 1 - 10 / Fraction("43.2")
    assert values[start] == 1 - 10 / Fraction("43.2")
    assert values[end] == 1 - 30 / Fraction("43.2")
    assert values[times[-1]] == 1 - 30 / Fraction("43.2")
    # each point is the budget of the rolling window ending then, as the evaluator sees it
    for time, value in facts.burn:
        assert value == slo_figures(slo, at=time).remaining, time


def test_occurrences_minutes_left_at_average_traffic(checkout, responder):
    # 99.9% over 7 days at 1000 requests a minute: 10,080,000 requests, 10,080 bad allowed.
    # 1,000 bad three days earlier, then 100 bad a minute for the 30-minute incident.
    slo = SLOFactory(service=checkout, window_days=7)
    end = NOW - timedelta(hours=2)
    start = end - timedelta(minutes=30)
    push_history(
        slo,
        first=end - timedelta(days=7),
        start=start,
        minutes=150,
        now=NOW,
        earlier=(end - timedelta(days=3), 10, 900),
        during=(30, 900),
    )
    incident = resolved_incident(checkout, responder, start, end)

    [facts] = incident_budget_facts(incident_id=incident.pk, at=NOW)

    assert facts.left.allowed == 10_080
    assert facts.left.window_bad == 4_000
    assert facts.fraction == Fraction(Decimal("0.29761905"))  # 3,000 / 10,080
    assert facts.left.remaining_bad == 6_080
    # 6,080 bad events at 1,000 requests a minute is 6.08 minutes of full outage, which is
    # also remaining x (1 - T) x W = (6,080 / 10,080) x 0.001 x 10,080 min
    assert facts.left.remaining_minutes == Fraction("6.08")
    assert facts.text == (
        "consumed 29.8% of the budget of the 7-day window ending 2026-11-20 10:00 UTC "
        "(frozen at resolution); 6.1 min remain at average traffic (6,080 bad events)"
    )
    # the window ending at the incident's start holds the 10,050 minutes pushed before it
    values = dict(facts.burn)
    assert values[start] == 1 - Fraction(1000, 10_050)
    assert values[end] == 1 - Fraction(4000, 10_080)
    for time, value in facts.burn:
        assert value == slo_figures(slo, at=time).remaining, time


def test_overspent_budget_is_reported_not_clamped(checkout, responder):
    # 99% over one day at 100 requests a minute: 1,440 bad allowed; a 30-minute full outage
    # is 3,000 bad: 208.3% of the budget, 1,560 bad events (15.6 minutes) over.
    slo = SLOFactory(service=checkout, objective=Decimal("99"), window_days=1)
    end = NOW - timedelta(hours=1)
    start = end - timedelta(minutes=30)
    push_minutes(
        slo, end - timedelta(days=1), 1500, good=100, total=100, now=NOW, worse=(start, 30, 0)
    )
    incident = resolved_incident(checkout, responder, start, end)

    [facts] = incident_budget_facts(incident_id=incident.pk, at=NOW)

    assert facts.left.remaining == 1 - Fraction(3000, 1440)
    assert facts.left.remaining_minutes == Fraction("-15.6")
    assert facts.text == (
        "consumed 208.3% of the budget of the 1-day window ending 2026-11-20 11:00 UTC "
        "(frozen at resolution); overspent by 15.6 min at average traffic "
        "(1,560 bad events)"
    )
    assert dict(facts.burn)[end] == 1 - Fraction(3000, 1440)


def test_calendar_month_window_is_named_and_counts_the_whole_month(checkout, responder):
    # 99.9% over November 2026 (30 days) in minutes: 43.2 bad minutes allowed; a 5-minute
    # full outage on the 10th spends 11.6% and leaves 38.2 minutes.
    slo = SLOFactory(
        service=checkout,
        window_kind="calendar_month",
        budgeting_method="timeslices",
        slice_target=Decimal("0.99"),
    )
    start = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    end = start + timedelta(minutes=5)
    push_minutes(
        slo,
        start - timedelta(hours=1),
        130,
        good=10,
        total=10,
        now=NOW,
        worse=(start, 5, 0),
    )
    incident = resolved_incident(checkout, responder, start, end)

    [facts] = incident_budget_facts(incident_id=incident.pk, at=NOW)

    assert facts.window_label == "November 2026"
    assert facts.left.remaining_minutes == Fraction("38.2")
    assert facts.text == (
        "consumed 11.6% of the budget of the November 2026 window (frozen at resolution); "
        "38.2 min remain"
    )
    values = dict(facts.burn)
    assert values[start] == 1
    assert values[end] == 1 - 5 / Fraction("43.2")
    for time, value in facts.burn:
        assert value == slo_figures(slo, at=time).remaining, time


def test_corrected_minutes_leave_the_debit_and_the_allowance(checkout, responder, admin_user):
    # E7 on a 1-day window at 99%: a 120-minute correction holds 4 of the 10 outage minutes;
    # 6 bad slices against 1% of the 1,320 uncorrected minutes (13.2): 45.5%, 7.2 min left.
    slo = SLOFactory(
        service=checkout,
        objective=Decimal("99"),
        window_days=1,
        budgeting_method="timeslices",
        slice_target=Decimal("0.99"),
    )
    start = NOW - timedelta(hours=3)
    end = start + timedelta(minutes=10)
    push_minutes(
        slo, NOW - timedelta(days=2), 2 * 1440, good=100, total=100, now=NOW, worse=(start, 10, 0)
    )
    correction_create(
        actor=Actor.of(admin_user),
        slo=slo,
        start=start - timedelta(minutes=116),
        end=start + timedelta(minutes=4),
        category="maintenance",
        reason="database failover drill",
    )
    incident = resolved_incident(checkout, responder, start, end)

    [facts] = incident_budget_facts(incident_id=incident.pk, at=NOW)

    assert facts.left.allowed == Fraction("13.2")
    assert facts.left.window_bad == 6
    assert facts.text == (
        "consumed 45.5% of the budget of the 1-day window ending 2026-11-20 09:10 UTC "
        "(frozen at resolution); 7.2 min remain"
    )
    for time, value in facts.burn:
        assert value == slo_figures(slo, at=time).remaining, time
    assert dict(facts.burn)[end] == 1 - 6 / Fraction("13.2")


def test_no_data_says_so(checkout, responder):
    SLOFactory(service=checkout)
    incident = resolved_incident(
        checkout, responder, NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    )

    [facts] = incident_budget_facts(incident_id=incident.pk, at=NOW)

    assert facts.fraction is None
    assert facts.text == "no data for the 30-day budget"
    assert all(value is None for _, value in facts.burn)


def test_window_label_names_the_zone_of_a_calendar_month():
    slo = SLOFactory.build(window_kind="calendar_month", time_zone="Europe/Paris")
    # 23:30 UTC on 31 October is already November in Paris
    assert window_label(slo, datetime(2026, 10, 31, 23, 30, tzinfo=UTC)) == (
        "November 2026 (Europe/Paris)"
    )


def test_burn_times_never_pass_now_and_keep_the_incident_edges():
    start = datetime(2026, 11, 20, 10, 0, 30, tzinfo=UTC)
    end = datetime(2026, 11, 20, 13, 0, 10, tzinfo=UTC)
    times = burn_times(start, end, at=datetime(2026, 11, 20, 14, 0, 45, tzinfo=UTC))
    # the incident spans 10:00-13:01 in whole minutes: as long again before it, and after
    # it up to now (14:00), not to 16:02
    assert times[0] == datetime(2026, 11, 20, 6, 59, tzinfo=UTC)
    assert times[-1] == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    assert datetime(2026, 11, 20, 10, 0, tzinfo=UTC) in times
    assert datetime(2026, 11, 20, 13, 1, tzinfo=UTC) in times
    assert len(times) <= 24 + 3
    assert all(t.second == 0 for t in times) and times == sorted(set(times))
