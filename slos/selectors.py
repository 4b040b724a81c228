"""Reads for SLOs, their status, ledgers, impacts and services, with permission checks."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import F, Prefetch, Q, QuerySet, prefetch_related_objects
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import Service
from core.roles import Role, require_role
from incidents import selectors as incidents_selectors
from slos.models import SLO, Correction, GateBypass, IncidentImpact, SloStatus, WeeklyReport

from . import budget, budget_ledger, budget_policy, burn_rates, charts, sli
from .choices import BudgetingMethod
from .debits import Debit, debit_of, debits
from .services.figures import allowance, slo_window


def slo_list(
    *, user: Any, service: Service | None = None, team_slug: str | None = None
) -> QuerySet[SLO]:
    """SLOs with their service and latest status (one query); only those of `service`, or
    of the services of the team `team_slug`, when given."""
    require_role(user, Role.VIEWER)
    rows = SLO.objects.select_related("service", "status").order_by("service__slug", "name")
    if service is not None:
        rows = rows.filter(service=service)
    if team_slug:
        rows = rows.filter(service__owner__slug=team_slug)
    return rows


def status_data_problem(status: SloStatus, *, at: datetime | None = None) -> str:
    """What the gate would say about this SLO's data now: "" when it can decide, else
    "no data" or "data is stale (...)" in the gate's own words, so pages and gate agree."""

    if status.error:
        return status.error
    burns = status.burn_rates or {}
    if status.remaining is None or burns.get("1h") is None or burns.get("5m") is None:
        return budget_policy.NO_DATA
    service = status.slo.service
    policy = budget_policy.Policy.from_config(
        {"max_data_age_s": settings.KEEL_GATE_MAX_DATA_AGE_SECONDS, **(service.budget_policy or {})}
    )
    at = at or timezone.now()
    age = None if status.data_at is None else max(0.0, (at - status.data_at).total_seconds())
    if not budget_policy.data_is_fresh(age, policy.max_data_age_s):
        return budget_policy.stale_text(age, policy.max_data_age_s)
    return ""


def weekly_reports_sent(*, user: Any, limit: int = 4) -> list[WeeklyReport]:
    """The latest weekly reports sent, with how their webhook delivery went."""
    require_role(user, Role.VIEWER)
    return list(WeeklyReport.objects.order_by("-week_start")[:limit])


def slo_get(*, user: Any, pk: int) -> SLO:
    require_role(user, Role.VIEWER)
    return SLO.objects.select_related("service", "service__owner", "status").get(pk=pk)


def slos_at_risk(*, user: Any, limit: int = 10) -> list[SloStatus]:
    """SLO statuses not healthy, or whose data the gate could not decide on (none, stale,
    an error), worst first (for the dashboard)."""

    require_role(user, Role.VIEWER)
    stale_before = timezone.now() - timedelta(seconds=settings.KEEL_GATE_MAX_DATA_AGE_SECONDS)
    rows = (
        SloStatus.objects.select_related("slo", "slo__service")
        .filter(
            ~Q(tier=budget_policy.HEALTHY)
            | Q(data_at__isnull=True)
            | Q(data_at__lt=stale_before)
            | ~Q(error="")
        )
        .order_by(F("remaining").asc(nulls_first=True), "slo__name")[:limit]
    )
    return list(rows)


def team_slos_at_risk(*, user: Any, team: Any, limit: int = 20) -> list[SloStatus]:
    """The error budgets of a team's services that are not healthy, worst first (the
    handoff report)."""
    if user is not None:  # None is the system
        require_role(user, Role.VIEWER)
    return list(
        SloStatus.objects.filter(slo__service__owner=team)
        .exclude(tier=budget_policy.HEALTHY)
        .select_related("slo__service")
        .order_by("remaining")[:limit]
    )


def incident_impacts(*, user: Any, incident_id: int) -> list[IncidentImpact]:
    require_role(user, Role.VIEWER)
    return list(
        IncidentImpact.objects.filter(incident_id=incident_id)
        .select_related("slo", "slo__service")
        .order_by("-fraction", "slo__name")
    )


