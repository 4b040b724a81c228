"""Keel-wide bounds: the range of instants and the shared pure checks (no database)."""

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from core.bounds import (
    EARLIEST,
    END,
    LATEST,
    OutOfBounds,
    check,
    clamp_datetime,
    datetime_problem,
    int_problem,
    span_problem,
    whole_minutes_problem,
)

EAST = timezone(timedelta(hours=14))
WEST = timezone(timedelta(hours=-11))


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (EARLIEST, True),
        (LATEST, True),
        (END - timedelta(microseconds=1), True),
        (END, False),
        (EARLIEST - timedelta(microseconds=1), False),
        (datetime(1, 1, 1, tzinfo=UTC), False),
        (datetime(1, 1, 1, tzinfo=WEST), False),
        (datetime(9999, 12, 31, 23, tzinfo=EAST), False),
        (datetime(1970, 1, 1, 10, tzinfo=EAST), False),  # 1969-12-31 20:00 UTC
        (datetime(2200, 12, 31, 12, tzinfo=WEST), True),  # 23:00 UTC
    ],
)
def test_the_range_is_1970_to_2200_in_utc(value, ok):
    assert (datetime_problem(value) is None) is ok


def test_a_naive_time_is_refused():
    assert datetime_problem(datetime(2026, 1, 1), "the start") == "The start needs a time zone."


def test_messages_name_the_value_and_the_bounds():
    problem = datetime_problem(datetime(9999, 12, 31, tzinfo=UTC), "the override's end")
    assert problem == (
        "The override's end must lie between 1970-01-01 and 2200-12-31 (UTC); "
        "9999-12-31T00:00:00+00:00 does not."
    )
    assert int_problem(0, "the repeat", 0, 9) is None
    assert (
        int_problem(10, "the repeat", 0, 9, "times")
        == "The repeat must be 0 to 9 times; 10 is not."
    )
    assert whole_minutes_problem(time(9, 30)) is None
    assert whole_minutes_problem(time(9, 30, 1)) is not None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert span_problem(start, start, "an override", timedelta(days=1)) == (
        "An override must end after it starts."
    )
    assert span_problem(start, start + timedelta(days=2), "it", timedelta(days=1)) == (
        "It may last at most 1 day."
    )


def test_check_raises_with_the_field():
    check(None, "starts_at")
    with pytest.raises(OutOfBounds) as refused:
        check("Too late.", "ends_at")
    assert (refused.value.field, refused.value.message) == ("ends_at", "Too late.")


def test_clamp_keeps_a_window_inside_the_range():
    assert clamp_datetime(datetime(1, 1, 1, tzinfo=UTC)) == EARLIEST
    assert clamp_datetime(datetime(9999, 1, 1, tzinfo=UTC)) == LATEST
    inside = datetime(2026, 6, 1, tzinfo=UTC)
    assert clamp_datetime(inside) == inside
