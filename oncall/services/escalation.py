"""Escalation policies (configuration) and escalations (their runs for incidents)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import IntegrityError, transaction
from django.db.models import Min

from catalog.models import Team
from core.actors import Actor
from core.errors import KeelError
from core.roles import Role
from incidents import selectors as incidents_selectors
from incidents.services import incident_acknowledge, incident_record
from oncall.models import (
    Escalation,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Page,
    Schedule,
)

from ..bounds import (
    ESCALATE_AFTER_MINUTES_MAX,
    ESCALATE_AFTER_MINUTES_MIN,
    STEPS_MAX,
    TARGETS_PER_STEP_MAX,
)
from ..choices import EscalationState, TargetKind
from ..models.escalation import MAX_REPEATS
from ._common import now, require
from .fallback import create_pages, step_recipients_safe


@dataclass(frozen=True)
class TargetSpec:
    """A step's target as given by a form or the API."""

    kind: str
    schedule: Schedule | None = None
    user: Any = None
    team: Team | None = None


@dataclass(frozen=True)
class StepSpec:
    escalate_after_minutes: int
    targets: Sequence[TargetSpec]


def _check_steps(team: Team, steps: Sequence[StepSpec]) -> None:
    if not steps:
        raise KeelError("A policy needs at least one step.", field="steps")
    if len(steps) > STEPS_MAX:
        raise KeelError(f"A policy has at most {STEPS_MAX} steps.", field="steps")
    for number, step in enumerate(steps, start=1):
        if (
            not ESCALATE_AFTER_MINUTES_MIN
            <= step.escalate_after_minutes
            <= (ESCALATE_AFTER_MINUTES_MAX)
        ):
            raise KeelError(
                f"Step {number}: escalate after {ESCALATE_AFTER_MINUTES_MIN} to "
                f"{ESCALATE_AFTER_MINUTES_MAX} minutes.",
                field="steps",
            )
        if not step.targets:
            raise KeelError(f"Step {number} notifies nobody; add a target.", field="steps")
        if len(step.targets) > TARGETS_PER_STEP_MAX:
            raise KeelError(
                f"Step {number}: at most {TARGETS_PER_STEP_MAX} targets.", field="steps"
            )
        for target in step.targets:
            given: dict[str, Any] = {
                TargetKind.SCHEDULE: target.schedule,
                TargetKind.USER: target.user,
                TargetKind.TEAM: target.team,
            }
            if target.kind not in given or given[target.kind] is None:
                raise KeelError(
                    f"Step {number}: a {target.kind} target needs its {target.kind}.", field="steps"
                )
            if (
                target.kind == TargetKind.SCHEDULE
                and target.schedule is not None
                and target.schedule.team_id != team.pk
            ):
                raise KeelError(
                    f"Step {number}: {target.schedule} belongs to another team.", field="steps"
                )


def _write_steps(policy: EscalationPolicy, steps: Sequence[StepSpec]) -> None:
    policy.steps.all().delete()
    for position, spec in enumerate(steps):
        step = EscalationStep.objects.create(
            policy=policy, position=position, escalate_after_minutes=spec.escalate_after_minutes
        )
        EscalationTarget.objects.bulk_create(
            EscalationTarget(
                step=step,
                kind=t.kind,
                schedule=t.schedule if t.kind == TargetKind.SCHEDULE else None,
                user=t.user if t.kind == TargetKind.USER else None,
                team=t.team if t.kind == TargetKind.TEAM else None,
            )
            for t in spec.targets
        )


def _set_services(policy: EscalationPolicy, services: Sequence[Any]) -> None:
    """A policy pages for services of its own team only, and a service has one policy."""
    for service in services:
        if service.owner_id != policy.team_id:
            raise KeelError(f"{service} is not owned by {policy.team}.", field="services")
        taken = service.escalation_policies.exclude(pk=policy.pk).first()
        if taken is not None:
            raise KeelError(
                f"{service} is paged by the policy {taken.name!r} already.", field="services"
            )
    policy.services.set(services)


@transaction.atomic
def policy_create(
    *,
    user: Any,
    team: Team,
    name: str,
    steps: Sequence[StepSpec],
    repeat: int = 0,
    is_default: bool = True,
    services: Sequence[Any] = (),
) -> EscalationPolicy:
    require(user, Role.ADMIN)
    if not 0 <= repeat <= MAX_REPEATS:
        raise KeelError(f"Repeat 0 to {MAX_REPEATS} times.", field="repeat")
    if EscalationPolicy.objects.filter(team=team, name=name).exists():
        raise KeelError(f"{team} has a policy named {name!r} already.", field="name")
    _check_steps(team, steps)
    if is_default:
        EscalationPolicy.objects.filter(team=team, is_default=True).update(is_default=False)
    policy = EscalationPolicy.objects.create(
        team=team, name=name, repeat=repeat, is_default=is_default
    )
    _write_steps(policy, steps)
    _set_services(policy, services)
    return policy


