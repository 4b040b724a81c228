"""An incident's debit as every surface shows it (docs/budget.md).

The figure is computed once, by `services.impact`, and stored on `IncidentImpact`; this
module is the one place that turns a stored impact into the words and numbers the ledger,
the SLO and service pages, the weekly report, the postmortem, the incident room and the
API show, so that they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from . import budget
from .choices import BudgetingMethod, WindowKind
from .models import SLO, IncidentImpact
from .models.impact import PeriodSource


def window_label(slo: SLO, window_start: datetime) -> str:
    """`30-day` for a rolling window; `November 2026` (with its zone unless UTC) for a
    calendar month."""
    if slo.window_kind == WindowKind.CALENDAR_MONTH:
        local = window_start.astimezone(ZoneInfo(slo.time_zone))
        zone = "" if slo.time_zone == "UTC" else f" ({slo.time_zone})"
        return f"{local:%B %Y}{zone}"
    return f"{slo.window_days}-day"


def instant_text(at: datetime) -> str:
    """`2026-11-25 17:05:06.503 UTC`: exact to the millisecond, seconds only when needed."""
    utc = at.astimezone(ZoneInfo("UTC"))
    if utc.microsecond:
        return f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond // 1000:03d} UTC"
    if utc.second:
        return f"{utc:%Y-%m-%d %H:%M:%S} UTC"
    return f"{utc:%Y-%m-%d %H:%M} UTC"


def window_text(slo: SLO, start: datetime, end: datetime) -> str:
    """Which window a debit is a share of: `the 30-day window ending 2026-11-25 17:05 UTC`
    or `the November 2026 window`."""
    if slo.window_kind == WindowKind.CALENDAR_MONTH:
        return f"the {window_label(slo, start)} window"
    utc = end.astimezone(ZoneInfo("UTC"))
    return f"the {slo.window_days}-day window ending {utc:%Y-%m-%d %H:%M} UTC"


def _count(value: Fraction) -> str:
    text = f"{float(value):,.2f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Debit:
    """One incident's debit on one SLO, with the window it is a share of."""

    impact_id: int
    incident_id: int
    number: int
    reference: str
    title: str
    slo_id: int
    slo: str
    service: str
    method: str
    bad: Fraction
    allowed: Fraction
    share: Fraction | None
    window_start: datetime
    window_end: datetime
    window: str  # `the 30-day window ending ...`
    window_label: str  # `30-day`
    period_start: datetime
    period_end: datetime
    period_source: str
    frozen: bool
    shared: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""

    @property
    def percent(self) -> str:
        """`213.7%` (or `no data`): the figure, written the same way everywhere."""
        return budget.percent_text(self.share)

    @property
    def unit(self) -> str:
        return "bad slices" if self.method == BudgetingMethod.TIMESLICES else "bad events"

    @property
    def state(self) -> str:
        return "frozen at resolution" if self.frozen else "live"

    def sentence(self, shown: tuple[datetime, datetime] | None = None) -> str:
        """`213.7% of the budget of the 30-day window ending 2026-11-25 17:05 UTC (frozen at
        resolution)`; `of this window's budget` when `shown` is the debit's own window."""
        if self.share is None:
            return f"no data for {self.window}"
        if shown is not None and shown == (self.window_start, self.window_end):
            return f"{self.percent} of this window's budget ({self.state})"
        return f"{self.percent} of the budget of {self.window} ({self.state})"

    @property
    def text(self) -> str:
        return self.sentence()

    @property
    def period_text(self) -> str:
        """`2026-11-25 16:05 UTC to 2026-11-25 17:05:06.503 UTC, from where the SLI turned bad`."""
        source = PeriodSource(self.period_source).label
        return (
            f"{instant_text(self.period_start)} to {instant_text(self.period_end)}, from {source}"
        )

    @property
    def shared_text(self) -> str:
        """`shares 1,200 bad events equally with INC-3 (600 debited here)`; empty alone."""
        parts = []
        for item in self.shared:
            others = ", ".join(item["with"])
            parts.append(
                f"shares {_count(Fraction(item['bad']))} {self.unit} equally with {others} "
                f"({_count(Fraction(item['debited']))} debited here)"
            )
        return "; ".join(parts)


def debit_of(impact: IncidentImpact) -> Debit:
    """The debit a stored impact states (its SLO, service and incident already loaded)."""
    slo = impact.slo
    incident = impact.incident
    return Debit(
        impact_id=impact.pk,
        incident_id=impact.incident_id,
        number=incident.number,
        reference=incident.reference,
        title=incident.title,
        slo_id=slo.pk,
        slo=slo.name,
        service=slo.service.slug,
        method=impact.method,
        bad=Fraction(impact.bad),
        allowed=Fraction(impact.allowed),
        share=None if impact.fraction is None else Fraction(impact.fraction),
        window_start=impact.window_start,
        window_end=impact.window_end,
        window=window_text(slo, impact.window_start, impact.window_end),
        window_label=window_label(slo, impact.window_start),
        period_start=impact.period_start,
        period_end=impact.period_end,
        period_source=impact.period_source,
        frozen=impact.frozen,
        shared=list(impact.shared or []),
        error=impact.error,
    )


def debits(impacts: Any) -> list[Debit]:
    """Debits of a queryset or list of impacts, loading what they need in one query."""
    if hasattr(impacts, "select_related"):
        impacts = impacts.select_related("incident", "slo", "slo__service")
    return [debit_of(impact) for impact in impacts]
