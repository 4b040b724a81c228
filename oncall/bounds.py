"""On-call bounds: how long a shift, an override or a step's wait may be (pure Python).

The Keel-wide range of instants is `core.bounds`; these are the on-call limits on top,
shared by the forms, the API serializers, the models' validators and check constraints,
and the services. Inside them the rotation math cannot overflow.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from core.bounds import (
    OutOfBounds,
    check,
    datetime_problem,
    int_problem,
    span_problem,
    whole_minutes_problem,
)

from .rotation import DAYS, HOURS, UNITS, WEEKS

SHIFT_LENGTH_MAX = {HOURS: 24 * 366, DAYS: 366, WEEKS: 52}
"""A shift lasts at most about a year, whatever its unit."""
SHIFT_LENGTH_TEXT = (
    ", ".join(f"{longest} {unit}" for unit, longest in list(SHIFT_LENGTH_MAX.items())[:-1])
    + f" or {SHIFT_LENGTH_MAX[WEEKS]} {WEEKS}"
)
SHIFT_LENGTH_MESSAGE = f"The shift length must be 1 to {SHIFT_LENGTH_TEXT} (at most a year)."
OVERRIDE_LONGEST = timedelta(days=366)
ESCALATE_AFTER_MINUTES_MIN = 1
ESCALATE_AFTER_MINUTES_MAX = 24 * 60
REPEAT_MAX = 9
STEPS_MAX = 20
TARGETS_PER_STEP_MAX = 50
PARTICIPANTS_MAX = 200

__all__ = [
    "ESCALATE_AFTER_MINUTES_MAX",
    "ESCALATE_AFTER_MINUTES_MIN",
    "OVERRIDE_LONGEST",
    "PARTICIPANTS_MAX",
    "REPEAT_MAX",
    "SHIFT_LENGTH_MAX",
    "SHIFT_LENGTH_MESSAGE",
    "SHIFT_LENGTH_TEXT",
    "STEPS_MAX",
    "TARGETS_PER_STEP_MAX",
    "OutOfBounds",
    "check_layer_values",
    "check_override_span",
    "shift_length_problem",
]


def shift_length_problem(length: int, unit: str) -> str | None:
    if unit not in UNITS:
        return f"The shift unit must be one of {', '.join(UNITS)}."
    return int_problem(length, "the shift length", 1, SHIFT_LENGTH_MAX[unit], unit)


def check_layer_values(
    *,
    shift_length: int,
    shift_unit: str,
    handoff_at: datetime,
    starts_at: datetime,
    ends_at: datetime | None,
    restriction_start: time | None,
    restriction_end: time | None,
) -> None:
    """Raise OutOfBounds naming the first field of a layer that is out of bounds."""
    check(shift_length_problem(shift_length, shift_unit), "shift_length")
    check(datetime_problem(handoff_at, "the handoff time"), "handoff_at")
    check(datetime_problem(starts_at, "the layer's start"), "starts_at")
    if ends_at is not None:
        check(datetime_problem(ends_at, "the layer's end"), "ends_at")
    hours = {"restriction_start": restriction_start, "restriction_end": restriction_end}
    for name, value in hours.items():
        if value is not None:
            check(whole_minutes_problem(value, "a restriction hour"), name)


def check_override_span(starts_at: datetime, ends_at: datetime) -> None:
    """Raise OutOfBounds unless the override lies in Keel's range and lasts at most a year."""
    check(datetime_problem(starts_at, "the override's start"), "starts_at")
    check(datetime_problem(ends_at, "the override's end"), "ends_at")
    check(span_problem(starts_at, ends_at, "an override", OVERRIDE_LONGEST), "ends_at")


SETTING_BOUNDS: dict[str, tuple[float, float, str]] = {
    "KEEL_HANDOFF_REMIND_BEFORE_MINUTES": (0, 14 * 24 * 60, "minutes"),
    "KEEL_PAGE_MAX_ATTEMPTS": (1, 20, "attempts"),
    "KEEL_PAGE_RETRY_BASE_SECONDS": (0, 3600, "seconds"),
    "KEEL_PAGE_ACK_LINK_MAX_AGE_SECONDS": (60, 30 * 24 * 3600, "seconds"),
    "KEEL_PAGE_WEBHOOK_TIMEOUT_SECONDS": (0.1, 60, "seconds"),
}
"""The on-call knobs read from the environment, and their bounds."""


def settings_problems(values: dict[str, object]) -> list[str]:
    """What is wrong with the on-call settings given (name -> value), one line each."""
    problems = []
    for name, (low, high, unit) in SETTING_BOUNDS.items():
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or isinstance(value, bool):
            problems.append(f"{name} must be a number of {unit}, not {value!r}.")
        elif not low <= value <= high:
            problems.append(f"{name} must be {low} to {high} {unit}; {value} is not.")
    return problems
