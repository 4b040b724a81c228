"""Fail-safe paging: who is paged when working out the on-call fails or finds nobody.

The order is always the same: the schedule's other layers, then the team's fallback
contacts, then Keel's admins. Whatever went wrong is said on the incident's timeline.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q

from catalog import selectors as catalog_selectors
from catalog.models import Team
from core.actors import Actor
from incidents import selectors as incidents_selectors
from incidents.choices import EntryKind
from incidents.services import incident_record
from oncall.models import ContactMethod, Escalation, EscalationStep, Page

from .. import rotation
from ..choices import Channel, EscalationState, TargetKind
from ..selectors import on_call_at
from . import escalation  # which calls this module back: names are read at call time
from ._common import now

logger = logging.getLogger(__name__)

ADMINS = "Keel's admins"


def _people(ids: Iterable[int]) -> list[Any]:
    """Active users of `ids`, in that order, each once."""
    unique = list(dict.fromkeys(ids))
    found = {u.pk: u for u in get_user_model().objects.filter(pk__in=unique, is_active=True)}
    return [found[i] for i in unique if i in found]


def keel_admins() -> list[Any]:
    """Active admins (the admin role, or superusers), by username."""
    return list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name="admin"))
        .distinct()
        .order_by("username")
    )


def reachable(people: Sequence[Any]) -> list[Any]:
    """Those who can be paged: an enabled contact method, or an email address."""
    with_methods = set(
        ContactMethod.objects.filter(user__in=people, enabled=True).values_list(
            "user_id", flat=True
        )
    )
    return [p for p in people if p.pk in with_methods or p.email]


def fallback_people(teams: Sequence[Team]) -> tuple[list[Any], str]:
    """Who to page when nobody else can be: the first of `teams` with reachable
    fallback contacts, else Keel's admins. The people and how to name them."""
    for team in teams:
        contacts = reachable(
            list(team.fallback_contacts.filter(is_active=True).order_by("username"))
        )
        if contacts:
            return contacts, f"the fallback contacts of {team}"
    return reachable(keel_admins()), ADMINS


def _names(people: Sequence[Any]) -> str:
    return ", ".join(str(p) for p in people) or "nobody"


@dataclass
class StepRecipients:
    """Who a step pages, and what went wrong on the way (empty when nothing did)."""

    people: list[Any]
    problems: list[str] = field(default_factory=list)
    fell_back_to: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def degraded(self) -> bool:
        return bool(self.problems)


def _user_ids(shifts: Sequence[rotation.Shift]) -> list[int]:
    return [int(s.who) for s in shifts if isinstance(s.who, int)]


def _schedule_on_call(schedule: Any, at: datetime, result: StepRecipients) -> list[int]:
    """Who is on call for a schedule target; a layer that cannot be worked out falls
    back to the other layers, then the team's fallback contacts, then the admins."""

    shifts: list[rotation.Shift] = []
    try:
        with transaction.atomic():  # a database error here must not spoil the step
            final = on_call_at(schedule, at)
    except Exception as exc:
        logger.exception("who is on call for schedule %s", schedule.pk)
        problem = f"Cannot work out who is on call for {schedule}: {rotation.error_text(exc)}"
        result.errors.append({"schedule": schedule.pk, "layer": None, "message": problem})
    else:
        shifts = final.shifts
        if not final.errors:
            return _user_ids(shifts)
        result.errors += [e.as_dict() for e in final.errors]
        problem = "; ".join(e.text for e in final.errors)
    on_call = reachable(_people(_user_ids(shifts)))
    if on_call:
        result.problems.append(f"{problem}. Paged {_names(on_call)} from the other layers instead")
        result.fell_back_to = result.fell_back_to or "the schedule's other layers"
        return [p.pk for p in on_call]
    people, source = fallback_people([schedule.team])
    result.problems.append(f"{problem}. Paged {_names(people)} ({source}) instead")
    result.fell_back_to = source
    return [p.pk for p in people]


def step_recipients(step: EscalationStep, at: datetime) -> StepRecipients:
    """The people a step notifies at `at`, in target order, each once. Never fails
    because of a schedule, and never names nobody while anyone can be paged: a step
    that would reach nobody pages the policy team's fallback contacts, or the admins."""
    result = StepRecipients(people=[])
    ids: list[int] = []
    for target in step.targets.select_related("schedule__team", "team").order_by("id"):
        if target.kind == TargetKind.USER and target.user_id is not None:
            ids.append(target.user_id)
        elif target.kind == TargetKind.SCHEDULE and target.schedule is not None:
            ids.extend(_schedule_on_call(target.schedule, at, result))
        elif target.kind == TargetKind.TEAM and target.team is not None:
            ids.extend(target.team.members.order_by("username").values_list("pk", flat=True))
    people = reachable(_people(ids))
    if not people:
        team = step.policy.team
        people, source = fallback_people([team])
        result.problems.append(
            f"Step {step.position + 1} of {step.policy} reaches nobody (nobody on call, or "
            f"no contact method). Paged {_names(people)} ({source}) instead"
        )
        result.fell_back_to = source
    result.people = people
    return result


