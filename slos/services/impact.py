"""What an incident cost each SLO of its services: live while open, frozen on resolve,
recomputed (with a timeline entry) when its times are corrected."""

import logging
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.actors import Actor
from incidents import flows
from incidents import selectors as incidents_selectors
from incidents.choices import EntryKind
from incidents.services import incident_record

from .. import budget, budget_ledger, debits, sli
from ..choices import BudgetingMethod
from ..models import SLO, IncidentImpact
from ..models.impact import PeriodSource
from .burns import slo_burn_incident_link
from .figures import allowance, dec, slo_window

logger = logging.getLogger(__name__)

RECOMPUTE_CHANGES = (flows.TIMES_CORRECTED, flows.REOPENED)
FREEZE_CHANGES = (flows.RESOLVED, flows.CLOSED)


def _percent(value: Decimal | None) -> str:
    return budget.percent_text(value)


# How far before an incident's start Keel looks for where its SLI turned bad.
EPISODE_LOOKBACK = timedelta(hours=6)


def debit_period(
    slo: SLO, *, started_at: datetime, end: datetime, corrected: bool
) -> tuple[datetime, str]:
    """Where the incident's debit on `slo` starts, and why (docs/budget.md): a start a person
    corrected is taken as given; otherwise the debit begins where the SLI turned bad, if that
    is before the incident's start (an alert fires minutes into a burst)."""
    if corrected:
        return started_at, PeriodSource.CORRECTED
    try:
        minutes = sli.minutes(slo, started_at - EPISODE_LOOKBACK, min(started_at, end))
    except sli.SliError:
        return started_at, PeriodSource.INCIDENT
    step = (
        timedelta(seconds=slo.slice_seconds)
        if slo.budgeting_method == BudgetingMethod.TIMESLICES and slo.slice_seconds > 60
        else timedelta(minutes=1)
    )
    if step != timedelta(minutes=1):
        return started_at, PeriodSource.INCIDENT
    # a minute is bad above the error budget (occurrences), or as a bad slice (timeslices)
    threshold = (
        slo.slice_target
        if slo.budgeting_method == BudgetingMethod.TIMESLICES and slo.slice_target
        else slo.objective_ratio
    )
    found = budget_ledger.episode_start(minutes, objective=threshold, start=started_at)
    if found < started_at:
        return found, PeriodSource.SLI
    return started_at, PeriodSource.INCIDENT


def _bad(slo: SLO, start: datetime, end: datetime) -> Fraction:
    found = sli.counts(slo, start, end)
    if found is None:
        return Fraction(0)
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        return Fraction(found.bad_slices)
    return found.bad


def _share(impact: IncidentImpact) -> None:
    impact.fraction = dec(
        budget_ledger.impact(bad_in_incident=Fraction(impact.bad), allowed_in_window=impact.allowed)
        if impact.allowed
        else None,
        8,
    )


def _cluster(slo: SLO, impact: IncidentImpact) -> list[IncidentImpact]:
    """The other impacts on `slo` whose periods overlap this one's, directly or through
    each other (their sharing depends on this one's period)."""
    span = (impact.period_start, impact.period_end)
    found: dict[int, IncidentImpact] = {}
    while True:
        rows = (
            IncidentImpact.objects.select_for_update()
            .filter(slo=slo, period_start__lt=span[1], period_end__gt=span[0], error="")
            .exclude(incident_id=impact.incident_id)
            .exclude(pk__in=list(found))
            .select_related("incident")
        )
        new = list(rows)
        if not new:
            return sorted(found.values(), key=lambda i: i.period_start)
        for row in new:
            found[row.pk] = row
            span = (min(span[0], row.period_start), max(span[1], row.period_end))


def _attribute(
    slo: SLO, impact: IncidentImpact, reference: str
) -> list[tuple[IncidentImpact, Decimal | None]]:
    """Debit each bad event of the overlapping periods once (shared equally where they
    overlap); set `bad` and `shared` of this impact and of the others in its cluster, and
    return the others whose debit changed."""
    others = _cluster(slo, impact)
    members = {reference: impact} | {o.incident.reference: o for o in others}
    pieces = budget_ledger.segments(
        {key: (m.period_start, m.period_end) for key, m in members.items()}
    )
    counted = [(piece, _bad(slo, piece.start, piece.end)) for piece in pieces]
    shares = budget_ledger.attribute(counted)
    changed = []
    for key, member in members.items():
        found = shares.get(key, budget_ledger.Attribution(Fraction(0), Fraction(0), []))
        sharing: dict[tuple[str, ...], list[Fraction]] = {}
        for owners, piece_bad in found.shared:
            pair = sharing.setdefault(tuple(o for o in owners if o != key), [Fraction(0)] * 2)
            pair[0] += piece_bad
            pair[1] += piece_bad / len(owners)
        shared = [
            {"with": list(w), "bad": str(dec(b)), "debited": str(dec(d))}
            for w, (b, d) in sorted(sharing.items())
        ]
        debited = dec(found.bad) or Decimal(0)
        if member is impact:
            member.bad, member.shared = debited, shared
            continue
        if member.bad != debited or member.shared != shared:
            before = member.fraction
            member.bad, member.shared = debited, shared
            _share(member)
            member.save(update_fields=["bad", "shared", "fraction"])
            changed.append((member, before))
    return changed


