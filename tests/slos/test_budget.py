"""The vectors of docs/slo-math.md, and properties of the budget math."""
# mypy: disable-error-code="operator"

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slos import budget as b
from slos import budget_ledger, budget_policy, burn_rates, durations

T = Fraction(999, 1000)
W30 = timedelta(days=30)


def approx(value, expected, rel=1e-3):
    return float(value) == pytest.approx(expected, rel=rel)


# G: burn rates, exhaustion, detection ---------------------------------------------------


def test_g1_burn_14_4_spends_2_percent_an_hour_and_lasts_50_hours():
    burn = burn_rates.burn_rate(error_ratio="0.0144", objective=T)
    assert burn == Fraction(144, 10)
    assert burn_rates.consumed_by_burn(
        burn=burn, duration=timedelta(hours=1), window=W30
    ) == Fraction(2, 100)
    assert burn_rates.time_to_exhaustion(window=W30, burn=burn) == timedelta(hours=50)


def test_g2_total_outage_burns_1000_and_exhausts_in_43_2_minutes():
    burn = burn_rates.burn_rate(error_ratio=1, objective=T)
    assert burn == 1000
    assert burn_rates.time_to_exhaustion(window=W30, burn=burn) == timedelta(minutes=43.2)


def test_g3_detection_of_a_total_outage_at_factor_36_on_1h():
    found = burn_rates.detection_time(
        objective=T, error_ratio=1, lookback=timedelta(hours=1), factor=36
    )
    assert found == timedelta(minutes=2.16)


def test_g4_both_windows_must_cross_so_the_pair_fires_at_the_long_crossing():
    long = burn_rates.detection_time(
        objective=T, error_ratio="0.1", lookback=timedelta(hours=1), factor="14.4"
    )
    short = burn_rates.detection_time(
        objective=T, error_ratio="0.1", lookback=timedelta(minutes=5), factor="14.4"
    )
    assert long == timedelta(minutes=8.64)
    assert short == timedelta(minutes=0.72)
    assert max(long, short) == timedelta(minutes=8.64)


def test_g6_burn_35_exhausts_in_20_57_hours():
    left = burn_rates.time_to_exhaustion(window=W30, burn=35)
    assert approx(left.total_seconds() / 3600, 20.57)


def test_g7_objective_90_outage_for_an_hour_and_the_unreachable_page():
    objective = Fraction(9, 10)
    burn = burn_rates.burn_rate(error_ratio=1, objective=objective)
    assert burn == 10
    spent = burn_rates.consumed_by_burn(burn=burn, duration=timedelta(hours=1), window=W30)
    assert approx(spent * 100, 1.39)
    assert burn_rates.max_burn_rate(objective) < Fraction(144, 10)
    page_fast = burn_rates.default_alert_windows(30)[0]
    burns = {page_fast.long: burn, page_fast.short: burn}
    assert burn_rates.firing_alerts(burns, [page_fast]) == []


def test_g8_one_failure_at_10_requests_an_hour():
    total = 10 * 24 * 30
    spent = b.consumed(bad=1, allowed=b.allowed_bad(T, total))
    assert approx(spent * 100, 13.9)


def test_g9_five_nines():
    objective = Fraction(99999, 100000)
    budget_seconds = b.error_budget(objective) * Fraction(W30.total_seconds())
    assert budget_seconds == Fraction(2592, 100)
    burn = burn_rates.burn_rate(error_ratio="0.01", objective=objective)
    assert burn == 1000
    assert burn_rates.time_to_exhaustion(window=W30, burn=burn) == timedelta(minutes=43.2)


# E: budgets and impacts -------------------------------------------------------------------


def test_e1_request_budget():
    allowed = b.allowed_bad(T, 10_000_000)
    assert allowed == 10_000
    assert b.consumed(bad=3260, allowed=allowed) == Fraction(326, 1000)
    assert b.remaining(bad=3260, allowed=allowed) == Fraction(674, 1000)


def test_e2_full_outage_of_14_08_minutes_in_timeslices():
    allowed = b.allowed_bad_slices(objective=T, slices=b.slices_in(W30))
    assert allowed == Fraction(432, 10)
    assert approx(b.consumed(bad=Fraction(1408, 100), allowed=allowed) * 100, 32.59)


def test_e3_quarter_errors_for_40_minutes_uniform_traffic():
    per_minute = 1000
    total = per_minute * 43200
    bad = Fraction(1, 4) * per_minute * 40
    assert approx(b.consumed(bad=bad, allowed=b.allowed_bad(T, total)) * 100, 23.15)


