"""Error-budget math (docs/slo-math.md): exact numbers, allowances, what is spent and
left, timeslices, corrections and windows.

Pure: no Django. Ratios are exact `Fraction`s so that a comparison with a threshold
(14.4 x 0.001 against 0.0144) cannot flip on a rounding error; a value exactly at a
threshold is "not crossed" for alerts. Objectives are fractions in (0, 1): 99.9% is 0.999.
Burn rates and alerts are in `burn_rates`, tiers and the gate in `budget_policy`, incident
debits and the ledger in `budget_ledger`, durations in `durations`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

Number = int | float | Decimal | Fraction


def seconds(value: timedelta) -> Fraction:
    """A duration in exact seconds."""
    return Fraction(value.days * 86400 + value.seconds) + Fraction(value.microseconds, 10**6)


def exact(value: Number | str) -> Fraction:
    """An exact rational for a count, ratio or objective (floats by their decimal text)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return Fraction(value)
    return Fraction(value)


def objective_ratio(percent: Number | str) -> Fraction:
    """99.9 (percent) → 0.999, checked to lie strictly between 0 and 100."""
    ratio = exact(percent) / 100
    if not 0 < ratio < 1:
        raise ValueError("An objective is a percent strictly between 0 and 100.")
    return ratio


def error_budget(objective: Number) -> Fraction:
    """The allowed error ratio, 1 - T."""
    return 1 - exact(objective)


# Budgets (occurrences) -----------------------------------------------------------------


def allowed_bad(objective: Number, total: Number) -> Fraction:
    """Bad events the window allows: (1 - T) x total."""
    return error_budget(objective) * exact(total)


def consumed(*, bad: Number, allowed: Number) -> Fraction | None:
    """The share of the budget spent (can pass 1); None when nothing is allowed (no data)."""
    allowed_ = exact(allowed)
    if allowed_ <= 0:
        return None
    return exact(bad) / allowed_


def remaining(*, bad: Number, allowed: Number) -> Fraction | None:
    """1 - consumed; below 0 once the budget is overspent (reported, never clamped)."""
    spent = consumed(bad=bad, allowed=allowed)
    return None if spent is None else 1 - spent


def error_ratio(*, bad: Number, total: Number) -> Fraction | None:
    """Event-weighted error ratio: the sums' ratio, never an average of ratios."""
    total_ = exact(total)
    if total_ <= 0:
        return None
    return exact(bad) / total_


def error_ratio_of(intervals: Iterable[tuple[Number, Number]]) -> Fraction | None:
    """Error ratio over several (total, bad) intervals, weighted by events."""
    total = Fraction(0)
    bad = Fraction(0)
    for interval_total, interval_bad in intervals:
        total += exact(interval_total)
        bad += exact(interval_bad)
    return error_ratio(bad=bad, total=total)


def percent_text(share: Number | None) -> str:
    """A share of a budget as every page and document writes it: `213.7%`, `no data`."""
    if share is None:
        return "no data"
    return f"{float(exact(share)) * 100:.1f}%"


# Timeslices ------------------------------------------------------------------------------


def slice_is_bad(*, good: Number, total: Number, slice_target: Number) -> bool:
    """A slice is bad when its SLI is below the slice target; a slice with no traffic is good."""
    total_ = exact(total)
    if total_ <= 0:
        return False
    return exact(good) / total_ < exact(slice_target)


def bad_slices(slices: Iterable[tuple[Number, Number]], slice_target: Number) -> int:
    """Count bad slices among (good, total) pairs."""
    return sum(
        1
        for good, total in slices
        if slice_is_bad(good=good, total=total, slice_target=slice_target)
    )


def allowed_bad_slices(*, objective: Number, slices: Number) -> Fraction:
    """(1 - T) x slices in the window (after removing corrected slices)."""
    return error_budget(objective) * exact(slices)


def slices_in(window: timedelta, slice_length: timedelta = timedelta(minutes=1)) -> Fraction:
    return seconds(window) / seconds(slice_length)


# Corrections -----------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of half-open intervals."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap(a: Interval, b: Interval) -> timedelta:
    return max(timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


def covered(window: Interval, intervals: Iterable[Interval]) -> timedelta:
    """How much of `window` the intervals cover (overlaps counted once)."""
    return sum((overlap(window, i) for i in merge_intervals(intervals)), timedelta(0))


def subtract(window: Interval, intervals: Iterable[Interval]) -> list[Interval]:
    """The parts of `window` outside every interval."""
    parts: list[Interval] = []
    cursor = window[0]
    for start, end in merge_intervals(intervals):
        if end <= cursor or start >= window[1]:
            continue
        if start > cursor:
            parts.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < window[1]:
        parts.append((cursor, window[1]))
    return parts


# Windows ---------------------------------------------------------------------------------


def rolling_window(*, end: datetime, days: int) -> Interval:
    return end - timedelta(days=days), end


def calendar_month_window(*, at: datetime, zone: str) -> Interval:
    """The calendar month containing `at` in `zone`, as aware datetimes in that zone."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return start, datetime(year, month, 1, tzinfo=tz)
