"""The pure math of an incident's debit (docs/budget.md): pieces of overlapping periods,
each bad event debited once, where the SLI turned bad, and exact lookbacks."""

import itertools
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slos import budget, budget_ledger
from slos.prometheus import lookback_text, window_query

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("periods", "expected"),
    [
        # one incident: one piece
        ({"A": (0, 10)}, [(0, 10, ("A",))]),
        # disjoint incidents: a piece each, nothing shared
        ({"A": (0, 10), "B": (20, 30)}, [(0, 10, ("A",)), (20, 30, ("B",))]),
        # overlapping: the overlap is one piece owned by both
        ({"A": (0, 10), "B": (5, 15)}, [(0, 5, ("A",)), (5, 10, ("A", "B")), (10, 15, ("B",))]),
        # nested, and touching ends do not overlap
        (
            {"A": (0, 30), "B": (10, 20), "C": (30, 40)},
            [(0, 10, ("A",)), (10, 20, ("A", "B")), (20, 30, ("A",)), (30, 40, ("C",))],
        ),
        # the same period twice
        ({"A": (0, 10), "B": (0, 10)}, [(0, 10, ("A", "B"))]),
        # an empty period owns nothing
        ({"A": (5, 5)}, []),
    ],
)
def test_segments(periods, expected):
    found = budget_ledger.segments({k: (at(s), at(e)) for k, (s, e) in periods.items()})
    assert [(p.start, p.end, p.owners) for p in found] == [
        (at(s), at(e), owners) for s, e, owners in expected
    ]


def test_overlapping_incidents_share_the_overlap_once():
    """Seen: two incidents both debited the same 142,400 bad events. Now the overlap is
    split equally and the debits add up to the bad events once."""
    pieces = budget_ledger.segments({"INC-2": (at(0), at(20)), "INC-3": (at(10), at(30))})
    bad = {(at(0), at(10)): 1000, (at(10), at(20)): 142_400, (at(20), at(30)): 500}
    shares = budget_ledger.attribute([(p, bad[(p.start, p.end)]) for p in pieces])
    assert shares["INC-2"].bad == 1000 + 71_200
    assert shares["INC-3"].bad == 500 + 71_200
    assert shares["INC-2"].bad + shares["INC-3"].bad == sum(bad.values())
    assert shares["INC-2"].own == 1000
    assert shares["INC-2"].shared == [(("INC-2", "INC-3"), Fraction(142_400))]


def test_ledger_outside_any_incident_is_what_no_incident_took():
    pieces = budget_ledger.segments({"A": (at(0), at(20)), "B": (at(10), at(30))})
    shares = budget_ledger.attribute([(p, 100) for p in pieces])
    account = budget_ledger.ledger(
        allowance=1000,
        total_bad=400,
        debits=[(key, shares[key].bad) for key in ("A", "B")],
    )
    assert account is not None
    assert [line.bad for line in account.lines] == [150, 150, 100]
    assert account.remaining == Fraction(600, 1000)


periods_strategy = st.dictionaries(
    st.sampled_from(["A", "B", "C", "D"]),
    st.tuples(st.integers(0, 50), st.integers(1, 30)).map(lambda p: (at(p[0]), at(p[0] + p[1]))),
    min_size=1,
)


@settings(max_examples=60, deadline=None)
@given(periods=periods_strategy, rate=st.integers(0, 1000))
def test_each_bad_event_is_debited_once(periods, rate):
    """Whatever the overlaps: the pieces partition the union of the periods, and the debits
    add up to the bad events of the union (here `rate` bad events a minute)."""
    pieces = budget_ledger.segments(periods)
    for a, b in itertools.pairwise(pieces):
        assert a.end <= b.start
    union = budget.merge_intervals(periods.values())
    assert sum((p.end - p.start for p in pieces), timedelta(0)) == sum(
        (e - s for s, e in union), timedelta(0)
    )
    counted = [(p, Fraction(rate) * budget.seconds(p.end - p.start) / 60) for p in pieces]
    shares = budget_ledger.attribute(counted)
    assert sum(s.bad for s in shares.values()) == sum(bad for _, bad in counted)
    for key, share in shares.items():
        start, end = periods[key]
        assert share.bad <= Fraction(rate) * budget.seconds(end - start) / 60


def minutes_of(ratios: list[float], first: float = 0) -> list[tuple[datetime, int, int]]:
    return [(at(first + i), round(r * 1000), 1000) for i, r in enumerate(ratios)]


@pytest.mark.parametrize(
    ("ratios", "start", "expected"),
    [
        # the page alert fired 4.5 minutes into a 5% burst that began at minute 3
        ([0.0005] * 3 + [0.05] * 10, 7.5, 3),
        # the SLI was fine where the incident starts: its start stands
        ([0.0005] * 10, 7.5, 7.5),
        # exactly at the error budget (burn 1) is not bad
        ([0.001] * 5 + [0.05] * 5, 7, 5),
        # the incident starts before the SLI turned bad: it keeps its start
        ([0.0005] * 5 + [0.05] * 5, 2, 2),
        # a gap without data ends the run
        ([0.05] * 3, 2.5, 0),
    ],
)
def test_episode_start(ratios, start, expected):
    found = budget_ledger.episode_start(
        minutes_of(ratios), objective=Fraction(999, 1000), start=at(start)
    )
    assert found == at(expected)


def test_episode_start_stops_at_a_missing_minute():
    minutes = minutes_of([0.05, 0.05]) + minutes_of([0.05, 0.05, 0.05], first=3)
    found = budget_ledger.episode_start(minutes, objective=Fraction(999, 1000), start=at(4.2))
    assert found == at(3)


def test_episode_start_without_data_keeps_the_start():
    assert budget_ledger.episode_start([], objective=Fraction(999, 1000), start=at(5)) == at(5)


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (Fraction(3000, 1381), "217.2%"),
        (Fraction(0), "0.0%"),
        (Fraction(-1, 2), "-50.0%"),
        (None, "no data"),
    ],
)
def test_percent_text(share, text):
    assert budget.percent_text(share) == text


def test_a_period_that_does_not_end_on_a_whole_second_is_queried_exactly():
    """Seen: a 13 min 53.6 s period was queried as [833s]. Now to the millisecond."""
    seconds = budget.seconds(timedelta(minutes=13, seconds=53, milliseconds=600))
    assert lookback_text(seconds) == "833600ms"
    assert window_query("http_requests_total", seconds) == (
        "sum(increase(http_requests_total[833600ms]))",
        1,
    )
    query, scale = window_query("sum(rate(x[{{.window}}]))", seconds)
    assert query == "sum(rate(x[833600ms]))" and scale == Fraction(8336, 10)
    assert window_query("x[{{.window}}] / {{.seconds}}", seconds)[0] == "x[833600ms] / 833.6"
    assert window_query("http_requests_total", 2_592_000)[0] == (
        "sum(increase(http_requests_total[2592000s]))"
    )