def test_e4_same_incident_in_timeslices_with_slice_target_0_99():
    minutes = [(750, 1000)] * 40 + [(1000, 1000)] * (43200 - 40)
    bad = b.bad_slices(minutes, slice_target="0.99")
    assert bad == 40
    spent = b.consumed(bad=bad, allowed=b.allowed_bad_slices(objective=T, slices=43200))
    assert approx(spent * 100, 92.6)


def test_e5_five_percent_errors_for_30_minutes_at_1000_rps():
    total = 1000 * 86400 * 30
    bad = 1000 * 30 * 60 * Fraction(5, 100)
    assert bad == 90_000
    allowed = b.allowed_bad(T, total)
    assert allowed == 2_592_000
    assert approx(budget_ledger.impact(bad_in_incident=bad, allowed_in_window=allowed) * 100, 3.47)


def test_e6_overspent_budget_is_reported_not_clamped():
    assert b.remaining(bad=15_000, allowed=10_000) == Fraction(-1, 2)


def test_e7_correction_removes_time_from_bad_and_denominator():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    window = (start, start + W30)
    correction = (start + timedelta(days=3), start + timedelta(days=3, minutes=120))
    outage = (correction[1] - timedelta(minutes=10), correction[1] + timedelta(minutes=20))
    slices = b.slices_in(window[1] - window[0] - b.covered(window, [correction]))
    bad = sum((b.overlap(outage, part) for part in b.subtract(window, [correction])), timedelta())
    assert bad == timedelta(minutes=20)
    allowed = b.allowed_bad_slices(objective=T, slices=slices)
    assert allowed == Fraction(4308, 100)
    spent = b.consumed(bad=b.seconds(bad) / 60, allowed=allowed)
    assert approx(spent * 100, 46.4)


def test_s8_event_weighted_error_ratio():
    ratio = b.error_ratio_of([(1000, 0), (10, 10)])
    assert ratio == Fraction(10, 1010)
    assert approx(ratio, 0.0099, rel=1e-2)


# Timeslice budgets and alert factors -------------------------------------------------------


@pytest.mark.parametrize(
    ("objective", "days", "minutes"),
    [
        ("99.9", 30, "43.2"),
        ("99.9", 28, "40.32"),
        ("99.9", 7, "10.08"),
        ("99", 30, "432"),
        ("99.5", 30, "216"),
        ("99.95", 30, "21.6"),
        ("99.99", 30, "4.32"),
    ],
)
def test_timeslice_allowances(objective, days, minutes):
    allowed = b.allowed_bad_slices(
        objective=b.objective_ratio(objective), slices=b.slices_in(timedelta(days=days))
    )
    assert allowed == Fraction(minutes)


@pytest.mark.parametrize(
    ("days", "factors"),
    [(30, ["14.4", "6", "3", "1"]), (28, ["13.44", "5.6", "2.8", "0.9333"])],
)
def test_alert_table_factors(days, factors):
    windows = burn_rates.default_alert_windows(days)
    assert [w.short for w in windows] == [w.long / 12 for w in windows]
    assert (windows[0].long, windows[0].short) == (timedelta(hours=1), timedelta(minutes=5))
    for window, factor in zip(windows, factors, strict=True):
        assert approx(window.factor, float(factor), rel=1e-4)
    assert [w.severity for w in windows] == ["page", "page", "ticket", "ticket"]


def test_exactly_at_the_factor_does_not_fire_and_above_it_does():
    windows = burn_rates.default_alert_windows(30)
    at = burn_rates.burn_rate(error_ratio="0.0144", objective=T)
    assert (
        burn_rates.firing_alerts({timedelta(hours=1): at, timedelta(minutes=5): at}, windows) == []
    )
    above = at + Fraction(1, 10**9)
    fired = burn_rates.firing_alerts(
        {timedelta(hours=1): above, timedelta(minutes=5): above}, windows
    )
    assert [w.name for w in fired] == ["page-fast"]
    assert burn_rates.alert_state(fired) == "page"


def test_only_one_window_of_a_pair_crossing_does_not_fire():
    windows = burn_rates.default_alert_windows(30)
    burns = {timedelta(hours=1): Fraction(20), timedelta(minutes=5): Fraction(1)}
    assert burn_rates.firing_alerts(burns, windows) == []
    assert burn_rates.alert_state([]) == "ok"


