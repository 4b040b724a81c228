"""Rotation math under hostile layer values (bad stored data, bugs): it never raises, the
good layers still count, and the broken ones are named."""

from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oncall import rotation
from oncall.rotation import HOURS, WEEKS, Layer, LayerError, Override, Restriction, resolve

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago"]
AT = datetime(2026, 12, 1, 10, tzinfo=UTC)
GOOD = Layer(("ann", "bob"), 1, WEEKS, anchor=datetime(2026, 1, 5, 8, tzinfo=UTC), start=AT)


def unchecked(cls: type, **values: Any) -> Any:
    """An instance with whatever values, as bad stored data would give (no __post_init__)."""
    obj = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(obj, name, value)
    return obj


instants = st.one_of(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from([UTC, ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")]),
    ),
    st.sampled_from(
        [
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))),
            datetime(2026, 1, 5, 9),  # naive
        ]
    ),
)
restrictions = st.one_of(
    st.none(),
    st.builds(
        lambda days, start, end: unchecked(Restriction, weekdays=days, start=start, end=end),
        st.frozensets(st.integers(-3, 12), max_size=8),
        st.times(),
        st.sampled_from([time(0), time(6), time(23, 59, 59, 999999)]) | st.times(),
    ),
)
hostile_layers = st.builds(
    lambda who, length, unit, anchor, start, end, restriction: unchecked(
        Layer,
        participants=who,
        shift_length=length,
        shift_unit=unit,
        anchor=anchor,
        start=start,
        end=end,
        restriction=restriction,
    ),
    st.lists(st.sampled_from(["ann", "bob", "cat", 7, 8]), max_size=3).map(tuple),
    st.one_of(
        st.integers(-(10**12), 10**12),
        st.sampled_from([0, -1, 1, 99999999999, 2**31 - 1, 2**63]),
    ),
    st.sampled_from([HOURS, "days", WEEKS, "fortnights", ""]),
    instants,
    instants,
    st.one_of(st.none(), instants),
    restrictions,
)
hostile_overrides = st.builds(
    lambda start, end, who: unchecked(Override, start=start, end=end, who=who),
    instants,
    instants,
    st.sampled_from(["dan", 9]),
)


@FAST
@given(
    layers=st.lists(hostile_layers, max_size=3),
    overrides=st.lists(hostile_overrides, max_size=2),
    good_on_top=st.booleans(),
    zone=st.sampled_from([*ZONES, "Mars/Olympus_Mons"]),
)
def test_hostile_layers_never_raise_and_the_good_layer_still_counts(
    layers, overrides, good_on_top, zone
):
    stack = [*layers, GOOD] if good_on_top else [GOOD, *layers]
    end = AT + timedelta(days=14)

    result = resolve(stack, overrides, AT, end, zone)

    for shift in result.shifts:
        assert AT <= shift.start < shift.end <= end
    failed = {e.layer for e in result.errors}
    assert all(e.message for e in result.errors)
    good_index = len(stack) - 1 if good_on_top else 0
    if zone != "Mars/Olympus_Mons" and None not in failed:
        # Whatever else happens, the good layer keeps somebody on call: on top, it is
        # the person on call now unless an override covers.
        assert good_index not in failed
        if good_on_top and result.shifts and result.shifts[0].start == AT:
            assert result.shifts[0].who in ("ann", "bob") or result.shifts[0].is_override
        assert result.shifts, "a working layer with no gap leaves nobody on call"
    # The strict function agrees with the report when nothing failed.
    if not result.errors:
        assert rotation.final_schedule(stack, overrides, AT, end, zone) == result.shifts


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (Layer(("ann",), 99999999999, HOURS, anchor=AT, start=AT), "OverflowError"),
        (
            Layer(
                ("ann",),
                1,
                HOURS,
                anchor=datetime(1, 1, 1, tzinfo=UTC),
                start=datetime(1, 1, 1, tzinfo=UTC),
            ),
            "OverflowError",
        ),
        (unchecked(Layer, **{**GOOD.__dict__, "shift_length": -3}), "not positive"),
        (unchecked(Layer, **{**GOOD.__dict__, "shift_unit": "fortnights"}), "unknown shift"),
    ],
)
def test_the_values_seen_in_the_field_are_reported_not_raised(layer, message):
    zone = "America/New_York"
    with pytest.raises((OverflowError, ValueError, KeyError)):
        rotation.final_schedule([GOOD, layer], [], AT, AT + timedelta(days=1), zone)

    result = resolve([GOOD, layer], [], AT, AT + timedelta(days=1), zone)

    assert [e.layer for e in result.errors] == [1]
    assert message in result.errors[0].message
    assert {s.who for s in result.shifts} == {"bob"}  # the good layer's person


def test_a_layer_that_could_not_be_built_is_reported_in_its_place():
    result = resolve(
        [LayerError(0, "ValueError: bad"), GOOD], [], AT, AT + timedelta(hours=1), "UTC"
    )
    assert result.errors == (LayerError(0, "ValueError: bad"),)
    assert [s.layer for s in result.shifts] == [1]
