"""Template tags for postmortems: the incident-room panel and CSS-safe strings."""

from typing import Any

from django import template

register = template.Library()

_CSS_SAFE = frozenset(" -_.,:;!?()#/·+%")


@register.filter
def css_string(value: Any) -> str:
    """Text for a CSS string literal: anything but letters, digits and plain punctuation
    becomes a CSS hex escape, so a title cannot end the string or the style element."""
    return "".join(
        ch if ch.isalnum() or ch in _CSS_SAFE else f"\\{ord(ch):x} " for ch in str(value)
    )


@register.inclusion_tag("incidents/postmortems/_panel_body.html")
def postmortem_panel(incident: Any) -> dict[str, Any]:
    """The incident room's postmortem panel: status, due date, versions, action items
    (two queries)."""
    from django.db.models import Count, Q

    from ..models import ActionItem, Postmortem
    from ..models.postmortem import CLOSED_ACTION_STATUSES

    postmortem = Postmortem.objects.filter(incident_id=incident.pk).first()
    counts = ActionItem.objects.filter(incident_id=incident.pk).aggregate(
        total=Count("id"), open=Count("id", filter=~Q(status__in=CLOSED_ACTION_STATUSES))
    )
    return {"incident": incident, "postmortem": postmortem, "counts": counts}
