"""Monthly SLA compliance per service: met or breached, and the buffer to the SLOs.

Months are calendar months in the owning team's time zone (UTC when no team owns the
service), since that is where the customer contract is usually written."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from catalog.models import Service
from slos.models import SLO

from . import budget, sli
from .choices import BudgetingMethod


@dataclass(frozen=True)
class SlaMonth:
    month: datetime
    attainment: Fraction | None  # the worst SLI of the service's SLOs in the month
    worst_slo: str
    sla: Decimal | None  # percent
    met: bool | None
    buffer_to_sla: Fraction | None  # attainment - SLA, in ratio
    buffer_to_slo: Fraction | None  # attainment - that SLO's objective
    error: str = ""

    @property
    def label(self) -> str:
        """The month as YYYY-MM in the zone it was counted in."""
        return self.month.strftime("%Y-%m")

    @property
    def attainment_percent(self) -> float | None:
        return None if self.attainment is None else float(self.attainment * 100)


def _attainment(slo: SLO, start: datetime, end: datetime) -> Fraction | None:
    counts = sli.counts(slo, start, end)
    if counts is None:
        return None
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        corrected = budget.covered((start, end), sli.corrections_for(slo, start, end))
        slices = budget.slices_in(end - start - corrected, timedelta(seconds=slo.slice_seconds))
        return None if slices <= 0 else 1 - Fraction(counts.bad_slices) / slices
    ratio = budget.error_ratio(bad=counts.bad, total=counts.total)
    return None if ratio is None else 1 - ratio


def sla_month(*, service: Service, month_start: datetime, end: datetime) -> SlaMonth:
    worst: tuple[Fraction, SLO] | None = None
    error = ""
    for slo in service.slos.all():
        try:
            value = _attainment(slo, month_start, end)
        except sli.SliError as failure:
            error = str(failure)
            continue
        if value is not None and (worst is None or value < worst[0]):
            worst = (value, slo)
    sla = service.sla_objective
    if worst is None:
        return SlaMonth(month_start, None, "", sla, None, None, None, error)
    attainment, slo = worst
    sla_ratio = None if sla is None else Fraction(sla) / 100
    return SlaMonth(
        month=month_start,
        attainment=attainment,
        worst_slo=slo.name,
        sla=sla,
        met=None if sla_ratio is None else attainment >= sla_ratio,
        buffer_to_sla=None if sla_ratio is None else attainment - sla_ratio,
        buffer_to_slo=attainment - slo.objective_ratio,
        error=error,
    )


def sla_zone(service: Service) -> str:
    """The zone whose calendar months the SLA is counted in."""
    owner = service.owner
    return owner.time_zone if owner is not None and owner.time_zone else "UTC"


def sla_months(*, service: Service, months: int, at: datetime, zone: str = "UTC") -> list[SlaMonth]:
    """The current month so far and the `months - 1` before it, newest first."""
    rows = []
    cursor = at
    for _ in range(months):
        start, end = budget.calendar_month_window(at=cursor, zone=zone)
        rows.append(sla_month(service=service, month_start=start, end=min(end, at)))
        cursor = start - timedelta(seconds=1)
    return rows
