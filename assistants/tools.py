"""The read tools: thin faces over Keel's selectors (each answer: data plus one paragraph)."""

from collections.abc import Callable
from typing import Annotated, Any

from mcp.types import CallToolResult, TextContent

from . import budgets, incidents, oncall
from . import schemas as out
from .context import keel


def answer(result: tuple[dict, str]) -> CallToolResult:
    data, summary = result
    return CallToolResult(content=[TextContent(type="text", text=summary)], structured_content=data)


async def get_error_budget(
    service: str, slo: str | None = None
) -> Annotated[CallToolResult, out.ErrorBudget]:
    """The error budget of each SLO of a service (or of the SLO named): objective, window,
    remaining budget (the fraction /api/v1/slos/ shows), minutes left, burn rates, policy
    tier and the biggest debits."""
    return answer(await keel(budgets.error_budget, service=service, slo=slo))


async def explain_budget(
    service: str, slo: str | None = None
) -> Annotated[CallToolResult, out.BudgetExplanation]:
    """The budget as an account: what consumed it, incident by incident, and what was
    outside any incident, with corrections and what remains."""
    return answer(await keel(budgets.explain, service=service, slo=slo))


async def list_slo_violations(
    service: str | None = None, team: str | None = None
) -> Annotated[CallToolResult, out.Violations]:
    """SLOs burning above their alert thresholds, past a policy tier, or whose data the
    gate cannot decide on, each with why (all services, one service, or a team's)."""
    return answer(await keel(budgets.violations, service=service, team=team))


async def check_deploy_risk(service: str) -> Annotated[CallToolResult, out.DeployRisk]:
    """May this service deploy now? The gate's decision (allow, warn or block, as
    /api/v1/gate/), its reasons and any bypass in force."""
    return answer(await keel(budgets.deploy_risk, service=service))


async def list_incidents(
    open: bool | None = None,
    status: list[str] | None = None,
    severity: list[str] | None = None,
    kind: list[str] | None = None,
    service: str | None = None,
    started_after: str | None = None,
    started_before: str | None = None,
    q: str | None = None,
    limit: int = incidents.PAGE_SIZE,
) -> Annotated[CallToolResult, out.IncidentList]:
    """Incidents, newest first, with the filters of /api/v1/incidents/: open (not
    resolved or closed), status, severity (SEV1-SEV4), kind, service slug, started_after /
    started_before (ISO 8601), q (text in title or summary); at most `limit` (200)."""
    filters = {
        "open": None if open is None else str(open).lower(),
        "status": status,
        "severity": severity,
        "kind": kind,
        "service": service,
        "started_after": started_after,
        "started_before": started_before,
        "q": q,
    }
    return answer(await keel(incidents.incident_list, filters=filters, limit=limit))


async def get_incident(incident: str | int) -> Annotated[CallToolResult, out.IncidentDetail]:
    """One incident (INC-42 or 42) with its timeline, alerts, roles, pages and budget
    impact."""
    return answer(await keel(incidents.incident_get, incident=incident))


async def who_is_on_call(
    team: str | None = None, service: str | None = None, at: str | None = None
) -> Annotated[CallToolResult, out.OnCall]:
    """Who is on call, and who is next, per schedule: for a team, for the team owning a
    service, or for every team; now, or `at` an ISO 8601 time."""
    return answer(await keel(oncall.on_call, team=team, service=service, at=at))


async def get_handoff(
    team: str | None = None, service: str | None = None, at: str | None = None
) -> Annotated[CallToolResult, out.Handoff]:
    """The last handoff (of a team, or of the team owning a service) up to now or `at`:
    who handed to whom, and the outgoing person's notes."""
    return answer(await keel(oncall.handoff, team=team, service=service, at=at))


async def get_postmortem(
    incident: str | int, version: int | None = None
) -> Annotated[CallToolResult, out.PostmortemDocument]:
    """An incident's postmortem as Markdown: the draft, or a published `version`."""
    return answer(await keel(incidents.postmortem_get, incident=incident, version=version))


READ_TOOLS: list[Callable[..., Any]] = [
    get_error_budget,
    explain_budget,
    list_slo_violations,
    check_deploy_risk,
    list_incidents,
    get_incident,
    who_is_on_call,
    get_handoff,
    get_postmortem,
]
