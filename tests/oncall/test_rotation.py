"""Rotation math: table tests across DST and restrictions, and hypothesis properties."""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oncall.rotation import (
    DAYS,
    HOURS,
    WEEKS,
    Layer,
    Override,
    Restriction,
    boundaries,
    final_schedule,
    layer_coverage,
    on_call_at,
    upcoming,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def local(tz, *args):
    return datetime(*args, tzinfo=tz)


def weekly_berlin(participants=("ann", "bob", "cat")) -> Layer:
    anchor = local(BERLIN, 2026, 1, 5, 9, 0)  # a Monday, 09:00 CET
    return Layer(participants, 1, WEEKS, anchor=anchor, start=anchor)


def test_a_weekly_monday_0900_berlin_handoff_stays_at_0900_local_all_year():
    layer = weekly_berlin()
    shifts = final_schedule(
        [layer], [], local(BERLIN, 2026, 1, 5, 9), local(BERLIN, 2027, 1, 4, 9), BERLIN
    )

    starts = [s.start.astimezone(BERLIN) for s in shifts]
    assert len(shifts) == 52
    assert {(t.weekday(), t.hour, t.minute) for t in starts} == {(0, 9, 0)}
    # In UTC the handoff moves: 08:00 in winter (CET), 07:00 in summer (CEST).
    assert shifts[0].start == datetime(2026, 1, 5, 8, tzinfo=UTC)
    july = next(s for s in shifts if s.start.astimezone(BERLIN).month == 7)
    assert july.start.astimezone(UTC).hour == 7
    # The shift spanning the spring change (29 March 2026) is an hour short.
    spring = next(s for s in shifts if s.start <= datetime(2026, 3, 29, 12, tzinfo=UTC) < s.end)
    assert spring.end - spring.start == timedelta(days=7, hours=-1)
    autumn = next(s for s in shifts if s.start <= datetime(2026, 10, 25, 12, tzinfo=UTC) < s.end)
    assert autumn.end - autumn.start == timedelta(days=7, hours=1)
    assert [s.who for s in shifts[:4]] == ["ann", "bob", "cat", "ann"]


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local(BERLIN, 2026, 1, 5, 8, 59), None),  # before the layer starts
        (local(BERLIN, 2026, 1, 5, 9, 0), "ann"),
        (local(BERLIN, 2026, 1, 12, 8, 59), "ann"),
        (local(BERLIN, 2026, 1, 12, 9, 0), "bob"),
        (local(BERLIN, 2026, 3, 30, 8, 59), "cat"),  # the Monday after the spring change
        (local(BERLIN, 2026, 3, 30, 9, 0), "ann"),
        (local(BERLIN, 2026, 10, 26, 9, 0), "ann"),  # the Monday after the autumn change
    ],
)
def test_who_is_on_call_at(at, expected):
    assert on_call_at([weekly_berlin()], [], at, BERLIN) == expected


def test_a_rotation_anchored_in_the_future_still_rotates_backwards_from_its_anchor():
    anchor = local(NEW_YORK, 2026, 6, 1, 10)
    layer = Layer(("ann", "bob"), 1, DAYS, anchor=anchor, start=local(NEW_YORK, 2026, 5, 1))
    assert on_call_at([layer], [], local(NEW_YORK, 2026, 5, 31, 12), NEW_YORK) == "bob"
    assert on_call_at([layer], [], local(NEW_YORK, 2026, 5, 30, 12), NEW_YORK) == "ann"


def test_twelve_hour_shifts_keep_their_local_handoff_times_across_dst():
    anchor = local(NEW_YORK, 2026, 3, 1, 8)
    layer = Layer(("day", "night"), 12, HOURS, anchor=anchor, start=anchor)
    shifts = final_schedule(
        [layer], [], local(NEW_YORK, 2026, 3, 6), local(NEW_YORK, 2026, 3, 12), NEW_YORK
    )
    assert {s.start.astimezone(NEW_YORK).hour for s in shifts[1:]} == {8, 20}
    assert {s.who for s in shifts if s.start.astimezone(NEW_YORK).hour == 8} == {"day"}


