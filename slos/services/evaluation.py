"""Evaluating SLOs: budget, burn rates, tier and alert state; page-level burns open incidents."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.utils import timezone

from incidents.actors import Actor

from .. import budget, sli
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


def slo_window(slo: SLO, at: datetime) -> tuple[datetime, datetime]:
    """The budget window in force at `at` (the whole calendar month for calendar windows)."""
    if slo.window_kind == WindowKind.CALENDAR_MONTH:
        return budget.calendar_month_window(at=at, zone=slo.time_zone)
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
    firing: list[budget.AlertWindow] = field(default_factory=list)
    tier: str = budget.FREEZE
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
            budget.duration_text(lookback): None if burn is None else str(dec(burn, 4))
            for lookback, burn in sorted(self.burns.items())
        }

    def gate_input(self) -> budget.GateInput:
        return budget.GateInput(
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
    lookbacks = budget.lookbacks(windows)
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
                figures.burns[lookback] = budget.burn_rate_of(
                    bad=bad, total=total, objective=objective
                )
        else:
            for lookback in lookbacks:
                found = sli.counts(slo, at - lookback, at)
                figures.burns[lookback] = (
                    None
                    if found is None
                    else budget.burn_rate_of(bad=found.bad, total=found.total, objective=objective)
                )
    except sli.SliError as error:
        figures.error = str(error)
        return figures
    if figures.bad is not None and figures.allowed is not None:
        figures.remaining = budget.remaining(bad=figures.bad, allowed=figures.allowed)
    figures.tier = budget.policy_tier(figures.remaining, slo.budget_policy())
    figures.firing = budget.firing_alerts(figures.burns, windows)
    figures.alert_state = budget.alert_state(figures.firing)
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


def _burn_text(figures: SloFigures) -> str:
    pairs = ", ".join(
        f"{w.name} ({budget.duration_text(w.long)} {float(figures.burn(w.long) or 0):.1f}x / "
        f"{budget.duration_text(w.short)} {float(figures.burn(w.short) or 0):.1f}x > "
        f"{float(w.factor):.1f}x)"
        for w in figures.firing
    )
    remaining = "unknown" if figures.remaining is None else f"{float(figures.remaining) * 100:.1f}%"
    return f"Error budget of {figures.slo} burning fast: {pairs}. Budget remaining {remaining}."


def _burn_data(figures: SloFigures) -> dict[str, object]:
    return {
        "slo": figures.slo.pk,
        "slo_name": figures.slo.name,
        "service": figures.slo.service.slug,
        "firing": [w.as_dict() for w in figures.firing],
        "burn_rates": figures.burn_rates_json(),
        "remaining": None if figures.remaining is None else str(dec(figures.remaining, 4)),
    }


def _page(status: SloStatus, figures: SloFigures) -> None:
    """Open an incident for a page-level burn, or join the one already open for this SLO."""
    from incidents.choices import EntryKind, Severity
    from incidents.services import incident_declare, incident_record

    actor = Actor.system()
    incident = status.burn_incident
    if incident is None or not incident.is_open:
        incident = incident_declare(
            actor=actor,
            title=f"Error budget burn: {figures.slo}",
            severity=Severity.SEV2,
            summary=_burn_text(figures),
            services=[figures.slo.service],
            started_at=figures.at - min(w.short for w in figures.firing),
            at=figures.at,
        )
        status.burn_incident = incident
        status.save(update_fields=["burn_incident"])
    incident_record(
        incident=incident,
        kind=EntryKind.SLO_BURN,
        actor=actor,
        text=_burn_text(figures),
        data=_burn_data(figures),
        at=figures.at,
    )


@transaction.atomic
def slo_evaluate(
    *, slo: SLO, at: datetime | None = None, figures: SloFigures | None = None
) -> SloStatus:
    """Evaluate and store an SLO's status. A page-level burn that starts (or whose firing
    pairs change) opens an incident on the SLO's service, or joins the open one; a ticket-level
    burn is stored and the owning team notified, not paged."""
    figures = figures or slo_figures(slo, at=at)
    status, previous_alert, previous_firing = _store(figures)
    if figures.alert_state == "page":
        incident = status.burn_incident
        if (
            previous_alert != "page"
            or incident is None
            or not incident.is_open
            or previous_firing != {w.name for w in figures.firing}
        ):
            _page(status, figures)
    elif figures.alert_state == "ticket" and previous_alert == "ok":
        logger.warning("SLO %s: ticket-level burn: %s", slo, _burn_text(figures))
        from ..tasks import notify_ticket_burn

        text = _burn_text(figures)
        transaction.on_commit(lambda: notify_ticket_burn.delay(slo.pk, text))
    return status


def ticket_burn_notify(*, slo_id: int, text: str) -> int:
    """Email the owning team of the SLO's service about a ticket-level burn (not a page)."""
    from django.core.mail import send_mail

    slo = SLO.objects.select_related("service__owner").filter(pk=slo_id).first()
    if slo is None or slo.service.owner is None:
        return 0
    recipients = sorted(
        {email for email in slo.service.owner.members.values_list("email", flat=True) if email}
    )
    if not recipients:
        return 0
    return send_mail(
        subject=f"[Keel] Error budget burn (ticket): {slo}",
        message=text,
        from_email=None,
        recipient_list=recipients,
    )


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
            lookbacks = tuple(budget.lookbacks(slo.windows()))
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


@transaction.atomic
def slo_burn_incident_link(*, incident_id: int) -> int:
    """An incident opened from a `KeelErrorBudgetBurn` alert (labels `service` and `slo`)
    becomes its SLO's burn incident, so the per-minute evaluation joins it instead of
    opening a second one. Returns how many SLOs were linked."""
    from incidents.models import Alert

    pairs = {
        (labels.get("service"), labels.get("slo"))
        for labels in Alert.objects.filter(incident_id=incident_id).values_list("labels", flat=True)
    }
    linked = 0
    for service, name in sorted(p for p in pairs if p[0] and p[1]):
        status = (
            SloStatus.objects.select_for_update(of=("self",))
            .select_related("burn_incident")
            .filter(slo__service__slug=service, slo__name=name)
            .first()
        )
        if status is None:
            continue
        if status.burn_incident is None or not status.burn_incident.is_open:
            status.burn_incident_id = incident_id
            status.save(update_fields=["burn_incident"])
            linked += 1
    return linked
