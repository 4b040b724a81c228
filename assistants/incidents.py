"""Incident tools: the list with the REST list's filters, one incident in full, its postmortem."""

from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from incidents import selectors
from incidents.api.serializers import IncidentDetailSerializer, IncidentSerializer
from incidents.filters import IncidentFilter
from incidents.models import Incident
from oncall.api.serializers import PageSerializer
from oncall.selectors import page_list_for_incident
from postmortems.models import Postmortem, PostmortemVersion
from postmortems.render import to_markdown
from postmortems.selectors import postmortem_for_incident
from postmortems.services import postmortem_document
from slos.api.serializers import ImpactSerializer
from slos.selectors import incident_impacts

from .wire import as_json, incident_number, plural

Result = tuple[dict[str, Any], str]
PAGE_SIZE = 50
MAX_LIMIT = 200


def incident_list(*, user: Any, filters: dict[str, Any], limit: int = PAGE_SIZE) -> Result:
    """`filters` as the query of `GET /api/v1/incidents/` (open, status, severity, kind,
    service, started_after, started_before, q)."""
    data = {k: v for k, v in filters.items() if v not in (None, "", [])}
    found = IncidentFilter(data=data, queryset=selectors.incident_list(user=user))
    if not found.is_valid():
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in found.errors.items())
        raise ToolError(f"Those filters are refused: {problems}")
    rows = found.qs
    count = rows.count()
    limit = max(1, min(int(limit), MAX_LIMIT))
    listed = as_json(IncidentSerializer(rows[:limit], many=True).data)
    lines = ", ".join(
        f"{i['reference']} {i['severity']} {i['status']} {i['title']!r}" for i in listed[:10]
    )
    more = "" if count <= 10 else f" and {count - 10} more"
    summary = (
        f"{plural(count, 'incident')} match: {lines}{more}."
        if count
        else "No incident matches those filters."
    )
    return {"count": count, "incidents": listed}, summary


def incident_get(*, user: Any, incident: str | int) -> Result:
    number = incident_number(incident)
    try:
        found = selectors.incident_detail(user=user, number=number, size=PAGE_SIZE)
    except Incident.DoesNotExist:
        raise ToolError(f"No incident INC-{number}.") from None
    detail = as_json(IncidentDetailSerializer(found).data)
    impacts = as_json(
        ImpactSerializer(incident_impacts(user=user, incident_id=found.pk), many=True).data
    )
    pages = as_json(PageSerializer(page_list_for_incident(incident=found), many=True).data)
    roles = {
        "commander": detail["commander"],
        "responders": detail["responders"],
        "acknowledged_by": detail["acknowledged_by"],
    }
    cost = "; ".join(f"{i['service']}/{i['slo_name']}: {i['text']}" for i in impacts)
    summary = (
        f"{detail['reference']} {detail['title']!r} is {detail['severity']}, "
        f"{detail['status']}, on {', '.join(detail['services']) or 'no service'}; commander "
        f"{detail['commander'] or 'none'}; {plural(detail['alert_count'], 'alert')}, "
        f"{plural(detail['timeline_count'], 'timeline entry', 'timeline entries')}. "
        + (f"Budget impact: {cost}." if cost else "No budget impact recorded.")
    )
    return {"incident": detail, "roles": roles, "budget_impact": impacts, "pages": pages}, summary


def postmortem_get(*, user: Any, incident: str | int, version: int | None = None) -> Result:
    number = incident_number(incident)
    try:
        postmortem = postmortem_for_incident(user=user, number=number)
        text = to_markdown(postmortem_document(postmortem=postmortem, version=version))
    except Postmortem.DoesNotExist:
        raise ToolError(f"INC-{number} has no postmortem.") from None
    except PostmortemVersion.DoesNotExist:
        raise ToolError(f"The postmortem of INC-{number} has no version {version}.") from None
    which = f"version {version}" if version else "the current draft"
    data = {
        "incident": f"INC-{number}",
        "status": postmortem.status,
        "version": version,
        "published_version": postmortem.published_version,
        "markdown": text,
    }
    first = next((line for line in text.splitlines() if line.strip()), "")
    return data, f"The postmortem of INC-{number} ({which}, {postmortem.status}): {first[:200]}"
