"""Template tags for budgets: gauges, percents, and the partials other pages include."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from core.roles import Role, role_of

from .. import charts, selectors
from ..selectors import status_data_problem

register = template.Library()


@register.filter
def percent(value: Any, places: int = 1) -> str:
    """0.674 → 67.4% (negative when overspent; never clamped)."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.{places}f}%"


@register.filter
def data_problem(status: Any) -> str:
    """ "" when the gate can decide on this SLO's data now, else what it says ("no data",
    "data is stale (...)")."""

    return status_data_problem(status) if status else ""


@register.filter
def burn(value: Any) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):.1f}x"


@register.simple_tag
def budget_gauge(remaining: Decimal | None) -> SafeString:
    return mark_safe(charts.gauge(None if remaining is None else float(remaining)))  # noqa: S308


@register.simple_tag
def budget_sparkline(history: list[list[str]] | None) -> SafeString:
    values = [float(v) for _, v in (history or [])]
    line = charts.sparkline(values)
    if not line:  # one point per hour of evaluation: a trend needs two
        return mark_safe('<span class="muted" title="A trend shows after two hours">—</span>')
    return mark_safe(line)  # noqa: S308


@register.inclusion_tag("slos/_at_risk_list.html", takes_context=True)
def slos_at_risk(context: dict[str, Any], limit: int = 8) -> dict[str, Any]:
    """Budgets at risk for the dashboard (one query)."""
    user = context.get("user")
    rows = selectors.slos_at_risk(user=user, limit=limit) if user and user.is_authenticated else []
    return {"rows": rows}


@register.inclusion_tag("slos/_impact_list.html", takes_context=True)
def incident_budget_impact(context: dict[str, Any], incident: Any) -> dict[str, Any]:
    """What the incident cost each SLO (one query)."""
    user = context.get("user")
    found = (
        selectors.incident_debits(user=user, incident_id=incident.pk)
        if user and user.is_authenticated and incident is not None
        else []
    )

    can_correct = bool(found) and role_of(user) >= Role.RESPONDER
    return {"debits": found, "incident": incident, "can_correct": can_correct}


@register.simple_tag
def debit_sentence(debit: Any, shown: Any = None) -> str:
    """The debit's one sentence, saying `this window` when `shown` is its own window."""
    return str(debit.sentence(shown))


@register.filter
def get_item(mapping: Any, key: str) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None
