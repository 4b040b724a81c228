"""Template tags for postmortems: the incident-room panel and CSS-safe strings."""

from pathlib import Path
from typing import Any

from django import template
from django.contrib.staticfiles import finders
from django.db.models import Count, Q
from django.utils.safestring import SafeString, mark_safe

from postmortems.models import CLOSED_ACTION_STATUSES, ActionItem, Postmortem

register = template.Library()

_CSS_SAFE = frozenset(" -_.,:;!?()#/·+%")


@register.simple_tag
def inline_static(path: str) -> SafeString:
    """The text of one of Keel's own static files (a stylesheet), for the PDF's standalone
    HTML: the web pages link the same file, which the Content-Security-Policy allows."""
    found = finders.find(path)
    if not isinstance(found, str):
        raise template.TemplateSyntaxError(f"No static file {path!r}.")
    return mark_safe(Path(found).read_text(encoding="utf-8"))  # noqa: S308  (Keel's own file)


@register.filter
def css_string(value: Any) -> str:
    """Text for a CSS string literal: anything but letters, digits and plain punctuation
    becomes a CSS hex escape, so a title cannot end the string or the style element."""
    return "".join(
        ch if ch.isalnum() or ch in _CSS_SAFE else f"\\{ord(ch):x} " for ch in str(value)
    )


@register.inclusion_tag("postmortems/_panel_body.html")
def postmortem_panel(incident: Any) -> dict[str, Any]:
    """The incident room's postmortem panel: status, due date, versions, action items
    (two queries)."""
    postmortem = Postmortem.objects.filter(incident_id=incident.pk).first()
    counts = ActionItem.objects.filter(incident_id=incident.pk).aggregate(
        total=Count("id"), open=Count("id", filter=~Q(status__in=CLOSED_ACTION_STATUSES))
    )
    return {"incident": incident, "postmortem": postmortem, "counts": counts}