# Policy and the gate (D vectors) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("remaining", "tier"),
    [
        ("0.9", "healthy"),
        ("0.5", "caution"),
        ("0.4", "caution"),
        ("0.2", "caution"),
        ("0.19", "at_risk"),
        ("0.05", "at_risk"),
        ("0.049", "freeze"),
        ("-0.5", "freeze"),
    ],
)
def test_policy_tiers(remaining, tier):
    assert budget_policy.policy_tier(Fraction(remaining)) == tier


def test_burn_actions():
    assert budget_policy.burn_actions(Fraction(1)) == []
    assert budget_policy.burn_actions(Fraction(2)) == ["warning"]
    assert budget_policy.burn_actions(Fraction(144, 10)) == [
        "warning",
        "ticket",
        "page",
        "fast_burn",
    ]
    assert budget_policy.burn_actions(Fraction(20))[-1] == "block"


def _slo(remaining, burn_1h, burn_5m=Fraction(0), age=10.0, error=""):
    return budget_policy.GateInput(
        name="availability",
        remaining=None if remaining is None else Fraction(remaining),
        burn_1h=None if burn_1h is None else Fraction(burn_1h),
        burn_5m=None if burn_5m is None else Fraction(burn_5m),
        data_age_s=age,
        error=error,
    )


def test_d1_healthy_enough_and_slow_burn_is_allowed():
    decision = budget_policy.gate_decision([_slo("0.4", 2)])
    assert (decision.decision, decision.tier) == ("allow", "caution")


def test_d2_fast_burn_blocks():
    decision = budget_policy.gate_decision([_slo("0.4", 15, 20)])
    assert decision.decision == "block"
    assert "fast burn" in decision.reasons[0]


def test_d3_exhausted_budget_blocks_unless_a_hotfix_bypass_is_recorded():
    assert budget_policy.gate_decision([_slo("-0.05", 0)]).decision == "block"
    bypassed = budget_policy.gate_decision([_slo("-0.05", 0)], bypass="hotfix by ada: payment bug")
    assert bypassed.decision == "allow"
    assert any("bypass" in r for r in bypassed.reasons)


def test_d4_no_series_fails_closed():
    decision = budget_policy.gate_decision([_slo(None, None, None, age=None)])
    assert decision.decision == "block"
    assert decision.reasons == ["availability: no data"]


@pytest.mark.parametrize(
    "slo",
    [
        _slo("0.9", 0, 0, age=3600),
        _slo("0.9", 0, 0, age=None),
        _slo("0.9", 0, 0, error="Prometheus at http://x is unreachable"),
    ],
    ids=["stale", "unknown-age", "error"],
)
def test_gate_fails_closed_and_warn_only_reports_instead(slo):
    assert budget_policy.gate_decision([slo]).decision == "block"
    assert budget_policy.gate_decision([slo], warn_only=True).decision == "warn"


def test_gate_without_slos_blocks():
    assert budget_policy.gate_decision([]).decision == "block"


def test_nan_is_refused_as_a_number():
    with pytest.raises(ValueError):
        b.exact(float("nan"))


# Durations, windows, ledger ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("30d", timedelta(days=30)),
        ("1M", timedelta(days=30)),
        ("1Q", timedelta(days=90)),
        ("1Y", timedelta(days=365)),
        ("1h30m", timedelta(minutes=90)),
        ("4w", timedelta(days=28)),
    ],
)
def test_durations(text, expected):
    assert durations.parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "5", "m", "5x", "-5m"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        durations.parse_duration(text)


def test_calendar_month_in_a_zone():
    at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # already April 1st in Berlin
    start, end = b.calendar_month_window(at=at, zone="Europe/Berlin")
    assert (start.month, start.day, end.month) == (4, 1, 5)
    assert start.utcoffset() == timedelta(hours=2)


def test_ledger_lines_debit_each_incident_then_the_rest():
    account = budget_ledger.ledger(
        allowance=10_000, total_bad=5_000, debits=[("INC-1", 3260), ("INC-2", 740)]
    )
    assert [line.label for line in account.lines] == ["INC-1", "INC-2", "outside any incident"]
    assert account.lines[0].share == Fraction(326, 1000)
    assert account.lines[2].bad == 1000
    assert account.remaining == Fraction(1, 2)
    assert budget_ledger.ledger(allowance=0, total_bad=0, debits=[]) is None