def test_business_hours_restriction():
    anchor = local(BERLIN, 2026, 1, 5, 9)
    business = Restriction(weekdays=frozenset(range(5)), start=time(9), end=time(17))
    layer = Layer(("ann",), 1, WEEKS, anchor=anchor, start=anchor, restriction=business)
    week = final_schedule(
        [layer], [], local(BERLIN, 2026, 3, 23), local(BERLIN, 2026, 3, 30), BERLIN
    )
    assert len(week) == 5
    assert all(
        s.start.astimezone(BERLIN).hour == 9 and s.end.astimezone(BERLIN).hour == 17 for s in week
    )
    assert on_call_at([layer], [], local(BERLIN, 2026, 3, 28, 12), BERLIN) is None  # Saturday


def test_a_night_restriction_runs_past_midnight():
    anchor = local(BERLIN, 2026, 1, 5, 9)
    nights = Restriction(start=time(22), end=time(6))
    layer = Layer(("owl",), 1, WEEKS, anchor=anchor, start=anchor, restriction=nights)
    cover = layer_coverage(layer, local(BERLIN, 2026, 2, 2), local(BERLIN, 2026, 2, 3), BERLIN)
    assert [(s.astimezone(BERLIN).hour, e.astimezone(BERLIN).hour) for s, e, _ in cover] == [
        (0, 6),
        (22, 0),
    ]


def test_a_higher_layer_wins_where_it_has_someone_and_the_base_fills_the_rest():
    base = weekly_berlin(("ann", "bob"))
    business = Restriction(weekdays=frozenset(range(5)), start=time(9), end=time(17))
    anchor = local(BERLIN, 2026, 1, 5, 9)
    top = Layer(("day-team",), 1, WEEKS, anchor=anchor, start=anchor, restriction=business)
    assert on_call_at([base, top], [], local(BERLIN, 2026, 1, 6, 10), BERLIN) == "day-team"
    assert on_call_at([base, top], [], local(BERLIN, 2026, 1, 6, 20), BERLIN) == "ann"
    assert on_call_at([top, base], [], local(BERLIN, 2026, 1, 6, 10), BERLIN) == "ann"


def test_an_override_wins_and_the_rotation_resumes_after_it():
    over = Override(local(BERLIN, 2026, 1, 7, 12), local(BERLIN, 2026, 1, 8, 12), "zoe")
    shifts = final_schedule(
        [weekly_berlin()], [over], local(BERLIN, 2026, 1, 6), local(BERLIN, 2026, 1, 10), BERLIN
    )
    assert [(s.who, s.is_override) for s in shifts] == [
        ("ann", False),
        ("zoe", True),
        ("ann", False),
    ]
    assert list(boundaries(shifts)) == [(over.start, "ann", "zoe"), (over.end, "zoe", "ann")]


def test_the_later_of_overlapping_overrides_wins():
    first = Override(local(BERLIN, 2026, 1, 7), local(BERLIN, 2026, 1, 9), "zoe")
    second = Override(local(BERLIN, 2026, 1, 8), local(BERLIN, 2026, 1, 10), "yan")
    assert on_call_at([], [first, second], local(BERLIN, 2026, 1, 8, 12), BERLIN) == "yan"
    assert on_call_at([], [second, first], local(BERLIN, 2026, 1, 8, 12), BERLIN) == "zoe"


def test_a_layer_that_ended_no_longer_puts_anyone_on_call():
    anchor = local(BERLIN, 2026, 1, 5, 9)
    layer = Layer(("ann",), 1, DAYS, anchor=anchor, start=anchor, end=local(BERLIN, 2026, 2, 1))
    assert on_call_at([layer], [], local(BERLIN, 2026, 1, 31, 23), BERLIN) == "ann"
    assert on_call_at([layer], [], local(BERLIN, 2026, 2, 1), BERLIN) is None


def test_upcoming_gives_now_and_next():
    now = local(BERLIN, 2026, 1, 6, 12)
    current, following = upcoming([weekly_berlin()], [], now, BERLIN)
    assert (current.who, following.who) == ("ann", "bob")
    assert following.start == local(BERLIN, 2026, 1, 12, 9)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shift_length": 0, "shift_unit": DAYS},
        {"shift_length": 1, "shift_unit": "fortnights"},
    ],
)
def test_invalid_layers_are_refused(kwargs):
    anchor = local(BERLIN, 2026, 1, 5, 9)
    with pytest.raises(ValueError):
        Layer(("ann",), anchor=anchor, start=anchor, **kwargs)


