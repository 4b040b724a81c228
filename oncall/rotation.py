"""Rotation math: the final on-call schedule from layers, restrictions and overrides.

Pure Python (no Django). Every instant is an aware datetime; results are in UTC.

Shifts are counted in the wall-clock time of the schedule's zone: a weekly handoff on
Mondays at 09:00 Europe/Berlin stays at 09:00 local in winter and summer, and the shift
that spans a DST change is an hour shorter or longer. A local time that does not exist
(the skipped hour in spring) falls at the instant the clocks jump; an ambiguous one (the
repeated hour in autumn) is its first occurrence.

Layers are ordered from the base (index 0) up; where several layers have someone, the
highest wins. Overrides sit above every layer; between overlapping overrides, the later
one in the list wins.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

HOURS = "hours"
DAYS = "days"
WEEKS = "weeks"
UNITS = (HOURS, DAYS, WEEKS)
_UNIT_DELTA = {HOURS: timedelta(hours=1), DAYS: timedelta(days=1), WEEKS: timedelta(weeks=1)}

Who = int | str  # a person: a user id, or any name
Interval = tuple[datetime, datetime, Who]


@dataclass(frozen=True)
class Restriction:
    """When a layer applies: on `weekdays` (0 = Monday; empty = every day) from `start`
    to `end` local time. An `end` at or before `start` runs past midnight into the next
    day (22:00-06:00); `start == end` means the whole day."""

    weekdays: frozenset[int] = frozenset()
    start: time = time(0)
    end: time = time(0)


@dataclass(frozen=True)
class Layer:
    """A rotation: `participants` take turns, one shift each, `shift_length` units long,
    with a handoff at `anchor` (and every shift length before and after it)."""

    participants: tuple[Who, ...]
    shift_length: int
    shift_unit: str
    anchor: datetime
    start: datetime
    end: datetime | None = None
    restriction: Restriction | None = None

    def __post_init__(self) -> None:
        if self.shift_unit not in UNITS:
            raise ValueError(f"shift_unit must be one of {', '.join(UNITS)}")
        if self.shift_length < 1:
            raise ValueError("shift_length must be at least 1")
        for name in ("anchor", "start", "end"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be an aware datetime")
        if self.end is not None and self.end <= self.start:
            raise ValueError("end must be after start")


@dataclass(frozen=True)
class Override:
    """`who` covers [start, end) whoever the layers say."""

    start: datetime
    end: datetime
    who: Who

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("override times must be aware datetimes")
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")


@dataclass(frozen=True)
class Shift:
    """A stretch of the final schedule: `who` is on call in [start, end). `layer` is the
    index of the layer it comes from, or None for an override."""

    start: datetime
    end: datetime
    who: Who
    layer: int | None

    @property
    def is_override(self) -> bool:
        return self.layer is None


def _zone(tz: tzinfo | str) -> tzinfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def _to_utc(naive_local: datetime, tz: tzinfo) -> datetime:
    return naive_local.replace(tzinfo=tz).astimezone(UTC)


def _local_naive(instant: datetime, tz: tzinfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def layer_shifts(layer: Layer, start: datetime, end: datetime, tz: tzinfo | str) -> list[Interval]:
    """The layer's shifts (before restrictions) within [start, end), clipped to it and to
    the layer's own start and end."""
    # A Layer is checked when built; values that got past that (bad stored data) must
    # fail here rather than loop: a step that is not positive would never advance.
    if layer.shift_unit not in _UNIT_DELTA or not isinstance(layer.shift_length, int):
        raise ValueError(f"unknown shift {layer.shift_length!r} {layer.shift_unit!r}")
    if layer.shift_length < 1:
        raise ValueError(f"a shift length of {layer.shift_length} is not positive")
    zone = _zone(tz)
    lo = max(start, layer.start).astimezone(UTC)
    hi = (min(end, layer.end) if layer.end is not None else end).astimezone(UTC)
    count = len(layer.participants)
    if lo >= hi or count == 0:
        return []
    step = _UNIT_DELTA[layer.shift_unit] * layer.shift_length
    anchor = _local_naive(layer.anchor, zone)

    def boundary(k: int) -> datetime:
        return _to_utc(anchor + step * k, zone)

    k = (_local_naive(lo, zone) - anchor) // step
    while boundary(k) > lo:
        k -= 1
    while boundary(k + 1) <= lo:
        k += 1
    shifts: list[Interval] = []
    begin = boundary(k)
    while begin < hi:
        finish = boundary(k + 1)
        s, e = max(begin, lo), min(finish, hi)
        if s < e:
            shifts.append((s, e, layer.participants[k % count]))
        k += 1
        begin = finish
    return shifts


