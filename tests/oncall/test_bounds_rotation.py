"""The bounds are enough: whatever values they let into a layer or an override, in any
zone, the rotation math answers (who is on call, the next shifts, a page's window)
without raising. Pure: no database."""

from datetime import UTC, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.bounds import EARLIEST, END, LATEST
from oncall import rotation
from oncall.bounds import OVERRIDE_LONGEST, SHIFT_LENGTH_MAX, check_layer_values

# The zones furthest east and west of UTC, and ones with DST.
ZONES = ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "America/St_Johns", "UTC"]

instants = st.datetimes(
    min_value=EARLIEST.replace(tzinfo=None), max_value=LATEST.replace(tzinfo=None)
).map(lambda naive: naive.replace(tzinfo=UTC))
minutes = st.builds(time, st.integers(0, 23), st.integers(0, 59))


@st.composite
def layers(draw: st.DrawFn) -> rotation.Layer:
    unit = draw(st.sampled_from(rotation.UNITS))
    length = draw(
        st.one_of(st.just(SHIFT_LENGTH_MAX[unit]), st.integers(1, SHIFT_LENGTH_MAX[unit]))
    )
    start = draw(instants)
    end = draw(st.none() | instants.filter(lambda e: e > start))
    restriction = draw(
        st.none()
        | st.builds(
            rotation.Restriction,
            weekdays=st.frozensets(st.integers(0, 6)),
            start=minutes,
            end=minutes,
        )
    )
    anchor = draw(st.sampled_from([EARLIEST, LATEST]) | instants)
    check_layer_values(  # what every door lets in
        shift_length=length,
        shift_unit=unit,
        handoff_at=anchor,
        starts_at=start,
        ends_at=end,
        restriction_start=restriction.start if restriction else None,
        restriction_end=restriction.end if restriction else None,
    )
    return rotation.Layer(
        participants=tuple(range(draw(st.integers(1, 4)))),
        shift_length=length,
        shift_unit=unit,
        anchor=anchor,
        start=start,
        end=end,
        restriction=restriction,
    )


@st.composite
def overrides(draw: st.DrawFn) -> rotation.Override:
    start = draw(instants.filter(lambda s: s < LATEST))
    span = draw(st.timedeltas(timedelta(minutes=1), OVERRIDE_LONGEST))
    return rotation.Override(start, min(start + span, LATEST), draw(st.integers(0, 3)))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(layers(), min_size=1, max_size=3),
    st.lists(overrides(), max_size=2),
    st.sampled_from([EARLIEST, LATEST - timedelta(days=1)]) | instants,
    st.sampled_from(ZONES),
)
def test_inside_the_bounds_the_rotation_math_always_answers(layers, overrides, at, zone):
    at = min(at, LATEST - timedelta(days=15))
    rotation.on_call_at(layers, overrides, at, zone)
    rotation.upcoming(layers, overrides, at, zone, count=2, horizon=timedelta(days=14))
    shifts = rotation.final_schedule(layers, overrides, at, at + timedelta(days=14), zone)
    list(rotation.boundaries(shifts))
    assert all(EARLIEST <= s.start < s.end <= END for s in shifts)
