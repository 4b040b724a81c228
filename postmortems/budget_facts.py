"""Budget figures for documents about an incident: each SLO's debit, what remains of the
window's budget, and the budget burn-down around the incident (system reads, no user)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from django.utils import timezone

from slos import budget, sli
from slos import selectors as slos_selectors
from slos.choices import BudgetingMethod, SliSource
from slos.debits import debit_of, window_label
from slos.models import SLO, IncidentImpact
from slos.services.figures import allowance, slo_window

MINUTE = timedelta(minutes=1)
# Points of a burn-down; Prometheus answers each point with its own queries, so fewer.
BURN_POINTS = 24
BURN_POINTS_PROMETHEUS = 12


@dataclass(frozen=True)
class BudgetLeft:
    """What remains of a window's budget, as of a time inside it.

    `remaining` is a share of the budget (below 0 when overspent); `remaining_bad` is in
    bad events (occurrences) or bad slices (timeslices); `remaining_minutes` is the time a
    full outage would take to spend it: bad slices times the slice length, or, for
    occurrences, the remaining bad events at the window's average traffic per minute.
    """

    window_bad: Fraction | None
    allowed: Fraction | None
    remaining: Fraction | None
    remaining_bad: Fraction | None
    remaining_minutes: Fraction | None


@dataclass(frozen=True)
class BudgetFacts:
    """One SLO's share in an incident: the debit, the window, what remains, the burn-down."""

    slo: str
    service: str
    method: str
    fraction: Fraction | None
    window_label: str
    window_start: datetime
    window_end: datetime
    left: BudgetLeft
    burn: list[tuple[datetime, Fraction | None]] = field(default_factory=list)
    error: str = ""
    debit: str = ""  # the debit's sentence, as every other surface words it

    @property
    def text(self) -> str:
        return budget_sentence(self)


def budget_left(slo: SLO, window: tuple[datetime, datetime], as_of: datetime) -> BudgetLeft:
    """The budget left in `window` counting the SLI from its start up to `as_of`."""
    window_start, window_end = window
    data_end = max(window_start, min(window_end, as_of))
    counts = sli.counts(slo, window_start, data_end)
    window_bad, allowed = allowance(slo, counts, window)
    if counts is None or window_bad is None or allowed is None:
        return BudgetLeft(window_bad, allowed, None, None, None)
    remaining = budget.remaining(bad=window_bad, allowed=allowed)
    remaining_bad = allowed - window_bad
    minutes: Fraction | None
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        minutes = remaining_bad * Fraction(slo.slice_seconds, 60)
    else:
        excluded = budget.covered((window_start, data_end), sli.corrections_for(slo, *window))
        covered_minutes = budget.seconds(data_end - window_start - excluded) / 60
        minutes = (
            remaining_bad * covered_minutes / counts.total
            if counts.total > 0 and covered_minutes > 0
            else None
        )
    return BudgetLeft(window_bad, allowed, remaining, remaining_bad, minutes)


def _ceil_minute(at: datetime) -> datetime:
    floor = sli.floor_minute(at)
    return floor if floor == at else floor + MINUTE