def incident_impacts_largest_first(*, user: Any, incident_id: int) -> QuerySet[IncidentImpact]:
    """An incident's impacts with their incident, SLO and service, the largest debit first
    (then by service and SLO)."""
    if user is not None:  # None is the system
        require_role(user, Role.VIEWER)
    return (
        IncidentImpact.objects.filter(incident_id=incident_id)
        .select_related("incident", "slo", "slo__service")
        .order_by(F("fraction").desc(nulls_last=True), "slo__service__slug", "slo__name")
    )


def incident_debits(*, user: Any, incident_id: int) -> list[Debit]:
    """What the incident cost each SLO, as every surface words it (largest first)."""
    require_role(user, Role.VIEWER)
    return debits(
        IncidentImpact.objects.filter(incident_id=incident_id).order_by(
            F("fraction").desc(nulls_last=True), "slo__service__slug", "slo__name"
        )
    )


def service_debits(
    *, user: Any, service: Service, limit: int = 20
) -> list[tuple[Any, list[Debit]]]:
    """The service's latest incidents, each with its debits on the service's SLOs."""

    require_role(user, Role.VIEWER)
    incidents = incidents_selectors.service_incidents(user=user, service=service, limit=limit)
    found: dict[int, list[Debit]] = {i.pk: [] for i in incidents}
    rows = IncidentImpact.objects.filter(
        incident_id__in=list(found), slo__service=service
    ).order_by("slo__name")
    for debit in debits(rows):
        found[debit.incident_id].append(debit)
    return [(incident, found[incident.pk]) for incident in incidents]


@dataclass(frozen=True)
class LedgerRow:
    """One line of the account: its bad events, this window's balance after it, and, for an
    incident, its debit (the figure every other surface shows, with its own window)."""

    label: str
    bad: Fraction
    share: Fraction
    balance: Fraction
    debit: Debit | None = None


@dataclass(frozen=True)
class LedgerView:
    slo: SLO
    window_start: datetime
    window_end: datetime
    allowance: Fraction | None
    account: budget_ledger.Ledger | None
    impacts: list[IncidentImpact]
    corrections: list[Correction]
    budget_minutes_left: float | None
    debits: list[Debit] = field(default_factory=list)
    rows: list[LedgerRow] = field(default_factory=list)

    @property
    def window(self) -> tuple[datetime, datetime]:
        return self.window_start, self.window_end


def slo_ledger(*, user: Any, slo: SLO, at: datetime | None = None) -> LedgerView:
    """The budget as an account for the window in force: allowance, each incident's debit
    (its bad events counted once, see docs/budget.md), consumption outside incidents,
    corrections, and what remains."""
    require_role(user, Role.VIEWER)
    at = at or timezone.now()
    start, end = slo_window(slo, at)
    status = getattr(slo, "status", None)
    impacts = list(
        IncidentImpact.objects.filter(slo=slo, period_end__gt=start, period_start__lt=end)
        .select_related("incident", "slo", "slo__service")
        .order_by("period_start")
    )
    found = [debit_of(i) for i in impacts]
    corrections = list(
        Correction.objects.filter(slo=slo, start__lt=end, end__gt=start)
        | Correction.objects.filter(service_id=slo.service_id, start__lt=end, end__gt=start)
    )
    allowance = None
    account = None
    minutes_left = None
    rows: list[LedgerRow] = []
    if status is not None and status.allowed is not None and status.bad is not None:
        allowance = Fraction(status.allowed)
        counted = [d for d in found if d.method == slo.budgeting_method and not d.error]
        account = budget_ledger.ledger(
            allowance=allowance,
            total_bad=Fraction(status.bad),
            debits=[(d.reference, d.bad) for d in counted],
        )
        if account is not None:
            for line, debit in zip(account.lines, [*counted, None], strict=True):
                rows.append(LedgerRow(line.label, line.bad, line.share, line.balance, debit))
            # the remaining budget in minutes of full outage (timeslices) or at the window's
            # average traffic (occurrences)
            window_minutes = budget.seconds(end - start) / 60
            minutes_left = float(
                account.remaining * budget.error_budget(slo.objective_ratio) * window_minutes
            )
    return LedgerView(
        slo, start, end, allowance, account, impacts, corrections, minutes_left, found, rows
    )