@transaction.atomic
def policy_update(
    *,
    user: Any,
    policy: EscalationPolicy,
    name: str,
    steps: Sequence[StepSpec],
    repeat: int,
    is_default: bool,
    services: Sequence[Any] | None = None,
) -> EscalationPolicy:
    """Replace a policy's settings and steps (and services, when given). Running
    escalations read the new steps."""
    require(user, Role.ADMIN)
    if not 0 <= repeat <= MAX_REPEATS:
        raise KeelError(f"Repeat 0 to {MAX_REPEATS} times.", field="repeat")
    if EscalationPolicy.objects.filter(team=policy.team, name=name).exclude(pk=policy.pk).exists():
        raise KeelError(f"{policy.team} has a policy named {name!r} already.", field="name")
    _check_steps(policy.team, steps)
    if is_default and not policy.is_default:
        EscalationPolicy.objects.filter(team=policy.team, is_default=True).update(is_default=False)
    policy.name, policy.repeat, policy.is_default = name, repeat, is_default
    policy.save(update_fields=["name", "repeat", "is_default"])
    _write_steps(policy, steps)
    if services is not None:
        _set_services(policy, services)
    return policy


@transaction.atomic
def policy_delete(*, user: Any, policy: EscalationPolicy) -> None:
    require(user, Role.ADMIN)
    policy.delete()


# --- running an escalation -------------------------------------------------------------


def policies_for_incident(incident: Any) -> list[EscalationPolicy]:
    """One policy per team owning any of the incident's services, teams by slug: the
    team's policy of the first of those services (by slug) that has its own, else the
    team's default policy. Teams without either page nobody."""
    services = list(
        incidents_selectors.incident_services(incident=incident)
        .filter(owner__isnull=False)
        .order_by("owner__slug", "slug")
    )
    own: dict[int, EscalationPolicy] = {}
    for policy in (
        EscalationPolicy.objects.filter(services__in=services)
        .annotate(first_service=Min("services__slug"))
        .order_by("first_service", "pk")
    ):
        own.setdefault(policy.team_id, policy)
    defaults = {
        p.team_id: p
        for p in EscalationPolicy.objects.filter(
            team_id__in={s.owner_id for s in services}, is_default=True
        )
    }
    policies: list[EscalationPolicy] = []
    for team_id in dict.fromkeys(s.owner_id for s in services):
        chosen = own.get(team_id) or defaults.get(team_id)
        if chosen is not None:
            policies.append(chosen)
    return policies


def policy_for_incident(incident: Any) -> EscalationPolicy | None:
    """The policy of the first owning team (see `policies_for_incident`)."""
    policies = policies_for_incident(incident)
    return policies[0] if policies else None


@transaction.atomic
def escalation_start(
    *, incident: Any, at: datetime | None = None, restart: bool = False
) -> list[Escalation]:
    """Start one escalation per owning team's policy; the new runs, to be stepped.

    A policy that has run for the incident already is not started again, unless
    `restart` (the incident reopened): then it starts over from its first step, its
    earlier acknowledgement no longer counting. A run still going is never doubled."""
    when = now(at)
    if restart:
        incident.refresh_from_db(fields=["status", "acknowledged_at", "last_acknowledged_at"])
        if not incident.is_open:
            return []
    started = []
    for policy in policies_for_incident(incident):
        if not policy.steps.exists():
            continue
        runs = Escalation.objects.filter(incident=incident, policy=policy)
        if runs.filter(state=EscalationState.RUNNING).exists():
            continue
        if runs.exists() and not restart:
            continue
        try:
            with transaction.atomic():
                escalation = Escalation.objects.create(
                    incident=incident,
                    policy=policy,
                    started_at=when,
                    next_at=when,
                    acknowledgements_after=when if restart else None,
                )
        except IntegrityError:  # a concurrent start of the same policy won
            continue
        started.append(escalation)
    return started


def _stop(escalation: Escalation, state: str, at: datetime) -> None:
    escalation.state = state
    escalation.stopped_at = at
    escalation.next_at = None
    escalation.save(update_fields=["state", "stopped_at", "next_at"])


def acknowledged_at(escalation: Escalation, incident: Any) -> datetime | None:
    """When the incident was acknowledged as far as this run is concerned: the
    incident's acknowledgement, or for a run restarted by a reopen, a later one (a
    page acknowledged since, or the incident's if it is that recent)."""
    after = escalation.acknowledgements_after
    if after is None:
        return cast(datetime | None, incident.acknowledged_at)
    if incident.last_acknowledged_at is not None and incident.last_acknowledged_at >= after:
        return cast(datetime, incident.last_acknowledged_at)
    return cast(
        datetime | None,
        Page.objects.filter(incident=incident, acknowledged_at__gte=after)
        .order_by("acknowledged_at")
        .values_list("acknowledged_at", flat=True)
        .first(),
    )