# --- properties -------------------------------------------------------------------------

ZONES = st.sampled_from(
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]
)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=400 * 24 * 60).map(
    lambda m: EPOCH + timedelta(minutes=m)
)
people = st.sampled_from(["ann", "bob", "cat", "dan"])


@st.composite
def layers(draw):
    participants = tuple(draw(st.lists(people, min_size=1, max_size=4)))
    unit = draw(st.sampled_from([HOURS, DAYS, WEEKS]))
    length = draw(st.integers(1, 30 if unit == HOURS else 3))
    anchor = draw(instants)
    start = draw(instants)
    end = draw(st.none() | instants.filter(lambda t: t > start))
    restriction = draw(
        st.none()
        | st.builds(
            Restriction,
            weekdays=st.frozensets(st.integers(0, 6)),
            start=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
            end=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
        )
    )
    return Layer(
        participants, length, unit, anchor=anchor, start=start, end=end, restriction=restriction
    )


@st.composite
def overrides(draw):
    start = draw(instants)
    return Override(
        start, start + timedelta(minutes=draw(st.integers(1, 20 * 24 * 60))), draw(people)
    )


schedules = st.tuples(st.lists(layers(), max_size=3), st.lists(overrides(), max_size=3), ZONES)


@settings(max_examples=150, deadline=None)
@given(schedules, instants, st.integers(1, 60 * 24 * 45), st.data())
def test_the_result_does_not_depend_on_how_the_interval_is_split(schedule, start, minutes, data):
    ls, os_, tz = schedule
    end = start + timedelta(minutes=minutes)
    cut = start + timedelta(minutes=data.draw(st.integers(1, minutes)))
    whole = final_schedule(ls, os_, start, end, tz)
    parts = final_schedule(ls, os_, start, cut, tz) + final_schedule(ls, os_, cut, end, tz)
    joined = []
    for shift in parts:
        if (
            joined
            and joined[-1].end == shift.start
            and (joined[-1].who, joined[-1].layer) == (shift.who, shift.layer)
        ):
            joined[-1] = type(shift)(joined[-1].start, shift.end, shift.who, shift.layer)
        else:
            joined.append(shift)
    assert joined == whole


@settings(max_examples=150, deadline=None)
@given(schedules, instants, instants)
def test_no_gaps_where_a_layer_covers_and_overrides_always_win(schedule, start, at):
    ls, os_, tz = schedule
    window_end = start + timedelta(days=60)
    shifts = final_schedule(ls, os_, start, window_end, tz)
    # Sorted, non-overlapping, inside the window.
    for a, b in itertools.pairwise(shifts):
        assert a.end <= b.start
    assert all(start <= s.start < s.end <= window_end for s in shifts)
    if not start <= at < window_end:
        return
    covering = [s for s in shifts if s.start <= at < s.end]
    assert len(covering) <= 1
    active_overrides = [o for o in os_ if o.start <= at < o.end]
    layer_people = [
        who
        for layer in ls
        for s, e, who in layer_coverage(layer, start, window_end, tz)
        if s <= at < e
    ]
    if active_overrides:
        assert covering[0].who == active_overrides[-1].who and covering[0].is_override
    elif layer_people:
        assert covering and covering[0].who == layer_people[-1]
    else:
        assert covering == []
    assert on_call_at(ls, os_, at, tz) == (covering[0].who if covering else None)


@settings(max_examples=100, deadline=None)
@given(layers(), ZONES, instants)
def test_shift_boundaries_land_on_the_anchor_wall_clock_time(layer, tz, start):
    if layer.shift_unit == HOURS:
        return
    zone = ZoneInfo(tz)
    plain = Layer(
        layer.participants,
        layer.shift_length,
        layer.shift_unit,
        anchor=layer.anchor,
        start=layer.start,
    )
    anchor_local = layer.anchor.astimezone(zone)
    shifts = final_schedule([plain], [], start, start + timedelta(days=60), tz)
    for shift in shifts[1:]:
        local_start = shift.start.astimezone(zone)
        naive = local_start.replace(tzinfo=None)
        expected = anchor_local.replace(tzinfo=None).time()
        if (
            datetime.combine(naive.date(), expected).replace(tzinfo=zone).astimezone(UTC)
            == shift.start
        ):
            continue  # a wall-clock time that does not exist falls at the jump
        assert naive.time() == expected
