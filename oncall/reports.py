"""Composed reads: my shifts, the handoff page's report, the on-call health report."""

import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from catalog.models import Team
from incidents import metrics
from incidents.models import Incident
from incidents.selectors import alert_names_and_runbooks, team_incidents
from oncall.models import Handoff, LayerParticipant, Override, Page, Schedule
from slos.selectors import team_slos_at_risk

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


def handoff_report(handoff: Handoff, *, user: Any = None) -> HandoffReport:
    """What happened during the outgoing shift, and what the incoming person inherits."""
    team = handoff.schedule.team
    start, end = handoff.outgoing_shift_start, handoff.shift_start
    found = team_incidents(user=user, team=team, start=start, end=end)
    opened, resolved, still_open = found.opened, found.resolved, found.still_open
    of_team = Q(incident__services__owner=team)
    pages = (
        list(
            Page.objects.filter(created_at__gte=start, created_at__lt=end)
            .filter(Q(user=handoff.outgoing) | of_team)
            .distinct()
            .select_related("incident", "user")
            .order_by("created_at")
        )
        if handoff.outgoing_id
        else list(
            Page.objects.filter(of_team, created_at__gte=start, created_at__lt=end)
            .distinct()
            .select_related("incident", "user")
        )
    )
    return HandoffReport(
        slos_at_risk=team_slos_at_risk(user=user, team=team),
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


@dataclass
class HealthReport:
    start: datetime
    end: datetime
    pages_per_person: list[tuple[str, int, int]]  # name, pages, off-hours pages
    pages_per_week: list[tuple[datetime, int]]
    noisiest_alerts: list[tuple[str, int]]
    alerts_without_runbook: list[tuple[str, int]]
    total_pages: int


def health_report(
    *, team: Team | None, start: datetime, end: datetime, user: Any = None
) -> HealthReport:
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
    alerts = alert_names_and_runbooks(user=user, incident_ids=incident_ids)
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
