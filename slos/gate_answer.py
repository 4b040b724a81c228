"""The gate's answer as a pipeline reads it: one line, an exit code, and a strict reading of
the JSON that /api/v1/gate/ sends, in which anything unexpected blocks. No Django."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from . import budget_policy

DECISIONS = (budget_policy.ALLOW, budget_policy.WARN, budget_policy.BLOCK)
CANNOT_DECIDE = 2  # the exit code when the gate, or its answer, cannot be read


class GateUnreadable(ValueError):
    """No gate answer could be read (no answer, refused, unknown service, not the gate's
    JSON); the message says why, in words. The deployment is blocked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def decision_of(body: Mapping[str, Any]) -> budget_policy.GateDecision:
    """The decision a gate answer carries, as the gate itself made it."""
    return budget_policy.GateDecision(
        body["decision"], body["tier"], list(body["reasons"]), decided=body["decided"]
    )


def exit_code(body: Mapping[str, Any]) -> int:
    """0 to deploy (allow or warn), 1 blocked by the budget, 2 cannot decide (blocks)."""
    return decision_of(body).exit_code


def verdict_line(body: Mapping[str, Any]) -> str:
    """`allow checkout (tier healthy): all SLOs within budget`, the one line CI prints."""
    reasons = "; ".join(body["reasons"]) or "all SLOs within budget"
    verdict = body["decision"] if body["decided"] else f"{body['decision']} (cannot decide)"
    return f"{verdict} {body['service']} (tier {body['tier']}): {reasons}"


def _number_or_none(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def read_answer(data: bytes, *, service: str) -> dict[str, Any]:
    """The gate's JSON answer for `service`, checked field by field; GateUnreadable when it
    is anything else (a proxy's page, a truncated body, another service's answer)."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise GateUnreadable("the answer is not JSON") from None
    if not isinstance(body, dict):
        raise GateUnreadable("the answer is not the gate's JSON object")
    problems = []
    if body.get("decision") not in DECISIONS:
        problems.append("decision")
    if not isinstance(body.get("decided"), bool):
        problems.append("decided")
    if not isinstance(body.get("tier"), str) or body.get("tier") not in budget_policy.TIERS:
        problems.append("tier")
    reasons = body.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        problems.append("reasons")
    slos = body.get("slos")
    if not isinstance(slos, list) or not all(
        isinstance(slo, dict)
        and isinstance(slo.get("name"), str)
        and _number_or_none(slo.get("remaining"))
        for slo in slos
    ):
        problems.append("slos")
    if problems:
        raise GateUnreadable(f"the answer is not the gate's JSON (bad {', '.join(problems)})")
    if body.get("service") != service:
        raise GateUnreadable(f"the answer is for service {body.get('service')!r}, not {service!r}")
    return body