def service_get(*, user: Any, slug: str) -> Service:
    """One service (catalog's) with its owner and its SLOs by name with their status;
    raises Service.DoesNotExist."""
    require_role(user, Role.VIEWER)
    service = catalog_selectors.service_get(user=user, slug=slug)
    prefetch_related_objects(
        [service], Prefetch("slos", queryset=SLO.objects.select_related("status").order_by("name"))
    )
    return service


def service_bypasses(
    *, user: Any, service: Service, at: datetime | None = None, limit: int = 20
) -> list[GateBypass]:
    """Every bypass in force (each marked `in_force`, however many and however old), then
    the `limit` most recent others (revoked or expired) for the history."""
    require_role(user, Role.VIEWER)
    at = at or timezone.now()
    rows = service.gate_bypasses.select_related("created_by", "revoked_by")
    live = Q(created_at__lte=at, expires_at__gt=at, revoked_at__isnull=True)
    in_force = list(rows.filter(live).order_by("-created_at", "-pk"))
    history = list(rows.exclude(live).order_by("-created_at", "-pk")[:limit])
    for bypass in in_force:
        bypass.in_force = True  # type: ignore[attr-defined]
    for bypass in history:
        bypass.in_force = False  # type: ignore[attr-defined]
    return in_force + history


def bypass_list(
    *, user: Any, service: Service | None = None, active_at: datetime | None = None
) -> QuerySet[GateBypass]:
    """Bypasses, newest first; with `active_at`, only those in force then."""
    require_role(user, Role.VIEWER)
    rows = GateBypass.objects.select_related("service", "created_by", "revoked_by")
    if service is not None:
        rows = rows.filter(service=service)
    if active_at is not None:
        rows = rows.filter(
            created_at__lte=active_at, expires_at__gt=active_at, revoked_at__isnull=True
        )
    return rows.order_by("-created_at", "-pk")


def bypass_get(*, user: Any, pk: int) -> GateBypass:
    require_role(user, Role.VIEWER)
    return GateBypass.objects.select_related("service", "created_by", "revoked_by").get(pk=pk)


@dataclass(frozen=True)
class Charts:
    burn_down: str
    burn_rate: str
    error: str = ""


def slo_charts(*, user: Any, slo: SLO, at: datetime | None = None) -> Charts:
    """The budget burn-down over the window (daily) and the hourly burn rate of the last
    48 hours, as SVG."""

    require_role(user, Role.VIEWER)
    at = at or timezone.now()
    start, end = slo_window(slo, at)
    objective = slo.objective_ratio
    try:
        days = sli.bucketed(slo, start, min(end, at), timedelta(days=1))
        hours = sli.bucketed(slo, at - timedelta(hours=48), at, timedelta(hours=1))
    except sli.SliError as error:
        return Charts("", "", str(error))
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        _, allowed = allowance(slo, None, (start, end))
        bads = [Fraction(d[3]) for d in days]
    else:
        allowed = budget.allowed_bad(objective, sum((d[2] for d in days), Fraction(0)))
        bads = [d[1] for d in days]
    labels, values = [], []
    spent = Fraction(0)
    for (day, *_), bad in zip(days, bads, strict=True):
        spent += bad
        labels.append(f"{day:%m-%d}")
        values.append(None if not allowed else float((1 - spent / allowed) * 100))
    burn_down = charts.line_chart(
        title=f"Budget remaining over the window ({slo.window_text})",
        labels=labels,
        values=values,
        guides=[(0.0, "exhausted")],
    )
    burn_labels, burn_values = [], []
    for hour, bad, total, _ in hours:
        burn_labels.append(f"{timezone.localtime(hour):%H:%M}")
        rate = burn_rates.burn_rate_of(bad=bad, total=total, objective=objective)
        burn_values.append(None if rate is None else float(rate))
    fast = next((w for w in slo.windows() if w.severity == "page"), None)
    burn_rate = charts.line_chart(
        title="Burn rate per hour, last 48 hours",
        labels=burn_labels,
        values=burn_values,
        unit="x",
        guides=[(float(fast.factor), f"page at {float(fast.factor):.4g}x")] if fast else [],
    )
    return Charts(burn_down, burn_rate)
