"""What an incident cost each SLO of its services: live while open, frozen on resolve,
recomputed (with a timeline entry) when its times are corrected."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from django.db import transaction
from django.utils import timezone

from incidents.actors import Actor

from .. import budget, sli
from ..choices import BudgetingMethod, WindowKind
from ..models import SLO, IncidentImpact
from .evaluation import allowance, dec

logger = logging.getLogger(__name__)

RECOMPUTE_CHANGES = ("times_corrected", "reopened")
FREEZE_CHANGES = ("resolved", "closed")


def impact_window(slo: SLO, start: datetime, end: datetime) -> tuple[datetime, datetime]:
    """The SLO window containing the incident: the calendar month it started in, or the
    rolling window ending when it ended."""
    if slo.window_kind == WindowKind.CALENDAR_MONTH:
        return budget.calendar_month_window(at=start, zone=slo.time_zone)
    return budget.rolling_window(end=end, days=slo.window_days)


def _percent(value: Decimal | None) -> str:
    return "no data" if value is None else f"{float(value) * 100:.1f}%"


def _compute(
    impact: IncidentImpact, slo: SLO, start: datetime, end: datetime, now: datetime
) -> None:
    window = impact_window(slo, start, end)
    period = sli.counts(slo, start, end)
    window_counts = sli.counts(slo, window[0], min(window[1], now))
    _, allowed = allowance(slo, window_counts, window)
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        bad = Fraction(period.bad_slices if period else 0)
        total = budget.slices_in(end - start, timedelta(seconds=slo.slice_seconds))
    else:
        bad = period.bad if period else Fraction(0)
        total = period.total if period else Fraction(0)
    fraction = (
        None if allowed is None else budget.impact(bad_in_incident=bad, allowed_in_window=allowed)
    )
    impact.method = slo.budgeting_method
    impact.bad, impact.total = dec(bad) or Decimal(0), dec(total) or Decimal(0)
    impact.allowed = dec(allowed) or Decimal(0)
    impact.fraction = dec(fraction, 8)
    impact.window_start, impact.window_end = window
    impact.error = ""


@transaction.atomic
def incident_impacts_update(
    *, incident_id: int, change: str = "", at: datetime | None = None
) -> list[IncidentImpact]:
    """Compute the budget impact of an incident on every SLO of its services."""
    from incidents.choices import EntryKind
    from incidents.models import Incident
    from incidents.services import incident_record

    now = at or timezone.now()
    incident = Incident.objects.prefetch_related("services").filter(pk=incident_id).first()
    if incident is None:
        return []
    start = incident.started_at
    end = (incident.resolved_at or incident.closed_at or now) if not incident.is_open else now
    end = max(end, start)
    slos = list(SLO.objects.filter(service__in=incident.services.all()).select_related("service"))
    existing = {
        i.slo_id: i for i in IncidentImpact.objects.select_for_update().filter(incident=incident)
    }
    recompute = change in RECOMPUTE_CHANGES
    changed: list[str] = []
    results = []
    for slo in slos:
        impact = existing.get(slo.pk)
        if impact is not None and impact.frozen and not recompute:
            results.append(impact)
            continue
        before = None if impact is None else impact.fraction
        if impact is None:
            impact = IncidentImpact(incident=incident, slo=slo, bad=0, total=0, allowed=0)
        impact.period_start, impact.period_end = start, end
        try:
            _compute(impact, slo, start, end, now)
        except sli.SliError as error:
            impact.error = str(error)
            if impact.pk is None:
                impact.method = slo.budgeting_method
                impact.window_start, impact.window_end = impact_window(slo, start, end)
        impact.computed_at = now
        impact.frozen = not incident.is_open
        impact.save()
        results.append(impact)
        if before != impact.fraction or impact.frozen:
            changed.append(
                f"{slo}: {_percent(before)} → {_percent(impact.fraction)}"
                if before is not None and recompute
                else f"{slo}: {_percent(impact.fraction)} of the {slo.window_text} budget"
            )
    if changed and (recompute or change in FREEZE_CHANGES):
        verb = "recomputed after a time correction" if recompute else "frozen at resolution"
        incident_record(
            incident=incident,
            kind=EntryKind.BUDGET_IMPACT,
            actor=Actor.system(),
            text=f"Budget impact {verb}: " + "; ".join(changed) + ".",
            data={
                "change": change,
                "impacts": [
                    {
                        "slo": i.slo_id,
                        "fraction": None if i.fraction is None else str(i.fraction),
                        "bad": str(i.bad),
                        "allowed": str(i.allowed),
                        "method": i.method,
                    }
                    for i in results
                ],
            },
            at=now,
        )
    return results


def impacts_refresh_open(*, at: datetime | None = None) -> int:
    """Keep the live impact of every open incident that touches an SLO current."""
    from incidents.choices import OPEN_STATUSES
    from incidents.models import Incident

    ids = (
        Incident.objects.filter(status__in=OPEN_STATUSES, services__slos__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    count = 0
    for incident_id in ids:
        try:
            incident_impacts_update(incident_id=incident_id, change="refresh", at=at)
            count += 1
        except Exception:
            logger.exception("budget impact of incident %s failed", incident_id)
    return count
