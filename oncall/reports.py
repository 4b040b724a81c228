"""Composed reads: my shifts, the handoff page's report, the on-call health report."""

import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from catalog.models import Team
from incidents import metrics
from incidents.models import Alert, Incident
from oncall.models import Handoff, LayerParticipant, Override, Page, Schedule
from slos.budget_policy import HEALTHY
from slos.models import SloStatus

from . import rotation
from .selectors import ScheduleError, schedule_list, schedule_resolve


def _page_team(page: Page, fallback: Team) -> Team:
    """The team whose working hours judge a page: its escalation policy's team."""
    escalation = page.escalation
    if escalation is not None and escalation.policy is not None:
        return escalation.policy.team
    return fallback


@dataclass
class MyShift:
    schedule: Schedule
    start: datetime
    end: datetime
    is_override: bool


def my_shifts_checked(
    *, user: Any, start: datetime, end: datetime
) -> tuple[list[MyShift], list[ScheduleError]]:
    """The user's shifts on every schedule they rotate on or cover, and the parts of
    those schedules that could not be worked out (their shifts are missing)."""
    ids = set(
        LayerParticipant.objects.filter(user=user).values_list("layer__schedule_id", flat=True)
    )
    ids |= set(
        Override.objects.filter(user=user, ends_at__gt=start).values_list("schedule_id", flat=True)
    )
    out = []
    errors: list[ScheduleError] = []
    for schedule in schedule_list(user=None).filter(pk__in=ids):
        final = schedule_resolve(schedule, start, end)
        errors += final.errors
        for shift in rotation.merge_people(final.shifts):
            if shift.who == user.pk:
                out.append(MyShift(schedule, shift.start, shift.end, shift.is_override))
    return sorted(out, key=lambda s: s.start), errors


def my_shifts(*, user: Any, start: datetime, end: datetime) -> list[MyShift]:
    """The user's shifts (see `my_shifts_checked`)."""
    return my_shifts_checked(user=user, start=start, end=end)[0]


def _team_incidents(team: Team) -> Any:
    return Incident.objects.filter(services__owner=team).distinct()


@dataclass
class HandoffReport:
    opened: list[Incident]
    resolved: list[Incident]
    still_open: list[Incident]
    mtta: metrics.Summary
    mttr: metrics.Summary
    pages: list[Page]
    off_hours_pages: int
    slos_at_risk: list[Any] = field(default_factory=list)


def handoff_report(handoff: Handoff) -> HandoffReport:
    """What happened during the outgoing shift, and what the incoming person inherits."""
    team = handoff.schedule.team
    start, end = handoff.outgoing_shift_start, handoff.shift_start
    incidents = _team_incidents(team)
    opened = list(
        incidents.filter(detected_at__gte=start, detected_at__lt=end).order_by("detected_at")
    )
    resolved = list(
        incidents.filter(resolved_at__gte=start, resolved_at__lt=end).order_by("resolved_at")
    )
    still_open = list(
        incidents.filter(detected_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
        .order_by("detected_at")
    )
    pages = (
        list(
            Page.objects.filter(created_at__gte=start, created_at__lt=end)
            .filter(Q(user=handoff.outgoing) | Q(incident__in=incidents))
            .select_related("incident", "user")
            .order_by("created_at")
        )
        if handoff.outgoing_id
        else list(
            Page.objects.filter(
                created_at__gte=start, created_at__lt=end, incident__in=incidents
            ).select_related("incident", "user")
        )
    )
    return HandoffReport(
        slos_at_risk=_slos_at_risk(team),
        opened=opened,
        resolved=resolved,
        still_open=still_open,
        mtta=metrics.summarize(
            [metrics.seconds_between(i.detected_at, i.acknowledged_at) for i in opened]
        ),
        mttr=metrics.summarize(
            [metrics.seconds_between(i.detected_at, i.resolved_at) for i in resolved]
        ),
        pages=pages,
        off_hours_pages=sum(1 for p in pages if team.is_off_hours(p.created_at)),
    )


def _slos_at_risk(team: Team) -> list[Any]:
    """Error budgets of the team's services that are not healthy, worst first."""

    return list(
        SloStatus.objects.filter(slo__service__owner=team)
        .exclude(tier=HEALTHY)
        .select_related("slo__service")
        .order_by("remaining")[:20]
    )


@dataclass
class HealthReport:
    start: datetime
    end: datetime
    pages_per_person: list[tuple[str, int, int]]  # name, pages, off-hours pages
    pages_per_week: list[tuple[datetime, int]]
    noisiest_alerts: list[tuple[str, int]]
    alerts_without_runbook: list[tuple[str, int]]
    total_pages: int


def health_report(*, team: Team | None, start: datetime, end: datetime) -> HealthReport:
    """Pages per person and week, off-hours pages, the noisiest alerts and those that
    paged without a runbook. Off-hours are the team's; across all teams, each page's
    by its policy's team (Mon-Fri 09:00-18:00 UTC for pages of no team)."""
    pages = Page.objects.filter(created_at__gte=start, created_at__lt=end).select_related(
        "user", "escalation__policy__team"
    )
    if team is not None:
        pages = pages.filter(incident__services__owner=team).distinct()
    zone = team.time_zone if team is not None else "UTC"
    no_team = Team(name="", slug="", time_zone="UTC")
    per_person: Counter[str] = Counter()
    off_hours: Counter[str] = Counter()
    per_week: Counter[datetime] = Counter()
    incident_ids = set()
    for page in pages:
        name = page.user.get_username()
        per_person[name] += 1
        judge = team if team is not None else _page_team(page, no_team)
        if judge.is_off_hours(page.created_at):
            off_hours[name] += 1
        day = page.created_at.astimezone(zoneinfo.ZoneInfo(zone)).date()
        monday = day - timedelta(days=day.weekday())
        per_week[datetime(monday.year, monday.month, monday.day)] += 1
        incident_ids.add(page.incident_id)
    alerts = Alert.objects.filter(incident_id__in=incident_ids).only(
        "labels", "annotations", "incident_id"
    )
    names: Counter[str] = Counter()
    without_runbook: Counter[str] = Counter()
    for alert in alerts:
        name = str((alert.labels or {}).get("alertname", "(no alertname)"))
        names[name] += 1
        annotations = alert.annotations or {}
        if not (annotations.get("runbook_url") or annotations.get("runbook")):
            without_runbook[name] += 1
    return HealthReport(
        start=start,
        end=end,
        pages_per_person=[(n, c, off_hours[n]) for n, c in per_person.most_common()],
        pages_per_week=sorted(per_week.items()),
        noisiest_alerts=names.most_common(10),
        alerts_without_runbook=without_runbook.most_common(10),
        total_pages=sum(per_person.values()),
    )
