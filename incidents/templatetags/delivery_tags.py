"""The admins' banner for webhook deliveries that failed after their retries."""

from typing import Any

from django import template

from core.roles import Role, role_of

from ..selectors import deliveries_failed_by_integration

register = template.Library()


@register.inclusion_tag("incidents/_failed_deliveries_banner.html", takes_context=True)
def failed_deliveries_banner(context: dict[str, Any]) -> dict[str, Any]:
    """Nothing for non-admins or when every delivery went through; else, per integration,
    how many deliveries wait for a replay, with a link to its page."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if role_of(user) < Role.ADMIN:
        return {"failed": []}
    failed = deliveries_failed_by_integration(user=user)
    return {"failed": failed, "total": sum(row["count"] for row in failed)}
