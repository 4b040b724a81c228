"""Inclusion tags other pages embed: on call now (dashboard), an incident's pages."""

from typing import Any

from django import template

from ..choices import EscalationState
from ..models import Escalation
from ..selectors import (
    can_configure,
    can_respond,
    delivery_error_for,
    page_list_for_incident,
    schedule_list,
)
from ..selectors import oncall_now as oncall_now_rows

register = template.Library()


def _all_rows(context: template.Context) -> list[Any]:
    """Every schedule's now and next, worked out once per request."""
    request = context.get("request")
    rows = getattr(request, "_oncall_now_rows", None)
    if rows is None:
        rows = oncall_now_rows(schedules=list(schedule_list(user=None)))
        if request is not None:
            request._oncall_now_rows = rows
    return rows


@register.inclusion_tag("oncall/_now_table.html", takes_context=True)
def oncall_now(context: template.Context) -> dict[str, Any]:
    """Every schedule's now and next: a handful of queries whatever the number of teams."""
    return {"rows": _all_rows(context), "show_team": True}


@register.inclusion_tag("oncall/_paging_degraded_banner.html", takes_context=True)
def paging_degraded(context: template.Context) -> dict[str, Any]:
    """For admins: the schedules Keel cannot fully work out, while they stay broken
    (paging for them falls back)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not can_configure(user):
        return {"errors": []}
    return {"errors": [e for row in _all_rows(context) for e in row.errors]}


@register.inclusion_tag("oncall/_incident_pages_list.html", takes_context=True)
def incident_pages(context: template.Context, incident: Any) -> dict[str, Any]:
    escalations = list(
        Escalation.objects.filter(incident=incident)
        .select_related("policy__team")
        .order_by("started_at", "pk")
    )
    request = context.get("request")
    user = getattr(request, "user", None)
    pages = page_list_for_incident(incident=incident)
    for page in pages:
        page.shown_error = delivery_error_for(  # type: ignore[attr-defined]
            user, owner_id=page.user_id, error=page.last_error
        )
    return {
        "incident": incident,
        "pages": pages,
        "escalations": escalations,
        # An acknowledged incident whose restarted escalation is still running (it
        # stops on its next check); stopping it here does not wait for that.
        "can_stop_restarted": any(
            e.state == EscalationState.RUNNING and e.acknowledgements_after is not None
            for e in escalations
        )
        and incident.last_acknowledged_at is not None
        and user is not None
        and user.is_authenticated
        and can_respond(user),
        "csrf_token": context.get("csrf_token"),
    }