@transaction.atomic
def escalation_stop_if_done(
    *, incident: Any, at: datetime | None = None, acknowledged: datetime | None = None
) -> list[Escalation]:
    """Stop the running escalations of an acknowledged or no longer open incident.
    `acknowledged`: someone acknowledged just now through a page."""
    escalations = list(
        Escalation.objects.select_for_update()
        .filter(incident=incident, state=EscalationState.RUNNING)
        .order_by("pk")
    )
    if not escalations:
        return []
    incident.refresh_from_db(fields=["status", "acknowledged_at", "last_acknowledged_at"])
    for escalation in escalations:
        when_acknowledged = acknowledged_at(escalation, incident) or acknowledged
        if when_acknowledged is not None:
            _stop(escalation, EscalationState.ACKNOWLEDGED, now(at))
            Page.objects.filter(escalation=escalation, acknowledged_at__isnull=True).update(
                acknowledged_at=when_acknowledged
            )
        elif not incident.is_open:
            _stop(escalation, EscalationState.RESOLVED, now(at))
    return escalations


@transaction.atomic
def escalation_acknowledge(*, user: Any, incident: Any, at: datetime | None = None) -> int:
    """Stop paging for an incident: acknowledge it (a reopened incident asks again) and
    stop its running escalations now. The number of runs stopped."""

    require(user, Role.RESPONDER)
    when = now(at)
    running = Escalation.objects.filter(incident=incident, state=EscalationState.RUNNING)
    if not running.exists():
        raise KeelError("Nobody is being paged for this incident.")
    try:
        incident = incident_acknowledge(incident=incident, actor=Actor.of(user), at=when)
    except KeelError as exc:
        raise KeelError(exc.message) from exc
    stopped = [
        e
        for e in escalation_stop_if_done(incident=incident, at=when, acknowledged=when)
        if e.state == EscalationState.ACKNOWLEDGED
    ]
    if stopped:
        incident_record(
            incident=incident,
            kind="paged",
            actor=Actor.of(user),
            text=f"{user} acknowledged the pages; escalation stopped.",
            data={"acknowledged": True, "escalations": [e.pk for e in stopped]},
            at=when,
        )
    return len(stopped)


@dataclass
class StepOutcome:
    """What running a step did: the pages to deliver, and when the next step is due."""

    pages: list[Page]
    next_position: int | None
    next_round: int | None
    next_delay: timedelta | None


@transaction.atomic
def escalation_run_step(
    *, escalation_id: int, position: int, round: int, at: datetime | None = None
) -> StepOutcome | None:
    """Run step `position` of round `round`, if the escalation still waits for exactly
    that step and the incident still needs someone; None when there is nothing to do
    (a repeated or stale task, an acknowledged or resolved incident)."""

    when = now(at)
    escalation = (
        Escalation.objects.select_for_update(of=("self",))
        .select_related("policy", "incident")
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None or escalation.state != EscalationState.RUNNING:
        return None
    if (escalation.next_position, escalation.round) != (position, round):
        return None
    incident = escalation.incident
    if acknowledged_at(escalation, incident) is not None or not incident.is_open:
        escalation_stop_if_done(incident=incident, at=when)
        return None
    policy = escalation.policy
    step = policy.steps.filter(position=position).first() if policy else None
    if policy is None or step is None:
        _stop(escalation, EscalationState.EXHAUSTED, when)
        return None
    found = step_recipients_safe(step, when)
    recipients = found.people
    pages = create_pages(
        incident=incident,
        escalation=escalation,
        position=position,
        round=round,
        recipients=recipients,
        at=when,
    )
    names = ", ".join(str(p) for p in recipients) or "nobody (no one on call, no contact method)"
    text = (
        f"Escalation step {position + 1}"
        + (f" (repeat {round})" if round else "")
        + f": paged {names}."
    )
    if found.degraded:
        text += " Paging is degraded: " + "; ".join(found.problems) + "."
    data: dict[str, Any] = {
        "step": position + 1,
        "round": round,
        "users": [p.pk for p in recipients],
        "pages": [p.pk for p in pages],
    }
    if found.degraded:
        data.update(degraded=True, fallback=found.fell_back_to, errors=found.errors)
    incident_record(
        incident=incident, kind="paged", actor=Actor.system(), text=text, data=data, at=when
    )
    last = policy.steps.order_by("-position").values_list("position", flat=True).first() or 0
    if position < last:
        next_position, next_round = position + 1, round
    elif round < policy.repeat:
        next_position, next_round = 0, round + 1
    else:
        _stop(escalation, EscalationState.EXHAUSTED, when)
        return StepOutcome(pages=pages, next_position=None, next_round=None, next_delay=None)
    delay = timedelta(minutes=step.escalate_after_minutes)
    escalation.next_position, escalation.round = next_position, next_round
    escalation.next_at = when + delay
    escalation.save(update_fields=["next_position", "round", "next_at"])
    return StepOutcome(
        pages=pages, next_position=next_position, next_round=next_round, next_delay=delay
    )


def escalations_overdue(
    *, at: datetime | None = None, grace: timedelta = timedelta(seconds=30)
) -> list[tuple[int, int, int]]:
    """(escalation, position, round) of running escalations whose next step is overdue
    by more than `grace` (a countdown task normally runs it on time)."""
    return list(
        Escalation.objects.filter(
            state=EscalationState.RUNNING, next_at__lte=now(at) - grace
        ).values_list("pk", "next_position", "round")
    )
