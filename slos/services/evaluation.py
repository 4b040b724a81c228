"""Evaluating SLOs: budget, burn rates, tier and alert state; page-level burns open incidents."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.utils import timezone

from .. import budget, budget_policy, burn_rates, durations, sli
from ..choices import BudgetingMethod, SliSource, WindowKind
from ..models import SLO, SloStatus

logger = logging.getLogger(__name__)

HISTORY_POINTS = 48


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


def _store(figures: SloFigures) -> tuple[SloStatus, str, set[str]]:
    """Write the latest status; returns it with the previous alert state and firing pairs."""
    status = (
        SloStatus.objects.select_for_update(of=("self",))
        .select_related("burn_incident")
        .filter(slo=figures.slo)
        .first()
    )
    previous_alert, previous_firing = "ok", set()
    if status is None:
        status = SloStatus(slo=figures.slo)
    else:
        previous_alert = status.alert_state
        previous_firing = {str(w["name"]) for w in status.firing or []}
    _apply(status, figures)
    status.save()
    return status, previous_alert, previous_firing


STATUS_FIELDS = [
    "evaluated_at",
    "window_start",
    "window_end",
    "good",
    "total",
    "bad",
    "allowed",
    "remaining",
    "burn_rates",
    "previous_tier",
    "tier_changed_at",
    "tier",
    "alert_state",
    "firing",
    "data_at",
    "error",
    "history",
]


def _apply(status: SloStatus, figures: SloFigures) -> None:
    """Copy an evaluation onto the status row (not saved)."""
    previous_tier = status.tier if status.pk else ""
    status.evaluated_at = figures.at
    status.window_start, status.window_end = figures.window_start, figures.window_end
    status.good, status.total = dec(figures.good), dec(figures.total)
    status.bad, status.allowed = dec(figures.bad), dec(figures.allowed)
    status.remaining = dec(figures.remaining)
    status.burn_rates = figures.burn_rates_json()
    if previous_tier and previous_tier != figures.tier:
        status.previous_tier, status.tier_changed_at = previous_tier, figures.at
    status.tier = figures.tier
    if not figures.error or not status.pk:
        # An SLI that cannot be read says nothing about the burn: keep the last known alert
        # state, so that an outage of Prometheus neither ends a burn nor starts one.
        status.alert_state = figures.alert_state
        status.firing = [w.as_dict() for w in figures.firing]
    status.data_at = figures.data_at
    status.error = figures.error
    if figures.remaining is not None:
        point = [figures.at.isoformat(), str(dec(figures.remaining, 4))]
        history = list(status.history or [])
        # one point per hour is enough for a sparkline
        if not history or history[-1][0][:13] != point[0][:13]:
            history.append(point)
        else:
            history[-1] = point
        status.history = history[-HISTORY_POINTS:]


@transaction.atomic
def slo_evaluate(
    *, slo: SLO, at: datetime | None = None, figures: SloFigures | None = None
) -> SloStatus:
    """Evaluate and store an SLO's status. A page-level burn that starts (or whose firing
    pairs change) opens an incident on the SLO's service, or joins its open burn incident;
    its end goes on that incident's timeline and follows the resolve policy. A ticket-level
    burn is stored and the owning team notified, not paged."""
    from .burns import burn_ended, burn_incident_open, burn_page, burn_text

    figures = figures or slo_figures(slo, at=at)
    status, previous_alert, previous_firing = _store(figures)
    if figures.error:
        return status  # nothing is known: neither a new burn nor the end of one
    if figures.alert_state == "page":
        open_incident = burn_incident_open(status)
        if (
            previous_alert != "page"
            or open_incident is None
            or open_incident != status.burn_incident
            or previous_firing != {w.name for w in figures.firing}
        ):
            burn_page(status, figures)
    elif previous_alert == "page":
        burn_ended(status, figures)
    if figures.alert_state == "ticket" and previous_alert == "ok":
        logger.warning("SLO %s: ticket-level burn: %s", slo, burn_text(figures))
        from ..tasks import notify_ticket_burn

        text = burn_text(figures)
        transaction.on_commit(lambda: notify_ticket_burn.delay(slo.pk, text))
    return status


BATCH = 500


def _readings(slos: list[SLO], at: datetime) -> dict[int, sli.PushedReading]:
    """Read the pushed SLIs of the SLOs that allow it in a few grouped queries: pushed
    occurrences over windows longer than two days, without corrections in the periods read.
    The others are read one by one in `slo_figures`."""
    groups: dict[tuple[datetime, datetime, tuple[timedelta, ...]], list[SLO]] = {}
    for slo in slos:
        if slo.source != SliSource.PUSHED or slo.budgeting_method != BudgetingMethod.OCCURRENCES:
            continue
        try:
            start, window_end = slo_window(slo, at)
            lookbacks = tuple(burn_rates.lookbacks(slo.windows()))
        except (KeyError, ValueError, TypeError):
            continue
        end = min(at, window_end)
        if end - start > 2 * sli.DAY:
            groups.setdefault((start, end, lookbacks), []).append(slo)
    readings: dict[int, sli.PushedReading] = {}
    for (start, end, lookbacks), members in groups.items():
        corrected = sli.corrected_slo_ids(members, min(start, at - max(lookbacks)), at)
        members = [slo for slo in members if slo.pk not in corrected]
        readings.update(
            sli.pushed_readings(members, start=start, end=end, at=at, lookbacks=list(lookbacks))
        )
    return readings


def slos_evaluate_all(*, at: datetime | None = None) -> int:
    """Evaluate every SLO. Quiet ones (no alert now or before) are written in bulk; an SLO
    whose alert state is or was raised goes through `slo_evaluate` under its row lock, so
    paging and notifying happen once. One failing SLO does not stop the rest."""
    at = at or timezone.now()
    count = 0
    slos = list(SLO.objects.select_related("service").order_by("pk"))
    for offset in range(0, len(slos), BATCH):
        chunk = slos[offset : offset + BATCH]
        statuses = {s.slo_id: s for s in SloStatus.objects.filter(slo__in=chunk)}
        try:
            readings = _readings(chunk, at)
        except Exception:
            logger.exception("reading the pushed SLIs in bulk failed; reading them one by one")
            readings = {}
        new: list[SloStatus] = []
        changed: list[SloStatus] = []
        for slo in chunk:
            try:
                figures = slo_figures(slo, at=at, reading=readings.get(slo.pk))
                status = statuses.get(slo.pk)
                if figures.alert_state != "ok" or (status and status.alert_state != "ok"):
                    slo_evaluate(slo=slo, at=at, figures=figures)
                elif status is None:
                    status = SloStatus(slo=slo)
                    _apply(status, figures)
                    new.append(status)
                else:
                    _apply(status, figures)
                    changed.append(status)
                count += 1
            except Exception:
                logger.exception("evaluating SLO %s failed", slo)
        for status in changed:
            status.pk = None  # written as an upsert on the SLO, like the new ones
        # One INSERT ... ON CONFLICT (slo) DO UPDATE: far cheaper to build and run than
        # bulk_update's CASE per field and row; a burn incident link is never overwritten.
        SloStatus.objects.bulk_create(
            [*new, *changed],
            update_conflicts=True,
            unique_fields=["slo"],
            update_fields=STATUS_FIELDS,
        )
    return count
