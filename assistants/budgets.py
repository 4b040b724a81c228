"""Error-budget tools: a service's budgets, their ledgers, what is burning, the gate."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from catalog.models import Service
from slos import selectors
from slos.api.serializers import SloSerializer
from slos.api.views import gate_body, ledger_body, ledger_debit
from slos.models import SLO
from slos.services.gate import gate_check

from .wire import as_json, plural

Result = tuple[dict[str, Any], str]
BIGGEST_DEBITS = 3


def _service(user: Any, slug: str) -> Service:
    try:
        return selectors.service_get(user=user, slug=slug)
    except Service.DoesNotExist:
        raise ToolError(f"No service {slug!r}.") from None


def _ratio(text: str | None) -> str:
    return "no data" if text is None else f"{float(text) * 100:.1f}%"


def _ledger_body(view: selectors.LedgerView) -> dict[str, Any]:
    """The ledger as `GET /api/v1/slos/<id>/ledger/` answers it."""
    return as_json(ledger_body(view))


def _slos(user: Any, service: Service, name: str | None) -> list[SLO]:
    rows = list(selectors.slo_list(user=user, service=service))
    if name:
        rows = [slo for slo in rows if slo.name == name]
        if not rows:
            raise ToolError(f"{service.slug} has no SLO named {name!r}.")
    return rows


def _budget_of(user: Any, slo: SLO, at: datetime | None) -> dict[str, Any]:
    rest = as_json(SloSerializer(slo).data)
    status = rest["status"] or {}
    view = selectors.slo_ledger(user=user, slo=slo, at=at)
    debits = sorted(
        (row.debit for row in view.rows if row.debit is not None and row.debit.share is not None),
        key=lambda debit: debit.share or 0,
        reverse=True,
    )
    problem = "" if slo_status(slo) is None else selectors.status_data_problem(slo.status, at=at)
    return {
        "id": slo.pk,
        "name": slo.name,
        "objective": rest["objective"],
        "window": slo.window_text,
        "window_start": status.get("window_start"),
        "window_end": status.get("window_end"),
        "budgeting_method": slo.budgeting_method,
        "remaining": status.get("remaining"),
        "budget_minutes_left": view.budget_minutes_left,
        "burn_rates": status.get("burn_rates") or {},
        "tier": status.get("tier"),
        "alert_state": status.get("alert_state"),
        "data_problem": problem,
        "evaluated_at": status.get("evaluated_at"),
        "biggest_debits": as_json([ledger_debit(d, view) for d in debits[:BIGGEST_DEBITS]]),
    }


def slo_status(slo: SLO) -> Any:
    return getattr(slo, "status", None)


def error_budget(*, user: Any, service: str, slo: str | None = None) -> Result:
    found = _service(user, service)
    budgets = [_budget_of(user, row, None) for row in _slos(user, found, slo)]
    if not budgets:
        return {"service": found.slug, "slos": []}, f"{found.slug} has no SLOs."
    parts = []
    for b in budgets:
        minutes = b["budget_minutes_left"]
        left = "" if minutes is None else f", about {minutes:.0f} minutes of full outage left"
        burn = b["burn_rates"].get("1h")
        parts.append(
            f"{b['name']} ({Decimal(b['objective']).normalize()}% over {b['window']}): "
            f"{_ratio(b['remaining'])} of the error budget remains{left}; policy tier {b['tier']}"
            + ("" if burn is None else f", burning at {float(burn):.2g}x over the last hour")
            + (f"; {b['data_problem']}" if b["data_problem"] else "")
        )
    return (
        {"service": found.slug, "slos": budgets},
        f"Error budget of {found.slug}: " + "; ".join(parts) + ".",
    )


def explain(*, user: Any, service: str, slo: str | None = None) -> Result:
    found = _service(user, service)
    ledgers = []
    sentences = []
    for row in _slos(user, found, slo):
        body = _ledger_body(selectors.slo_ledger(user=user, slo=row))
        ledgers.append({"name": row.name, **body})
        if body["allowance"] is None:
            sentences.append(f"{row.name}: not evaluated yet, no account to show")
            continue
        lines = ", ".join(
            f"{line['label']} {float(line['share']) * 100:.1f}%" for line in body["lines"]
        )
        sentences.append(
            f"{row.name}: allowance {float(body['allowance']):g} bad "
            f"{'slices' if body['method'] == 'timeslices' else 'events'}; consumed by "
            f"{lines or 'nothing'}; {_ratio(body['remaining'])} remains"
        )
    summary = f"The budget of {found.slug} as an account: " + (
        "; ".join(sentences) + "." if sentences else "it has no SLOs."
    )
    return {"service": found.slug, "slos": ledgers}, summary


def _violation(slo: SLO) -> dict[str, Any] | None:
    status = slo_status(slo)
    if status is None:
        return {"reasons": ["not evaluated yet"], "firing": []}
    reasons = []
    if status.alert_state != "ok":
        names = ", ".join(str(w["name"]) for w in status.firing or []) or "?"
        reasons.append(f"burning above its {status.alert_state} threshold ({names})")
    if status.tier != "healthy":
        reasons.append(f"past a policy tier: {status.tier}")
    problem = selectors.status_data_problem(status)
    if problem:
        reasons.append(problem)
    return {"reasons": reasons, "firing": status.firing or []} if reasons else None


def violations(*, user: Any, service: str | None = None, team: str | None = None) -> Result:
    rows = selectors.slo_list(
        user=user, service=_service(user, service) if service else None, team_slug=team
    )
    found = []
    for slo in rows:
        violation = _violation(slo)
        if violation is None:
            continue
        rest = as_json(SloSerializer(slo).data)
        status = rest["status"] or {}
        found.append(
            {
                "service": slo.service.slug,
                "name": slo.name,
                "remaining": status.get("remaining"),
                "burn_rates": status.get("burn_rates") or {},
                "tier": status.get("tier"),
                "alert_state": status.get("alert_state"),
                **violation,
            }
        )
    scope = service or (f"team {team}" if team else "all services")
    if not found:
        return {"violations": []}, f"No SLO of {scope} is burning or past a policy tier."
    detail = "; ".join(f"{v['service']}/{v['name']}: {', '.join(v['reasons'])}" for v in found)
    return {"violations": found}, f"{plural(len(found), 'SLO')} of {scope} need care: {detail}."


def deploy_risk(*, user: Any, service: str) -> Result:
    body = as_json(gate_body(gate_check(service=_service(user, service))))
    reasons = "; ".join(body["reasons"]) or "every SLO is within its budget"
    bypass = body["bypass"]
    summary = f"The gate answers {body['decision']} for {body['service']}: {reasons}."
    if bypass is not None:
        summary += f" A {bypass['kind']} bypass by {bypass['by']} is in force until " + (
            f"{bypass['expires_at']}: {bypass['reason']}."
        )
    return body, summary