def restriction_windows(
    restriction: Restriction, start: datetime, end: datetime, tz: tzinfo | str
) -> list[tuple[datetime, datetime]]:
    """The instants in [start, end) when the restriction lets its layer apply."""
    zone = _zone(tz)
    lo, hi = start.astimezone(UTC), end.astimezone(UTC)
    if lo >= hi:
        return []
    day: date = _local_naive(lo, zone).date() - timedelta(days=1)
    last: date = _local_naive(hi, zone).date()
    wraps = restriction.end <= restriction.start
    windows: list[tuple[datetime, datetime]] = []
    while day <= last:
        if not restriction.weekdays or day.weekday() in restriction.weekdays:
            s = _to_utc(datetime.combine(day, restriction.start), zone)
            e_day = day + timedelta(days=1) if wraps else day
            e = _to_utc(datetime.combine(e_day, restriction.end), zone)
            s, e = max(s, lo), min(e, hi)
            if s < e:
                if windows and windows[-1][1] >= s:
                    windows[-1] = (windows[-1][0], max(windows[-1][1], e))
                else:
                    windows.append((s, e))
        day += timedelta(days=1)
    return windows


def _intersect(shifts: list[Interval], windows: list[tuple[datetime, datetime]]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(shifts) and j < len(windows):
        s = max(shifts[i][0], windows[j][0])
        e = min(shifts[i][1], windows[j][1])
        if s < e:
            out.append((s, e, shifts[i][2]))
        if shifts[i][1] <= windows[j][1]:
            i += 1
        else:
            j += 1
    return out


def layer_coverage(
    layer: Layer, start: datetime, end: datetime, tz: tzinfo | str
) -> list[Interval]:
    """Who the layer puts on call within [start, end), restrictions applied."""
    shifts = layer_shifts(layer, start, end, tz)
    if layer.restriction is None or not shifts:
        return shifts
    return _intersect(shifts, restriction_windows(layer.restriction, start, end, tz))


def _stack(sources: Sequence[Sequence[Interval]]) -> list[tuple[datetime, datetime, Who, int]]:
    """Each source is sorted and non-overlapping; the last source has priority."""
    points = sorted({p for source in sources for iv in source for p in (iv[0], iv[1])})
    cursor = [0] * len(sources)
    order = range(len(sources) - 1, -1, -1)
    out: list[tuple[datetime, datetime, Who, int]] = []
    for i in range(len(points) - 1):
        s, e = points[i], points[i + 1]
        for j in order:
            source, p = sources[j], cursor[j]
            while p < len(source) and source[p][1] <= s:
                p += 1
            cursor[j] = p
            if p < len(source) and source[p][0] <= s:
                who = source[p][2]
                if out and out[-1][1] == s and out[-1][2] == who and out[-1][3] == j:
                    out[-1] = (out[-1][0], e, who, j)
                else:
                    out.append((s, e, who, j))
                break
    return out


def _override_source(
    overrides: Iterable[Override], start: datetime, end: datetime
) -> list[Interval]:
    clipped = [
        (max(o.start, start).astimezone(UTC), min(o.end, end).astimezone(UTC), o.who)
        for o in overrides
        if o.start < end and o.end > start
    ]
    ordered = sorted(clipped, key=lambda iv: iv[0])
    if all(a[1] <= b[0] for a, b in itertools.pairwise(ordered)):
        return ordered
    # Overlapping overrides: the later one in the list wins.
    return [(s, e, who) for s, e, who, _ in _stack([[iv] for iv in clipped])]


def _window(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be aware datetimes")
    return start.astimezone(UTC), end.astimezone(UTC)


def _combine(sources: list[Sequence[Interval]]) -> list[Shift]:
    """Stack layer sources with the override source last (on top)."""
    override_index = len(sources) - 1
    return [
        Shift(s, e, who, None if j == override_index else j) for s, e, who, j in _stack(sources)
    ]


def final_schedule(
    layers: Sequence[Layer],
    overrides: Iterable[Override],
    start: datetime,
    end: datetime,
    tz: tzinfo | str,
) -> list[Shift]:
    """The final schedule within [start, end): who is on call when, and from which layer
    or override. Adjacent stretches of one person from one source are merged, so the
    result does not depend on how a longer interval is split. A layer whose shifts
    cannot be worked out raises; `resolve` leaves it out and says why instead."""
    start, end = _window(start, end)
    if start >= end:
        return []
    sources: list[Sequence[Interval]] = [layer_coverage(layer, start, end, tz) for layer in layers]
    sources.append(_override_source(overrides, start, end))
    return _combine(sources)


@dataclass(frozen=True)
class LayerError:
    """A layer (its index; None for the overrides) whose shifts could not be worked out,
    and why, in words a person can act on."""

    layer: int | None
    message: str


@dataclass(frozen=True)
class Resolved:
    """The final schedule made of what could be worked out, and what could not."""

    shifts: list[Shift]
    errors: tuple[LayerError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def error_text(exc: BaseException) -> str:
    """An exception as one short line: its type and message."""
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def resolve(
    layers: Sequence[Layer | LayerError],
    overrides: Iterable[Override],
    start: datetime,
    end: datetime,
    tz: tzinfo | str,
) -> Resolved:
    """`final_schedule` that never fails because of a layer: a layer whose shifts cannot
    be worked out (values out of range, a bug) is left out and reported, and the other
    layers and the overrides still count. A LayerError given in `layers` (a layer that
    could not even be built) is reported in its place."""
    start, end = _window(start, end)
    if start >= end:
        return Resolved([])
    errors: list[LayerError] = []
    sources: list[Sequence[Interval]] = []
    for index, layer in enumerate(layers):
        coverage: list[Interval] = []
        if isinstance(layer, LayerError):
            errors.append(layer)
        else:
            try:
                coverage = layer_coverage(layer, start, end, tz)
            except Exception as exc:  # any failure of one layer must not hide the others
                errors.append(LayerError(index, error_text(exc)))
        sources.append(coverage)
    try:
        sources.append(_override_source(overrides, start, end))
    except Exception as exc:
        errors.append(LayerError(None, error_text(exc)))
        sources.append([])
    try:
        return Resolved(_combine(sources), tuple(errors))
    except Exception as exc:  # stacking itself failed: nothing can be trusted
        errors.append(LayerError(None, error_text(exc)))
        return Resolved([], tuple(errors))


def on_call_at(
    layers: Sequence[Layer], overrides: Iterable[Override], at: datetime, tz: tzinfo | str
) -> Who | None:
    """Who is on call at `at`, or None when nobody is."""
    shifts = final_schedule(layers, overrides, at, at + timedelta(microseconds=1), tz)
    return shifts[0].who if shifts else None


def upcoming(
    layers: Sequence[Layer],
    overrides: Iterable[Override],
    at: datetime,
    tz: tzinfo | str,
    *,
    count: int = 2,
    horizon: timedelta = timedelta(days=90),
) -> list[Shift]:
    """The current shift (if any) and the next ones, up to `count` in all, looking at
    most `horizon` ahead. A shift that goes on past the horizon is cut at it."""
    merged = merge_people(final_schedule(layers, overrides, at, at + horizon, tz))
    return merged[:count]


def merge_people(shifts: Iterable[Shift]) -> list[Shift]:
    """Join adjacent stretches of the same person (whatever their source): what a person
    experiences as one shift."""
    out: list[Shift] = []
    for shift in shifts:
        if out and out[-1].end == shift.start and out[-1].who == shift.who:
            prev = out[-1]
            out[-1] = Shift(prev.start, shift.end, shift.who, prev.layer)
        else:
            out.append(shift)
    return out


def boundaries(shifts: Iterable[Shift]) -> Iterator[tuple[datetime, Who | None, Who | None]]:
    """Each change of person: (when, outgoing, incoming), for handoffs. A gap between two
    shifts is a change to and from nobody (None)."""
    previous: Shift | None = None
    for shift in merge_people(shifts):
        if previous is not None:
            if previous.end == shift.start:
                yield shift.start, previous.who, shift.who
            else:
                yield previous.end, previous.who, None
                yield shift.start, None, shift.who
        previous = shift