def _compute(
    impact: IncidentImpact, slo: SLO, reference: str, now: datetime
) -> list[tuple[IncidentImpact, Decimal | None]]:
    start, end = impact.period_start, impact.period_end
    window = slo_window(slo, end, month_of=start)
    period = sli.counts(slo, start, end)
    window_counts = sli.counts(slo, window[0], min(window[1], now))
    _, allowed = allowance(slo, window_counts, window)
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        total = budget.slices_in(end - start, timedelta(seconds=slo.slice_seconds))
    else:
        total = period.total if period else Fraction(0)
    impact.method = slo.budgeting_method
    impact.total = dec(total) or Decimal(0)
    impact.allowed = dec(allowed) or Decimal(0)
    impact.window_start, impact.window_end = window
    impact.error = ""
    changed = _attribute(slo, impact, reference)
    impact.fraction = None
    if allowed is not None:
        _share(impact)
    return changed


def _start_corrected(incident: Any) -> bool:
    return (
        incidents_selectors.incident_timeline(incident=incident)
        .filter(kind=EntryKind.FIELD_CORRECTED, data__field="started_at")
        .exists()
    )


def _record_shares(
    changed: list[tuple[IncidentImpact, Decimal | None]], by: str, at: datetime
) -> None:
    """Tell an overlapping incident that its debit changed because of `by`."""
    for other, before in changed:
        incident_record(
            incident=other.incident,
            kind=EntryKind.BUDGET_IMPACT,
            actor=Actor.system(),
            text=(
                f"Budget impact shared with {by}: {other.slo}: {_percent(before)} → "
                f"{_percent(other.fraction)}."
            ),
            data={"change": "shared", "slo": other.slo_id, "with": by},
            at=at,
        )


@transaction.atomic
def incident_impacts_update(
    *, incident_id: int, change: str = "", at: datetime | None = None
) -> list[IncidentImpact]:
    """Compute the debit of an incident on every SLO of its services (docs/budget.md)."""
    now = at or timezone.now()
    incident = incidents_selectors.incident_with_services(user=None, incident_id=incident_id)
    if incident is None:
        return []
    started = incident.started_at
    end = (incident.resolved_at or incident.closed_at or now) if not incident.is_open else now
    end = max(end, started)
    corrected = _start_corrected(incident)
    slos = list(SLO.objects.filter(service__in=incident.services.all()).select_related("service"))
    existing = {
        i.slo_id: i for i in IncidentImpact.objects.select_for_update().filter(incident=incident)
    }
    recompute = change in RECOMPUTE_CHANGES
    changed: list[str] = []
    results = []
    shares_changed: list[tuple[IncidentImpact, Decimal | None]] = []
    for slo in slos:
        impact = existing.get(slo.pk)
        if impact is not None and impact.frozen and not recompute:
            results.append(impact)
            continue
        before = None if impact is None else impact.fraction
        if impact is None:
            impact = IncidentImpact(incident=incident, slo=slo, bad=0, total=0, allowed=0)
        shares: list[tuple[IncidentImpact, Decimal | None]] = []
        try:
            start, source = debit_period(slo, started_at=started, end=end, corrected=corrected)
            impact.period_start, impact.period_end, impact.period_source = start, end, source
            shares = _compute(impact, slo, incident.reference, now)
        except sli.SliError as error:
            impact.error = str(error)
            if impact.pk is None:
                impact.period_start, impact.period_end = started, end
                impact.method = slo.budgeting_method
                impact.window_start, impact.window_end = slo_window(slo, end, month_of=started)
        impact.computed_at = now
        impact.frozen = not incident.is_open
        impact.save()
        _record_shares(shares, incident.reference, now)
        shares_changed.extend(shares)
        results.append(impact)
        if before != impact.fraction or impact.frozen:
            window = debits.window_text(slo, impact.window_start, impact.window_end)
            period = debits.instant_text(impact.period_start)
            changed.append(
                f"{slo}: {_percent(before)} → {_percent(impact.fraction)} of the budget of "
                f"{window}, from {period}"
                if before is not None and recompute
                else f"{slo}: {_percent(impact.fraction)} of the budget of {window}, from {period}"
            )
    followers = {other.incident_id for other, _ in shares_changed}
    if changed and (recompute or change in FREEZE_CHANGES):
        followers.add(incident.pk)
    for follower in followers:  # what follows a debit's change: incidents/flows.py
        flows.incident_changed_on_commit(follower, flows.BUDGET_IMPACT)
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
                        "period_start": i.period_start.isoformat(),
                        "period_source": i.period_source,
                    }
                    for i in results
                ],
            },
            at=now,
        )
    return results


def _services_with_slos() -> QuerySet[SLO, int]:
    """The ids of the services that have an SLO, as a subquery."""
    return SLO.objects.values_list("service_id", flat=True)


def incident_budget_follow(
    *, incident_id: int, change: str, at: datetime | None = None
) -> list[IncidentImpact]:
    """What follows an incident change for error budgets (incidents/flows.py): a new
    incident holding page-level burn alerts becomes the burn incident of the SLOs they name,
    and the impact of an incident on the SLOs of its services is brought up to date."""
    if change == flows.OPENED:
        slo_burn_incident_link(incident_id=incident_id)
    if not incidents_selectors.incident_touches_services(
        incident_id=incident_id, service_ids=_services_with_slos()
    ):
        return []
    return incident_impacts_update(incident_id=incident_id, change=change, at=at)


def impacts_refresh_open(*, at: datetime | None = None) -> int:
    """Keep the live impact of every open incident that touches an SLO current."""
    ids = incidents_selectors.incident_ids_open(service_ids=_services_with_slos())
    count = 0
    for incident_id in ids:
        try:
            incident_impacts_update(incident_id=incident_id, change="refresh", at=at)
            count += 1
        except Exception:
            logger.exception("budget impact of incident %s failed", incident_id)
    return count
