"""An SLO's figures at an instant, computed and not stored: budget window, bad events
against the allowance, burn rates, tier and alert state. Evaluation stores them; the gate,
pages, impacts and reports read them."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.utils import timezone

from .. import budget, budget_policy, burn_rates, durations, sli
from ..choices import BudgetingMethod, SliSource, WindowKind
from ..models import SLO


def dec(value: Fraction | None, places: int = 6) -> Decimal | None:
    """A Fraction as a Decimal rounded to `places` (for storage and JSON)."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(quantum)


def slo_window(
    slo: SLO, at: datetime, *, month_of: datetime | None = None
) -> tuple[datetime, datetime]:
    """The budget window in force at `at`: the rolling window ending at `at`, or for a
    calendar window the whole month that holds `month_of` (`at` unless given). An incident's
    window is the month it started in, or the rolling window ending when it ended:
    `slo_window(slo, ended, month_of=started)`."""
    if slo.window_kind == WindowKind.CALENDAR_MONTH:
        return budget.calendar_month_window(at=month_of or at, zone=slo.time_zone)
    return budget.rolling_window(end=at, days=slo.window_days)


@dataclass
class SloFigures:
    """One evaluation of an SLO at `at`."""

    slo: SLO
    at: datetime
    window_start: datetime
    window_end: datetime
    good: Fraction | None = None
    total: Fraction | None = None
    bad: Fraction | None = None  # events, or slices for timeslices
    allowed: Fraction | None = None
    remaining: Fraction | None = None
    burns: dict[timedelta, Fraction | None] = field(default_factory=dict)
    firing: list[burn_rates.AlertWindow] = field(default_factory=list)
    tier: str = budget_policy.FREEZE
    alert_state: str = "ok"
    data_at: datetime | None = None
    error: str = ""

    def burn(self, lookback: timedelta) -> Fraction | None:
        return self.burns.get(lookback)

    @property
    def data_age_s(self) -> float | None:
        if self.data_at is None:
            return None
        return max(0.0, (self.at - self.data_at).total_seconds())

    def burn_rates_json(self) -> dict[str, str | None]:
        return {
            durations.duration_text(lookback): None if burn is None else str(dec(burn, 4))
            for lookback, burn in sorted(self.burns.items())
        }

    def gate_input(self) -> budget_policy.GateInput:
        return budget_policy.GateInput(
            name=self.slo.name,
            remaining=self.remaining,
            burn_1h=self.burn(timedelta(hours=1)),
            burn_5m=self.burn(timedelta(minutes=5)),
            data_age_s=self.data_age_s,
            error=self.error,
        )


def allowance(
    slo: SLO, counts: sli.Counts | None, window: tuple[datetime, datetime]
) -> tuple[Fraction | None, Fraction | None]:
    """(bad, allowed) of a window: events for occurrences; slices for timeslices, where the
    allowance covers the whole window less its corrections."""
    objective = slo.objective_ratio
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        corrected = budget.covered(window, sli.corrections_for(slo, *window))
        slices = budget.slices_in(
            window[1] - window[0] - corrected, timedelta(seconds=slo.slice_seconds)
        )
        allowed = budget.allowed_bad_slices(objective=objective, slices=slices)
        return (None if counts is None else Fraction(counts.bad_slices)), allowed
    if counts is None:
        return None, None
    return counts.bad, budget.allowed_bad(objective, counts.total)


def slo_figures(
    slo: SLO, *, at: datetime | None = None, reading: sli.PushedReading | None = None
) -> SloFigures:
    """Evaluate an SLO at `at` without storing anything (the gate and pages use this).
    `reading` is what the pushed SLI holds for this window, when read beforehand for many
    SLOs at once (see `sli.pushed_readings`)."""
    at = at or timezone.now()
    window_start, window_end = slo_window(slo, at)
    figures = SloFigures(slo=slo, at=at, window_start=window_start, window_end=window_end)
    objective = slo.objective_ratio
    windows = slo.windows()
    lookbacks = burn_rates.lookbacks(windows)
    try:
        if reading is not None:
            counts = reading.counts
        else:
            counts = sli.counts(slo, window_start, min(at, window_end))
        if counts is not None:
            figures.good, figures.total, figures.data_at = counts.good, counts.total, counts.data_at
        figures.bad, figures.allowed = allowance(slo, counts, (window_start, window_end))
        if counts is None:
            figures.bad = None
        if slo.source == SliSource.PUSHED:
            burn_counts = (
                reading.burns if reading is not None else sli.pushed_burn_counts(slo, at, lookbacks)
            )
            for lookback, (bad, total) in burn_counts.items():
                figures.burns[lookback] = burn_rates.burn_rate_of(
                    bad=bad, total=total, objective=objective
                )
        else:
            for lookback in lookbacks:
                found = sli.counts(slo, at - lookback, at)
                figures.burns[lookback] = (
                    None
                    if found is None
                    else burn_rates.burn_rate_of(
                        bad=found.bad, total=found.total, objective=objective
                    )
                )
    except sli.SliError as error:
        figures.error = str(error)
        return figures
    if figures.bad is not None and figures.allowed is not None:
        figures.remaining = budget.remaining(bad=figures.bad, allowed=figures.allowed)
    figures.tier = budget_policy.policy_tier(figures.remaining, slo.budget_policy())
    figures.firing = burn_rates.firing_alerts(figures.burns, windows)
    figures.alert_state = burn_rates.alert_state(figures.firing)
    return figures
