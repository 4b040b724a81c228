"""The output schemas of the MCP tools (what `structuredContent` holds, as JSON Schema).

Figures are the REST API's own strings where the API writes strings (a remaining budget
of "0.600000", an objective of "99.90000"), so an assistant and a script reading the API
see the same number."""

from typing import Any, Literal

from pydantic import BaseModel, Field


class Debit(BaseModel):
    incident: int
    fraction: str | None
    percent: str
    text: str
    window_start: str | None = None
    window_end: str | None = None


class SloBudget(BaseModel):
    id: int
    name: str
    objective: str = Field(description="Percent, as /api/v1/slos/ writes it.")
    window: str
    window_start: str | None
    window_end: str | None
    budgeting_method: str
    remaining: str | None = Field(
        description="Share of the budget left (1 = all, below 0 overspent): status.remaining "
        "of /api/v1/slos/."
    )
    budget_minutes_left: float | None = Field(
        description="Minutes of full outage (or at average traffic) the budget still covers."
    )
    burn_rates: dict[str, Any] = Field(description='Burn rate per lookback, e.g. {"1h": "0.5"}.')
    tier: str | None = Field(description="Error-budget policy tier: healthy, caution, ...")
    alert_state: str | None
    data_problem: str = Field(description="Why the gate could not decide on it, or empty.")
    evaluated_at: str | None
    biggest_debits: list[Debit]


class ErrorBudget(BaseModel):
    service: str
    slos: list[SloBudget]


class LedgerLine(BaseModel):
    label: str
    bad: str
    share: str
    balance: str
    debit: dict[str, Any] | None


class Ledger(BaseModel):
    name: str
    slo: int
    window_start: str
    window_end: str
    method: str
    allowance: str | None
    lines: list[LedgerLine]
    remaining: str | None
    budget_minutes_left: float | None
    corrections: list[dict[str, Any]]


class BudgetExplanation(BaseModel):
    service: str
    slos: list[Ledger] = Field(description="Each SLO's ledger, as /api/v1/slos/<id>/ledger/.")


class Violation(BaseModel):
    service: str
    name: str
    remaining: str | None
    burn_rates: dict[str, Any]
    tier: str | None
    alert_state: str | None
    reasons: list[str]
    firing: list[dict[str, Any]] = Field(description="The alert windows burning above factor.")


class Violations(BaseModel):
    violations: list[Violation]


class GateSlo(BaseModel):
    name: str
    remaining: float | None
    burn_1h: float | None
    burn_5m: float | None
    data_age_s: float | None
    error: str


class Bypass(BaseModel):
    id: int
    kind: str
    reason: str
    by: str
    created_at: str
    expires_at: str


class DeployRisk(BaseModel):
    """The gate's answer, as /api/v1/gate/?service=<slug>."""

    service: str
    decision: Literal["allow", "warn", "block"]
    decided: bool
    tier: str
    reasons: list[str]
    slos: list[GateSlo]
    bypass: Bypass | None
    bypasses: list[Bypass]


class IncidentRow(BaseModel):
    number: int
    reference: str
    title: str
    summary: str
    severity: str
    status: str
    kind: str
    services: list[str]
    commander: str | None
    started_at: str | None
    detected_at: str | None
    acknowledged_at: str | None
    last_acknowledged_at: str | None
    resolved_at: str | None
    closed_at: str | None
    alert_count: int


class IncidentList(BaseModel):
    count: int = Field(description="How many incidents match (the list holds at most `limit`).")
    incidents: list[IncidentRow]


class Roles(BaseModel):
    commander: str | None
    responders: list[str]
    acknowledged_by: str | None


class IncidentDetail(BaseModel):
    incident: dict[str, Any] = Field(
        description="As /api/v1/incidents/<number>/: with its alerts and timeline."
    )
    roles: Roles
    budget_impact: list[dict[str, Any]] = Field(
        description="As /api/v1/budget-impacts/?incident=<number>."
    )
    pages: list[dict[str, Any]]


class OnCallRow(BaseModel):
    schedule: int
    schedule_name: str
    team: str
    now: str | None
    now_until: str | None
    next: str | None
    next_from: str | None
    layer_errors: list[dict[str, Any]]


class OnCall(BaseModel):
    team: str | None
    schedules: list[OnCallRow]


class HandoffRow(BaseModel):
    id: int
    schedule: int
    schedule_name: str
    team: str
    outgoing: str | None
    incoming: str | None
    outgoing_shift_start: str
    shift_start: str
    shift_end: str | None
    notes: str
    reminded_at: str | None
    acknowledged_at: str | None


class Handoff(BaseModel):
    handoff: HandoffRow | None


class PostmortemDocument(BaseModel):
    incident: str
    status: str
    version: int | None = Field(description="The published version shown; null: the draft.")
    published_version: int | None
    markdown: str


class WriteStep(BaseModel):
    """A write tool's answer: first a draft with a confirmation token, then, called again
    with that token, what was done."""

    action: str
    status: Literal["draft", "done"]
    preview: str = Field(description="What will be (or was) done, in words.")
    arguments: dict[str, Any]
    confirmation_token: str | None = Field(
        description="Call the tool again with the same arguments and this token to do it."
    )
    expires_in_seconds: int | None
    result: dict[str, Any] | None = Field(description="What Keel recorded (step two).")
