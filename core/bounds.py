"""Keel-wide bounds on values that enter, and pure checks against them (no Django).

Forms, serializers, model validators, services and database check constraints all take
their limits from here (the Django faces through `core.validators`), so a value one door
accepts is a value every door accepts, and every computation downstream stays inside
what Python's datetime can represent.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

EARLIEST_YEAR = 1970
LATEST_YEAR = 2200
EARLIEST = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
"""The first instant Keel accepts."""
END = datetime(LATEST_YEAR + 1, 1, 1, tzinfo=UTC)
"""The first instant past the range: accepted instants are in [EARLIEST, END)."""
LATEST = END - timedelta(minutes=1)
"""The last whole minute Keel accepts."""
RANGE_TEXT = f"{EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31 (UTC)"


class OutOfBounds(ValueError):
    """A value outside its bounds; `message` names the field and the bounds."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _label(what: str) -> str:
    return what[:1].upper() + what[1:]


def datetime_problem(value: datetime, what: str = "the time") -> str | None:
    """Why `value` is not a Keel instant (no zone, or outside 1970-2200), or None."""
    if value.tzinfo is None or value.utcoffset() is None:
        return f"{_label(what)} needs a time zone."
    if not EARLIEST <= value < END:
        return f"{_label(what)} must lie between {RANGE_TEXT}; {value.isoformat()} does not."
    return None


def date_problem(value: date, what: str = "the date") -> str | None:
    """Why `value` is not a day of Keel's range (1970-2200), or None: a day at either end
    still leaves room for the day after it and for any zone's offset."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return f"{_label(what)} must lie between {EARLIEST_YEAR}-01-01 and {LATEST_YEAR}-12-31."
    return None


COUNT_MAX = 10**15
"""The largest count a person enters (users affected, failed requests): well inside the
database's 64-bit integers."""


def text_problem(value: str, what: str = "the text") -> str | None:
    """Why `value` cannot be stored as text (PostgreSQL refuses NUL in text and JSON)."""
    if "\x00" in value:
        return f"{_label(what)} may not contain the NUL character."
    return None


def int_problem(value: int, what: str, low: int, high: int, unit: str = "") -> str | None:
    """Why `value` is not in [low, high], or None."""
    if low <= value <= high:
        return None
    suffix = f" {unit}" if unit else ""
    return f"{_label(what)} must be {low} to {high}{suffix}; {value} is not."


def whole_minutes_problem(value: time, what: str = "the time of day") -> str | None:
    """Times of day are whole minutes (what the pages show and the forms take)."""
    if value.second or value.microsecond:
        return f"{_label(what)} must be a whole minute (e.g. {value:%H:%M}), not {value}."
    return None


def span_problem(start: datetime, end: datetime, what: str, longest: timedelta) -> str | None:
    """Why [start, end) is not a span of at most `longest`, or None."""
    if end <= start:
        return f"{_label(what)} must end after it starts."
    if end - start > longest:
        return f"{_label(what)} may last at most {_duration_text(longest)}."
    return None


def _duration_text(span: timedelta) -> str:
    if span % timedelta(days=1):
        hours = span // timedelta(hours=1)
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{span.days} day{'s' if span.days != 1 else ''}"


def check(problem: str | None, field: str) -> None:
    """Raise OutOfBounds for `field` when there is a problem."""
    if problem is not None:
        raise OutOfBounds(problem, field=field)


def clamp_datetime(value: datetime) -> datetime:
    """The nearest Keel instant: for windows read from a URL, not for stored values."""
    return min(max(value, EARLIEST), LATEST)


PAGE_NUMBER_MAX = 100_000
"""The last page number a list reads (at 50 rows a page, five million rows deep)."""


def page_number(raw: object) -> int:
    """A list's page number from the URL: 1 for anything unreadable, at most
    PAGE_NUMBER_MAX, so that its offset always fits the database's integers."""
    try:
        number = int(str(raw or 1))
    except ValueError:
        return 1
    return min(max(1, number), PAGE_NUMBER_MAX)


MAX_QUERY_BYTES = 8 * 1024
"""The longest query string Keel reads (a URL of a filtered list is far shorter)."""
MAX_BODY_BYTES = 5 * 1024 * 1024
"""The largest request body Keel reads by default (a postmortem section, an SLO file)."""


def _size_text(size: int) -> str:
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return f"{size // (1024 * 1024)} MiB"
    if size >= 1024 and size % 1024 == 0:
        return f"{size // 1024} KiB"
    return f"{size} bytes"


def query_size_problem(size: int, limit: int = MAX_QUERY_BYTES) -> str | None:
    if size <= limit:
        return None
    return f"The address is too long: its query string may be at most {_size_text(limit)}."


def body_size_problem(size: int, limit: int = MAX_BODY_BYTES) -> str | None:
    if size <= limit:
        return None
    return (
        f"What was sent is too large: at most {_size_text(limit)} can be sent at once; "
        "nothing was changed."
    )


def clamp_url_datetime(value: datetime) -> datetime:
    """A window bound read from a URL, in UTC and clamped into Keel's range; a zone-less
    value is taken as UTC, and one whose offset leaves the calendar (9999-12-31T23:00-05:00)
    goes to the nearer end."""
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    try:
        return clamp_datetime(value.astimezone(UTC))
    except OverflowError:
        return LATEST if value.year > LATEST_YEAR else EARLIEST


JSON_DEPTH_MAX = 64
"""How deeply a JSON body may nest arrays and objects; Keel's own bodies need a handful of
levels, and Python's parser gives out (RecursionError) near a thousand."""

_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_JSON_BRACKET = re.compile(r"[\[\]{}]")


def json_depth_problem(text: str, most: int = JSON_DEPTH_MAX) -> str | None:
    """Why a JSON text nests too deeply to be parsed, or None. Strings are skipped, so a
    bracket inside a string does not count; a text that is not JSON is left to the parser."""
    depth = 0
    for bracket in _JSON_BRACKET.findall(_JSON_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > most:
                return f"JSON may nest arrays and objects at most {most} levels deep."
        else:
            depth -= 1
    return None
