"""Times in the viewer's zone, always with the zone named and the year when it is not this
year's, with UTC on hover. Every page formats instants through `when`."""

import re
from datetime import UTC, datetime

from django import template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

# Named styles; any other value is a Django date format string.
STYLES = {
    "short": ("D d M H:i", "D d M Y H:i"),  # this year / another year
    "time": ("H:i:s", "D d M Y H:i:s"),  # a time today, else the whole date
    "seconds": ("Y-m-d H:i:s", "Y-m-d H:i:s"),
}
_TIME_CHARS = set("aAfgGhHisu")
_ZONE_CHARS = set("eOPTZ")


def when_format(value: datetime, fmt: str = "Y-m-d H:i", *, now: datetime | None = None) -> str:
    """The text of an instant in the current zone: a format that shows a time of day also
    shows the zone, and a named style shows the year of an instant outside this year."""
    local = timezone.localtime(value)
    today = timezone.localtime(now or timezone.now())
    if fmt in STYLES:
        this_year, other = STYLES[fmt]
        if fmt == "time":
            fmt = this_year if local.date() == today.date() else other
        else:
            fmt = this_year if local.year == today.year else other
    chars = set(re.sub(r"\\.", "", fmt))  # a backslash-escaped letter is text
    if chars & _TIME_CHARS and not chars & _ZONE_CHARS:
        fmt += " T"
    return dateformat.format(local, fmt)


@register.simple_tag
def when(value: datetime | None, fmt: str = "Y-m-d H:i") -> SafeString | str:
    """A <time> element: the local time (with its zone) as text, the UTC time as its title."""
    if value is None:
        return "—"
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        when_format(value, fmt),
    )


@register.filter(name="when")
def when_filter(value: datetime | None, fmt: str = "Y-m-d H:i") -> SafeString | str:
    """`{{ value|when:"short" }}`, the filter form of the tag, for use inside other tags."""
    return when(value, fmt)


@register.simple_tag
def current_zone() -> str:
    return timezone.get_current_timezone_name()


@register.simple_tag
def now_when() -> SafeString | str:
    return when(timezone.now())


@register.inclusion_tag("accounts/_zone_question.html", takes_context=True)
def zone_question(context: template.Context) -> dict[str, object]:
    """Until a signed-in user has said which zone they read times in, every page asks
    (suggesting the browser's zone) instead of showing UTC without a word."""
    request = context.get("request")
    ask = bool(
        request is not None
        and getattr(request, "keel_zone_unchosen", False)
        and request.path != reverse("accounts:profile")
    )
    return {"ask": ask, "request": request, "csrf_token": context.get("csrf_token")}