def step_recipients_safe(step: EscalationStep, at: datetime) -> StepRecipients:
    """`step_recipients`, and if working them out fails anyway (a bug), the fallback of
    the policy's team: a step never pages nobody because of an error."""
    try:
        with transaction.atomic():
            return step_recipients(step, at)
    except Exception as exc:
        logger.exception("recipients of escalation step %s", step.pk)
        people, source = fallback_people([step.policy.team])
        return StepRecipients(
            people=people,
            problems=[
                f"Cannot work out whom step {step.position + 1} of {step.policy} pages: "
                f"{rotation.error_text(exc)}. Paged {_names(people)} ({source}) instead"
            ],
            fell_back_to=source,
            errors=[{"step": step.pk, "message": rotation.error_text(exc)}],
        )


def create_pages(
    *,
    incident: Any,
    escalation: Escalation,
    position: int,
    round: int,
    recipients: Sequence[Any],
    at: datetime,
) -> list[Page]:
    """One page per enabled contact method of each recipient (their email without one)."""
    methods: dict[int, list[ContactMethod]] = {}
    for method in ContactMethod.objects.filter(user__in=recipients, enabled=True).order_by("id"):
        methods.setdefault(method.user_id, []).append(method)
    pages = []
    for person in recipients:
        chosen: list[ContactMethod | None] = [*methods.get(person.pk, [])]
        if not chosen and person.email:
            chosen = [None]
        for via in chosen:
            pages.append(
                Page.objects.create(
                    incident=incident,
                    escalation=escalation,
                    step_position=position,
                    round=round,
                    user=person,
                    contact_method=via,
                    channel=via.kind if via is not None else Channel.EMAIL,
                    created_at=at,
                )
            )
    return pages


# --- incidents that would page nobody ---------------------------------------------------


def _owning_teams(incident: Any) -> list[Team]:
    return catalog_selectors.teams_owning(services=incident.services.all())


def why_nobody(incident: Any) -> str | None:
    """Why an incident would page nobody (no service, no owning team, no policy, a
    policy without steps), or None when some policy pages for it."""

    policies = escalation.policies_for_incident(incident)
    if any(p.steps.exists() for p in policies):
        return None
    services = list(incidents_selectors.incident_services(incident=incident))
    if not services:
        return "it affects no service"
    if not any(s.owner_id for s in services):
        return f"no team owns {', '.join(s.slug for s in services)}"
    if policies:
        return f"the escalation policy {', '.join(str(p) for p in policies)} has no steps"
    teams = _owning_teams(incident)
    verb = "has" if len(teams) == 1 else "have"
    return f"{', '.join(t.name for t in teams)} {verb} no escalation policy"


@transaction.atomic
def escalation_fallback(
    *, incident: Any, at: datetime | None = None, restart: bool = False
) -> list[Page]:
    """Page the fallback of an incident that would page nobody, once per opening (a
    reopen asks again), and say so on its timeline. The pages to deliver."""

    when = now(at)
    locked = incidents_selectors.incident_for_update(incident_id=incident.pk)
    if locked is None or not locked.is_open:
        return []
    reason = why_nobody(locked)
    if reason is None:
        return []
    earlier = Escalation.objects.filter(incident=locked, policy__isnull=True).exclude(
        fallback_reason=""
    )
    if restart:
        reopened = (
            incidents_selectors.incident_timeline(incident=locked)
            .filter(kind=EntryKind.REOPENED)
            .values("at")
            .first()
        )
        if reopened is not None:
            earlier = earlier.filter(started_at__gte=reopened["at"])
    if earlier.exists():
        return []
    people, source = fallback_people(_owning_teams(locked))
    escalation = Escalation.objects.create(
        incident=locked,
        policy=None,
        state=EscalationState.EXHAUSTED,
        started_at=when,
        stopped_at=when,
        next_at=None,
        fallback_reason=reason,
        acknowledgements_after=when if restart else None,
    )
    pages = create_pages(
        incident=locked, escalation=escalation, position=0, round=0, recipients=people, at=when
    )
    paged = (
        f"Paged {_names(people)} ({source}) instead."
        if people
        else "Nobody could be paged instead: no team fallback contacts, and no admin with "
        "an email address or contact method."
    )
    incident_record(
        incident=locked,
        kind="paged",
        actor=Actor.system(),
        text=f"Nobody would be paged for this incident: {reason}. {paged}",
        data={
            "fallback": source,
            "reason": reason,
            "users": [p.pk for p in people],
            "pages": [p.pk for p in pages],
            "degraded": True,
        },
        at=when,
    )
    return pages
