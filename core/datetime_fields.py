"""The one date-time input of Keel's forms: the browser's date-time picker
(`<input type="datetime-local">`), read in the viewer's zone, which the field names.

Only ISO order is read (YYYY-MM-DD HH:MM, with T or a space, optional seconds, optional
zone offset): a US-order "11/12/2026" is refused rather than read as some other day.
Values must be Keel instants (`core.bounds`: 1970-2200).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import lazy

from .validators import validate_keel_datetime

ISO_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
]
INVALID = "Enter a date and time as YYYY-MM-DD HH:MM (the date picker does this for you)."


class LocalDateTimeInput(forms.DateTimeInput):
    """The browser's date-time picker; whole minutes unless `seconds`."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None, *, seconds: bool = False) -> None:
        fmt = "%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M"
        super().__init__({"step": 1 if seconds else 60, **(attrs or {})}, format=fmt)


def _zone_help(hint: str) -> str:
    zone = timezone.get_current_timezone_name()
    return f"In {zone}.{' ' + hint if hint else ''}"


zone_help = lazy(_zone_help, str)
"""Help text naming the zone the value is read in, evaluated when the form is drawn (so a
page drawn in a schedule's zone, or in the viewer's, names that one)."""


class LocalDateTimeField(forms.DateTimeField):
    """A date and time picked in the current zone (the viewer's; a schedule's inside
    `timezone.override`), within Keel's range."""

    input_formats = ISO_INPUT_FORMATS
    default_validators = [validate_keel_datetime]
    default_error_messages = {"invalid": INVALID}

    def __init__(self, *, hint: str = "", seconds: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("widget", LocalDateTimeInput(seconds=seconds))
        kwargs.setdefault("help_text", zone_help(hint))
        super().__init__(**kwargs)


def from_now(**delta: float) -> Callable[[], datetime]:
    """An `initial=` for a LocalDateTimeField: now plus `delta`, to the minute (so the
    example a form starts with is never in the past)."""

    def initial() -> datetime:
        return (timezone.now() + timedelta(**delta)).replace(second=0, microsecond=0)

    return initial