def burn_times(
    start: datetime, end: datetime, *, at: datetime, points: int = BURN_POINTS
) -> list[datetime]:
    """Minute-aligned times over the incident and as long again on each side (at least an
    hour), never past `at`; the incident's start and end are always among them."""
    start, end = sli.floor_minute(start), _ceil_minute(max(end, start))
    pad = max(end - start, timedelta(hours=1))
    first, last = start - pad, min(end + pad, sli.floor_minute(at))
    if last <= first:
        return []
    minutes = -(-int((last - first) / MINUTE) // max(points - 1, 1))
    step = max(MINUTE, MINUTE * minutes)
    times = {first + step * i for i in range(points) if first + step * i <= last}
    times |= {t for t in (start, end, last) if t <= last}
    return sorted(times)


@dataclass
class _Sums:
    good: Fraction = Fraction(0)
    total: Fraction = Fraction(0)
    bad_slices: int = 0
    rows: bool = False

    def add(self, counts: sli.Counts | None, sign: int = 1) -> None:
        if counts is None:
            return
        self.good += sign * counts.good
        self.total += sign * counts.total
        self.bad_slices += sign * counts.bad_slices
        self.rows = True

    def counts(self) -> sli.Counts | None:
        if not self.rows:
            return None
        return sli.Counts(good=self.good, total=self.total, bad_slices=self.bad_slices)


def burn_down(
    slo: SLO, start: datetime, end: datetime, *, at: datetime
) -> list[tuple[datetime, Fraction | None]]:
    """(time, share of the budget remaining) around an incident; at each time the budget is
    that of the SLO window in force then (the rolling window ending at it, or its calendar
    month). None where there is no data.

    Pushed minute counts add up over disjoint minute-aligned periods, so each point reads
    only what entered and left the window since the previous one.
    """
    prometheus = slo.source == SliSource.PROMETHEUS
    times = burn_times(
        start, end, at=at, points=BURN_POINTS_PROMETHEUS if prometheus else BURN_POINTS
    )
    incremental = not prometheus and (
        slo.budgeting_method != BudgetingMethod.TIMESLICES or slo.slice_seconds == 60
    )
    series: list[tuple[datetime, Fraction | None]] = []
    sums = _Sums()
    previous: tuple[datetime, datetime] | None = None  # (window start, time)
    for time in times:
        window = slo_window(slo, time)
        data_end = min(window[1], time)
        if (
            incremental
            and previous is not None
            and previous[0] <= window[0] <= previous[1]
            and data_end >= previous[1]
        ):
            sums.add(sli.counts(slo, previous[1], data_end))
            if window[0] > previous[0]:
                sums.add(sli.counts(slo, previous[0], window[0]), sign=-1)
        else:
            sums = _Sums()
            sums.add(sli.counts(slo, window[0], data_end))
        previous = (window[0], data_end)
        bad, allowed = allowance(slo, sums.counts(), window)
        value = (
            None if bad is None or allowed is None else budget.remaining(bad=bad, allowed=allowed)
        )
        series.append((time, value))
    return series


def impact_budget_facts(impact: IncidentImpact, *, at: datetime) -> BudgetFacts:
    """The figures of one stored impact: the debit as stored (frozen once the incident
    resolved), what remained of that window when the impact was computed, and the burn-down."""
    slo = impact.slo
    window = (impact.window_start, impact.window_end)
    label = window_label(slo, impact.window_start)
    debit = debit_of(impact)
    fraction = debit.share
    empty = BudgetLeft(None, None, None, None, None)
    try:
        left = budget_left(slo, window, min(impact.window_end, impact.computed_at))
        burn = burn_down(slo, impact.period_start, impact.period_end, at=at)
    except sli.SliError as error:
        return BudgetFacts(
            slo=slo.name,
            service=slo.service.name,
            method=impact.method,
            fraction=fraction,
            window_label=label,
            window_start=window[0],
            window_end=window[1],
            left=empty,
            error=str(error),
            debit=debit.text,
        )
    return BudgetFacts(
        slo=slo.name,
        service=slo.service.name,
        method=impact.method,
        fraction=fraction,
        window_label=label,
        window_start=window[0],
        window_end=window[1],
        left=left,
        burn=burn,
        error=impact.error,
        debit=debit.text,
    )


def incident_budget_facts(*, incident_id: int, at: datetime | None = None) -> list[BudgetFacts]:
    """The budget figures of every SLO the incident touched, largest debit first."""
    now = at or timezone.now()
    impacts = slos_selectors.incident_impacts_largest_first(user=None, incident_id=incident_id)
    return [impact_budget_facts(impact, at=now) for impact in impacts]


def _minutes_text(minutes: Fraction) -> str:
    """`68 min`, `13.2 min`, `1,234 min`: a tenth of a minute while budgets are small."""
    value = abs(float(minutes))
    if value >= 100:
        return f"{value:,.0f} min"
    return f"{value:.1f}".removesuffix(".0") + " min"


def _count_text(count: Fraction) -> str:
    return f"{abs(float(count)):,.0f}"


def budget_sentence(facts: BudgetFacts) -> str:
    """`consumed 32.6% of the 30-day budget; 68 min remain` (timeslices), or with the bad
    events left for occurrences: `...; 6.1 min remain at average traffic (6,080 bad events)`.
    An overspent budget says by how much."""
    if facts.fraction is None:
        return f"no data for the {facts.window_label} budget"
    text = (
        f"consumed {facts.debit}"
        if facts.debit
        else f"consumed {budget.percent_text(facts.fraction)} of the {facts.window_label} budget"
    )
    left = facts.left
    if left.remaining_bad is None:
        return text
    occurrences = facts.method != BudgetingMethod.TIMESLICES
    overspent = left.remaining_bad < 0
    if left.remaining_minutes is None:
        unit = "bad events" if occurrences else "bad slices"
        amount = f"{_count_text(left.remaining_bad)} {unit}"
        return text + (f"; overspent by {amount}" if overspent else f"; {amount} remain")
    amount = _minutes_text(left.remaining_minutes)
    if occurrences:
        events = f"{_count_text(left.remaining_bad)} bad events"
        if overspent:
            return text + f"; overspent by {amount} at average traffic ({events})"
        return text + f"; {amount} remain at average traffic ({events})"
    return text + (f"; overspent by {amount}" if overspent else f"; {amount} remain")
