"""Evaluating SLOs: budget, burn rates, tier and alert state; page-level burns open incidents."""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from .. import burn_rates, sli
from ..choices import BudgetingMethod, SliSource
from ..models import SLO, SloStatus
from ..tasks import notify_ticket_burn
from .burns import burn_ended, burn_incident_open, burn_page, burn_text
from .figures import SloFigures, dec, slo_figures, slo_window

logger = logging.getLogger(__name__)

HISTORY_POINTS = 48


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
