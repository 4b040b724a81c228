"""Incident metrics: durations, percentiles (numpy's default "linear") and summaries."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.metrics import Summary, percentile, seconds_between, summarize

FAST = settings(max_examples=200, deadline=None)
T0 = datetime(2026, 11, 21, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        # numpy.percentile(values, q) with the default method="linear"
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 90, 3.7),
        ([1, 2, 3, 4], 25, 1.75),
        ([1, 2, 3, 4, 5], 50, 3.0),
        ([1, 2, 3, 4, 5], 90, 4.6),
        ([15, 20, 35, 40, 50], 40, 29.0),
        ([15, 20, 35, 40, 50], 90, 46.0),
        ([0, 60, 600, 3600], 90, 2700.0),
        ([10], 0, 10.0),
        ([10], 50, 10.0),
        ([10], 100, 10.0),
        ([3, 7], 0, 3.0),
        ([3, 7], 100, 7.0),
        ([3, 7], 50, 5.0),
        ([5, 5, 5, 5], 90, 5.0),
        ([1.5, 2.5], 10, 1.6),
    ],
)
def test_percentile_matches_numpy_linear_interpolation(values, q, expected):
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_an_exact_rank_is_that_value_as_a_float():
    result = percentile([1, 2, 3], 50)

    assert result == 2.0
    assert isinstance(result, float)


@pytest.mark.parametrize("q", [-0.01, 100.01, 1000])
def test_percentile_outside_0_to_100_is_refused(q):
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        percentile([1, 2, 3], q)


def test_percentile_of_nothing_is_refused():
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], Summary(count=0, mean=None, p50=None, p90=None, max=None)),
        ([None, None], Summary(count=0, mean=None, p50=None, p90=None, max=None)),
        ([60.0], Summary(count=1, mean=60.0, p50=60.0, p90=60.0, max=60.0)),
        # unsorted input, with unknown durations left out
        (
            [300.0, None, 60.0, 120.0, None, 1200.0],
            Summary(count=4, mean=420.0, p50=210.0, p90=930.0, max=1200.0),
        ),
        ([0.0, 0.0, 0.0], Summary(count=3, mean=0.0, p50=0.0, p90=0.0, max=0.0)),
        (
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
            Summary(count=10, mean=5.5, p50=5.5, p90=9.1, max=10),
        ),
    ],
)
def test_summarize(values, expected):
    summary = summarize(values)

    assert summary.count == expected.count
    for field in ("mean", "p50", "p90", "max"):
        got, want = getattr(summary, field), getattr(expected, field)
        assert (got is None) == (want is None), field
        if want is not None:
            assert got == pytest.approx(want), field


def test_a_zero_duration_is_known_not_unknown():
    # 0 seconds (acknowledged the moment it opened) must count, unlike None.
    summary = summarize([0.0, None])

    assert summary.count == 1
    assert summary.max == 0.0


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (T0, T0 + timedelta(minutes=5), 300.0),
        (T0, T0 + timedelta(microseconds=1500), 0.0015),
        (T0, T0, 0.0),
        (T0 + timedelta(minutes=5), T0, 0.0),  # a corrected time before the start
        (None, T0, None),
        (T0, None, None),
        (None, None, None),
        # an aware pair in different zones: the instants count, not the wall clocks
        (
            T0,
            datetime(2026, 11, 21, 18, 30, tzinfo=UTC).astimezone(ZoneInfo("Asia/Kolkata")),
            9000.0,
        ),
    ],
)
def test_seconds_between(start, end, expected):
    assert seconds_between(start, end) == expected


durations = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
maybe_durations = st.lists(durations | st.none(), max_size=60)


@FAST
@given(st.lists(durations, min_size=1, max_size=60))
def test_summary_percentiles_are_ordered_and_within_range(values):
    summary = summarize(values)

    assert summary.count == len(values)
    assert summary.p50 is not None and summary.p90 is not None and summary.max is not None
    assert summary.mean is not None
    assert min(values) <= summary.p50 <= summary.p90 <= summary.max == max(values)
    # a mean of floats can land one rounding step outside [min, max] (0.1 * 3 / 3)
    assert min(values) <= summary.mean * (1 + 1e-12) + 1e-300
    assert summary.mean <= max(values) * (1 + 1e-12)


@FAST
@given(maybe_durations)
def test_summary_leaves_out_unknown_durations(values):
    known = [v for v in values if v is not None]

    assert summarize(values) == summarize(known)
    assert summarize(values).count == len(known)


@FAST
@given(
    st.lists(durations, min_size=1, max_size=60),
    st.floats(min_value=0, max_value=100),
    st.floats(min_value=0, max_value=100),
)
def test_percentile_is_monotonic_in_q(values, q1, q2):
    ordered = sorted(values)
    low, high = sorted((q1, q2))

    assert ordered[0] <= percentile(ordered, low) <= percentile(ordered, high) <= ordered[-1]


@FAST
@given(st.lists(durations, min_size=1, max_size=60), st.floats(min_value=0, max_value=100))
def test_percentile_does_not_depend_on_duplicated_input_order(values, q):
    assert percentile(sorted(values), q) == percentile(sorted(reversed(values)), q)
