"""Reads for postmortems and action items, with permission checks and eager loading."""

from datetime import date, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from core.roles import Role, require_role
from incidents.models import Incident
from postmortems.budget_facts import incident_budget_facts
from postmortems.draft import ImpactFact
from postmortems.models import (
    CLOSED_ACTION_STATUSES,
    ActionItem,
    Postmortem,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemStatus,
    PostmortemVersion,
)
from postmortems.sections import SECTION_KEYS, SECTION_TITLES


def person_name(user: Any) -> str:
    if user is None:
        return ""
    return str(user.get_full_name() or user.get_username())


def _ratio(value: Any) -> float | None:
    return None if value is None else float(value)


def incident_budget_impacts(*, incident: Incident) -> list[ImpactFact]:
    """The error-budget impact of the incident per SLO of its services, with what remains
    of each window's budget and the burn-down around the incident (empty without impacts)."""
    impacts: list[ImpactFact] = []
    for facts in incident_budget_facts(incident_id=incident.pk):
        if facts.fraction is None:
            continue
        impacts.append(
            ImpactFact(
                slo=facts.slo,
                service=facts.service,
                fraction=float(facts.fraction),
                window=facts.window_label,
                remaining_minutes=_ratio(facts.left.remaining_minutes),
                remaining_fraction=_ratio(facts.left.remaining),
                burn=[(at, _ratio(value)) for at, value in facts.burn],
                text=facts.text,
                method=facts.method,
                remaining_bad=_ratio(facts.left.remaining_bad),
            )
        )
    return impacts


def postmortem_for_incident(*, user: Any, number: int) -> Postmortem:
    """The postmortem of incident `number`, with what the editor shows loaded."""
    require_role(user, Role.VIEWER)
    return (
        Postmortem.objects.select_related("incident")
        .prefetch_related(
            "authors",
            Prefetch("sections", queryset=PostmortemSection.objects.select_related("updated_by")),
            Prefetch("reviewers", queryset=PostmortemReviewer.objects.select_related("user")),
            Prefetch(
                "versions",
                queryset=PostmortemVersion.objects.defer("snapshot").order_by("-number"),
            ),
        )
        .get(incident__number=number)
    )


def postmortem_version_get(*, user: Any, number: int, version: int) -> PostmortemVersion:
    require_role(user, Role.VIEWER)
    return PostmortemVersion.objects.select_related("postmortem__incident").get(
        postmortem__incident__number=number, number=version
    )


def postmortem_list(
    *, user: Any, state: str = "", at: datetime | None = None
) -> QuerySet[Postmortem]:
    """Postmortems, optionally only `due` (required, not published), `overdue` or `published`."""
    require_role(user, Role.VIEWER)
    now = at or timezone.now()
    qs = Postmortem.objects.select_related("incident").prefetch_related("authors")
    if state == "due":
        qs = qs.filter(required=True).exclude(published_version__gte=1)
    elif state == "overdue":
        qs = qs.filter(required=True, due_at__lt=now).exclude(published_version__gte=1)
    elif state == "published":
        qs = qs.filter(published_version__gte=1)
    elif state == "draft":
        qs = qs.exclude(status=PostmortemStatus.PUBLISHED)
    return qs.order_by("due_at", "-created_at")


def action_item_list(
    *,
    user: Any,
    owner: str = "",
    team: str = "",
    priority: str = "",
    status: str = "",
    overdue: bool = False,
    incident_number: int | None = None,
    today: date | None = None,
) -> QuerySet[ActionItem]:
    """Action items across incidents; `owner` is a username, `team` a team slug,
    `status` a status or `open` (open and in progress)."""
    require_role(user, Role.VIEWER)
    qs = ActionItem.objects.select_related("incident", "owner", "team", "postmortem")
    if owner:
        qs = qs.filter(owner__username=owner)
    if team:
        qs = qs.filter(Q(team__slug=team) | Q(owner__teams__slug=team)).distinct()
    if priority:
        qs = qs.filter(priority=priority)
    if status == "open":
        qs = qs.exclude(status__in=CLOSED_ACTION_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(due_on__lt=today or timezone.localdate()).exclude(
            status__in=CLOSED_ACTION_STATUSES
        )
    if incident_number is not None:
        qs = qs.filter(incident__number=incident_number)
    return qs.order_by("priority", "due_on", "id")


def _item_dict(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "title": item.title,
        "description": item.description,
        "owner": person_name(item.owner),
        "team": item.team.name if item.team_id and item.team else "",
        "due_on": item.due_on.isoformat() if item.due_on else None,
        "priority": item.priority,
        "kind": item.kind,
        "status": item.status,
        "tracker_url": item.tracker_url,
        "completed_at": item.completed_at.isoformat() if item.completed_at else None,
    }


def postmortem_snapshot(postmortem: Postmortem) -> dict[str, Any]:
    """Everything the document shows, JSON-ready: what a version freezes and what renders."""
    sections = {s.key: s.body for s in postmortem.sections.all()}
    items = ActionItem.objects.filter(incident_id=postmortem.incident_id).select_related(
        "owner", "team"
    )
    return {
        "version": None,
        "status": postmortem.status,
        "facts": postmortem.facts,
        "sections": [
            {"key": key, "title": SECTION_TITLES[key], "body": sections.get(key, "")}
            for key in SECTION_KEYS
        ],
        "figures": {
            "users_affected": postmortem.users_affected,
            "failed_requests": postmortem.failed_requests,
            "revenue_impact": str(postmortem.revenue_impact)
            if postmortem.revenue_impact is not None
            else None,
            "revenue_currency": postmortem.revenue_currency,
        },
        "action_items": [_item_dict(i) for i in items.order_by("priority", "due_on", "id")],
        "authors": sorted(person_name(u) for u in postmortem.authors.all()),
        "reviewers": [
            {
                "name": person_name(r.user),
                "approved_at": r.approved_at.isoformat() if r.approved_at else None,
                "comment": r.comment,
            }
            for r in postmortem.reviewers.select_related("user").all()
        ],
        "published_at": None,
        "published_by": None,
    }


def user_choices() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True).order_by("username")
