"""Template helpers for the incident pages: Markdown, durations, badges."""

from datetime import datetime
from urllib.parse import urlsplit

import nh3
from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {
    "a", "p", "br", "strong", "em", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


def render_markdown(text: str) -> str:
    """Markdown to HTML with only harmless tags and http(s)/mailto links kept."""
    html = _markdown.render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(render_markdown(text))  # noqa: S308 (sanitized by nh3)


def format_seconds(seconds: float) -> str:
    seconds = int(max(0, seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    if minutes:
        return f"{minutes}m {secs}s"
    return f"{secs}s"


@register.simple_tag
def duration(start: datetime | None, end: datetime | None = None) -> str:
    """How long from start to end; to now when end is None, and then keel.js keeps
    counting in the browser."""
    if start is None:
        return "—"
    text = format_seconds(((end or timezone.now()) - start).total_seconds())
    if end is not None:
        return text
    return format_html('<span data-running-since="{}">{}</span>', start.isoformat(), text)


@register.simple_tag
def severity_badge(value: str) -> SafeString:
    return format_html('<span class="badge sev sev-{}">{}</span>', value.lower(), value)


@register.simple_tag
def status_badge(value: str) -> SafeString:
    return format_html('<span class="badge status status-{}">{}</span>', value, value.capitalize())


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters changed (None or "" removes them)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = str(value)
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def http_url(value: str) -> str:
    """The URL if it is http(s), else "": alert links come from outside and must not run
    scripts (javascript:) or open other schemes."""
    url = str(value or "").strip()
    return url if urlsplit(url).scheme.lower() in ("http", "https") else ""


@register.filter
def thousands(value: int) -> str:
    """A count with thousands separators (100,000), as the room's headings show them."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
