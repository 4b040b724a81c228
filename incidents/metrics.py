"""Incident response metrics: durations and their summaries (pure; no Django)."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Summary:
    """Count, mean, median, 90th percentile and maximum of durations in seconds."""

    count: int
    mean: float | None
    p50: float | None
    p90: float | None
    max: float | None


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end; None when either is unknown. Negative spans count as 0."""
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0 to 100) by linear interpolation between closest ranks."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be within [0, 100]")
    position = (len(sorted_values) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return float(sorted_values[low])
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


def summarize(values: Sequence[float | None]) -> Summary:
    """Summarize the known durations; unknown ones (None) are left out."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return Summary(count=0, mean=None, p50=None, p90=None, max=None)
    return Summary(
        count=len(known),
        mean=sum(known) / len(known),
        p50=percentile(known, 50),
        p90=percentile(known, 90),
        max=known[-1],
    )
