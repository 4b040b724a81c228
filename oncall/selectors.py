"""Reads: schedules as rotation math input, who is on call, pages, handoffs, health."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from catalog.models import Team
from catalog.selectors import team_list as team_list  # the on-call pages list teams
from core.roles import Role, require_role, role_of
from oncall.models import (
    EscalationPolicy,
    EscalationStep,
    Handoff,
    Layer,
    LayerParticipant,
    Override,
    Page,
    Schedule,
)

from . import rotation


def _viewer(user: Any) -> None:
    if user is not None:
        require_role(user, Role.VIEWER)


def schedule_list(*, user: Any, team: Team | None = None) -> QuerySet[Schedule]:
    _viewer(user)
    qs = Schedule.objects.select_related("team").prefetch_related(
        Prefetch(
            "layers",
            queryset=Layer.objects.prefetch_related(
                Prefetch("participants", queryset=LayerParticipant.objects.select_related("user"))
            ),
        )
    )
    return qs.filter(team=team) if team is not None else qs


def policy_list(*, user: Any, team: Team | None = None) -> QuerySet[EscalationPolicy]:
    _viewer(user)
    qs = EscalationPolicy.objects.select_related("team").prefetch_related(
        "services",
        Prefetch(
            "steps",
            queryset=EscalationStep.objects.prefetch_related(
                "targets__schedule__team", "targets__user", "targets__team"
            ),
        ),
    )
    return qs.filter(team=team) if team is not None else qs


def to_rotation_layer(layer: Layer) -> rotation.Layer:
    participants = sorted(layer.participants.all(), key=lambda p: p.position)
    restriction = None
    if layer.is_restricted:
        start = layer.restriction_start
        end = layer.restriction_end
        restriction = rotation.Restriction(
            weekdays=frozenset(layer.weekdays) if len(layer.weekdays) < 7 else frozenset(),
            start=start if start is not None else time(0),
            end=end if end is not None else time(0),
        )
    return rotation.Layer(
        participants=tuple(p.user_id for p in participants),
        shift_length=layer.shift_length,
        shift_unit=layer.shift_unit,
        anchor=layer.handoff_at,
        start=layer.starts_at,
        end=layer.ends_at,
        restriction=restriction,
    )


def schedule_overrides(schedule: Schedule, start: datetime, end: datetime) -> list[Override]:
    return list(
        Override.objects.filter(schedule=schedule, starts_at__lt=end, ends_at__gt=start)
        .select_related("user")
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class ScheduleError:
    """Part of a schedule (a layer, or its overrides when `layer` is None) whose shifts
    could not be worked out; shown where the schedule is, and paging falls back."""

    schedule: Schedule
    layer: Layer | None
    message: str

    @property
    def where(self) -> str:
        if self.layer is None:
            return f"the overrides of {self.schedule}"
        return f'layer {self.layer.position + 1} "{self.layer.name}" of {self.schedule}'

    @property
    def text(self) -> str:
        hint = " (check its shift length, handoff time and dates)" if self.layer else ""
        return f"Cannot work out {self.where}: {self.message}{hint}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule.pk,
            "layer": self.layer.pk if self.layer is not None else None,
            "layer_name": self.layer.name if self.layer is not None else None,
            "message": self.text,
        }


@dataclass(frozen=True)
class ScheduleFinal:
    """The final schedule (`who` is a user id) from what could be worked out."""

    shifts: list[rotation.Shift]
    errors: list[ScheduleError]


def _rotation_layer(layer: Layer, index: int) -> rotation.Layer | rotation.LayerError:
    try:
        return to_rotation_layer(layer)
    except Exception as exc:  # bad stored values: reported, never a crash
        return rotation.LayerError(index, rotation.error_text(exc))


def schedule_resolve(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    overrides: Sequence[Override] | None = None,
    layers: Sequence[Layer] | None = None,
) -> ScheduleFinal:
    """The final schedule in [start, end). Never fails because of a layer: one that
    cannot be worked out is left out and named in `errors`."""
    if layers is None:
        layers = sorted(schedule.layers.all(), key=lambda layer: layer.position)
    if overrides is None:
        overrides = schedule_overrides(schedule, start, end)
    covers: list[rotation.Override] = []
    bad_overrides: list[str] = []
    for o in overrides:
        try:
            covers.append(rotation.Override(o.starts_at, o.ends_at, o.user_id))
        except Exception as exc:
            bad_overrides.append(f"override {o.pk}: {rotation.error_text(exc)}")
    resolved = rotation.resolve(
        [_rotation_layer(layer, i) for i, layer in enumerate(layers)],
        covers,
        start,
        end,
        schedule.time_zone,
    )
    errors = [
        ScheduleError(schedule, layers[e.layer] if e.layer is not None else None, e.message)
        for e in resolved.errors
    ]
    if bad_overrides:
        errors.append(ScheduleError(schedule, None, "; ".join(bad_overrides)))
    return ScheduleFinal(resolved.shifts, errors)


def schedule_final(
    schedule: Schedule,
    start: datetime,
    end: datetime,
    *,
    overrides: Sequence[Override] | None = None,
    layers: Sequence[Layer] | None = None,
) -> list[rotation.Shift]:
    """The shifts of `schedule_resolve`, for callers that show errors elsewhere."""
    return schedule_resolve(schedule, start, end, overrides=overrides, layers=layers).shifts


def on_call_user_ids(schedule: Schedule, at: datetime) -> list[int]:
    return [
        int(s.who) for s in schedule_resolve(schedule, at, at + timedelta(microseconds=1)).shifts
    ]


def on_call_at(schedule: Schedule, at: datetime) -> ScheduleFinal:
    """Who is on call at `at` (at most one shift), and what could not be worked out."""
    return schedule_resolve(schedule, at, at + timedelta(microseconds=1))


@dataclass
class OnCallNow:
    """Who is on call for a schedule now, and who is next; `errors`: the layers that
    could not be worked out (the rest of the schedule still counts)."""

    schedule: Schedule
    now: Any
    now_until: datetime | None
    next: Any
    next_from: datetime | None
    errors: list[ScheduleError] = field(default_factory=list)

    @property
    def error_list(self) -> list[dict[str, Any]]:
        return [e.as_dict() for e in self.errors]


def oncall_now(*, schedules: Iterable[Schedule], at: datetime | None = None) -> list[OnCallNow]:
    """Now and next for each schedule (prefetched with schedule_list)."""
    at = at or timezone.now()
    horizon = at + timedelta(days=90)
    schedules = list(schedules)
    by_schedule: dict[int, list[Override]] = {}
    for override in Override.objects.filter(
        schedule__in=schedules, starts_at__lt=horizon, ends_at__gt=at
    ).order_by("starts_at", "id"):
        by_schedule.setdefault(override.schedule_id, []).append(override)
    rows = []
    wanted: set[int] = set()
    raw = []
    for schedule in schedules:
        layers = sorted(schedule.layers.all(), key=lambda layer: layer.position)
        final = schedule_resolve(
            schedule, at, horizon, layers=layers, overrides=by_schedule.get(schedule.pk, [])
        )
        shifts = rotation.merge_people(final.shifts)
        current = shifts[0] if shifts and shifts[0].start <= at else None
        following = next(
            (s for s in shifts if s.start > at and (current is None or s.who != current.who)), None
        )
        raw.append((schedule, current, following, final.errors))
        wanted.update(int(s.who) for s in (current, following) if s is not None)
    people = {u.pk: u for u in get_user_model().objects.filter(pk__in=wanted)}
    for schedule, current, following, errors in raw:
        rows.append(
            OnCallNow(
                schedule=schedule,
                now=people.get(int(current.who)) if current else None,
                now_until=current.end if current else None,
                next=people.get(int(following.who)) if following else None,
                next_from=following.start if following else None,
                errors=errors,
            )
        )
    return rows


def page_list(*, user: Any) -> QuerySet[Page]:
    _viewer(user)
    return Page.objects.select_related("incident", "user", "contact_method")


def page_list_for_incident(*, incident: Any) -> list[Page]:
    return list(
        Page.objects.filter(incident=incident)
        .select_related("user", "escalation")
        .order_by("created_at", "id")
    )


def handoff_list(*, user: Any) -> QuerySet[Handoff]:
    _viewer(user)
    return Handoff.objects.select_related("schedule__team", "outgoing", "incoming")


def handoff_latest(*, user: Any, at: datetime, team: Team | None = None) -> Handoff | None:
    """The last handoff at or before `at`, of any team's schedule or of `team`'s."""
    rows = handoff_list(user=user).filter(shift_start__lte=at)
    if team is not None:
        rows = rows.filter(schedule__team=team)
    return rows.order_by("-shift_start", "-id").first()


def can_configure(user: Any) -> bool:
    return role_of(user) >= Role.ADMIN


def can_respond(user: Any) -> bool:
    return role_of(user) >= Role.RESPONDER


def delivery_error_for(user: Any, *, owner_id: int | None, error: str) -> str:
    """A page's or reminder's delivery error as `user` may see it: the person paged and
    responders and up see it; to other viewers it is hidden (it would tell them how
    someone's webhook answers)."""
    if not error or user is None or not getattr(user, "is_authenticated", False):
        return ""
    if user.pk == owner_id or role_of(user) >= Role.RESPONDER:
        return error
    return ""


def users_by_id(ids: Iterable[int]) -> dict[int, Any]:
    return {u.pk: u for u in get_user_model().objects.filter(pk__in=list(ids))}