# Properties --------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=10**9)
objectives = st.fractions(min_value=Fraction(1, 2), max_value=Fraction(99999, 100000))


@given(
    st.lists(st.tuples(counts, counts), min_size=1, max_size=20),
    st.integers(min_value=1, max_value=19),
    objectives,
)
def test_consumed_is_additive_over_disjoint_periods(pairs, cut, objective):
    intervals = [(max(t, bad), bad) for t, bad in pairs]
    cut = min(cut, len(intervals))
    total = sum(t for t, _ in intervals)
    if total == 0:
        return
    allowed = b.allowed_bad(objective, total)
    whole = b.consumed(bad=sum(x for _, x in intervals), allowed=allowed)
    first = b.consumed(bad=sum(x for _, x in intervals[:cut]), allowed=allowed)
    second = b.consumed(bad=sum(x for _, x in intervals[cut:]), allowed=allowed)
    assert whole == first + second


@given(counts, counts, objectives)
def test_remaining_plus_consumed_is_one_and_burn_matches_consumed(total, bad, objective):
    total = max(total, bad)
    if total == 0:
        assert b.consumed(bad=0, allowed=b.allowed_bad(objective, 0)) is None
        return
    allowed = b.allowed_bad(objective, total)
    spent = b.consumed(bad=bad, allowed=allowed)
    assert spent + b.remaining(bad=bad, allowed=allowed) == 1
    # over the whole window, the burn rate equals the share of the budget consumed
    assert burn_rates.burn_rate_of(bad=bad, total=total, objective=objective) == spent


@given(st.lists(st.tuples(counts, counts), min_size=1, max_size=20))
def test_event_weighted_ratio_lies_between_the_interval_ratios(pairs):
    intervals = [(max(t, bad), bad) for t, bad in pairs if max(t, bad) > 0]
    if not intervals:
        return
    ratio = b.error_ratio_of(intervals)
    ratios = [Fraction(bad, t) for t, bad in intervals]
    assert min(ratios) <= ratio <= max(ratios)


@given(st.fractions(min_value=-2, max_value=2), st.fractions(min_value=-2, max_value=2))
def test_less_budget_never_means_a_better_tier(x, y):
    low, high = sorted((x, y))
    assert budget_policy.TIERS.index(budget_policy.policy_tier(low)) >= budget_policy.TIERS.index(
        budget_policy.policy_tier(high)
    )


@given(st.integers(min_value=1, max_value=3650))
def test_the_alert_table_always_spends_its_budget_share(days):
    for window in burn_rates.default_alert_windows(days):
        spent = burn_rates.consumed_by_burn(
            burn=window.factor, duration=window.long, window=timedelta(days=days)
        )
        assert spent * 100 == window.budget_percent


@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 500)), min_size=0, max_size=8))
def test_corrected_time_plus_remaining_time_is_the_window(raw):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    window = (start, start + timedelta(days=7))
    intervals = [
        (start + timedelta(minutes=m), start + timedelta(minutes=m + length)) for m, length in raw
    ]
    parts = b.subtract(window, intervals)
    kept = sum((end - begin for begin, end in parts), timedelta())
    assert kept + b.covered(window, intervals) == window[1] - window[0]


gate_inputs = st.builds(
    budget_policy.GateInput,
    name=st.just("slo"),
    remaining=st.none() | st.fractions(min_value=-2, max_value=1),
    burn_1h=st.none() | st.fractions(min_value=0, max_value=1000),
    burn_5m=st.none() | st.fractions(min_value=0, max_value=1000),
    data_age_s=st.none() | st.floats(min_value=0, max_value=7200),
    error=st.sampled_from(["", "Prometheus is unreachable"]),
)


@given(st.lists(gate_inputs, max_size=4))
def test_gate_never_blocks_with_a_bypass_or_in_warn_only_mode(slos):
    plain = budget_policy.gate_decision(slos)
    assert budget_policy.gate_decision(slos, bypass="hotfix").decision == "allow"
    assert budget_policy.gate_decision(slos, warn_only=True).decision != "block"
    # failing closed: anything unreadable blocks
    if not slos or any(
        s.error or s.remaining is None or s.burn_1h is None or s.data_age_s is None for s in slos
    ):
        assert plain.decision == "block"
    if plain.decision == "allow":
        assert all(budget_policy.policy_tier(s.remaining) in ("healthy", "caution") for s in slos)
