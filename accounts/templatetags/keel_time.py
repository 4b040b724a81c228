"""Times in the viewer's zone, with UTC on hover."""

from datetime import UTC, datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def when(value: datetime | None, fmt: str = "Y-m-d H:i T") -> SafeString | str:
    """A <time> element: the local time as text, the UTC time as its title."""
    if value is None:
        return "—"
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        utc.isoformat().replace("+00:00", "Z"),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        dateformat.format(timezone.localtime(value), fmt),
    )


@register.simple_tag
def current_zone() -> str:
    return timezone.get_current_timezone_name()


@register.simple_tag
def now_when() -> SafeString | str:
    return when(timezone.now())
