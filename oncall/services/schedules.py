"""Schedules, layers and overrides: configuration changes (teams are catalog's, re-exported
here for the on-call pages)."""

from collections.abc import Sequence
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction

from catalog.models import Team
from catalog.services import check_zone as _check_zone
from core.bounds import OutOfBounds
from core.errors import KeelError
from core.roles import Role
from oncall.models import Layer, LayerParticipant, Override, Schedule

from ..bounds import PARTICIPANTS_MAX, check_layer_values, check_override_span
from ..choices import ShiftUnit
from ..models.schedules import ALL_WEEKDAYS
from ._common import now, require


@transaction.atomic
def schedule_create(
    *, user: Any, team: Team, name: str, time_zone: str | None = None, description: str = ""
) -> Schedule:
    require(user, Role.ADMIN)
    zone = _check_zone(time_zone or team.time_zone)
    if Schedule.objects.filter(team=team, name=name).exists():
        raise KeelError(f"{team} has a schedule named {name!r} already.", field="name")
    return Schedule.objects.create(team=team, name=name, time_zone=zone, description=description)


@transaction.atomic
def schedule_update(
    *,
    user: Any,
    schedule: Schedule,
    name: str | None = None,
    time_zone: str | None = None,
    description: str | None = None,
) -> Schedule:
    require(user, Role.ADMIN)
    fields = []
    if name is not None and name != schedule.name:
        if Schedule.objects.filter(team=schedule.team, name=name).exists():
            raise KeelError(f"{schedule.team} has a schedule named {name!r} already.", field="name")
        schedule.name = name
        fields.append("name")
    if time_zone is not None:
        schedule.time_zone = _check_zone(time_zone)
        fields.append("time_zone")
    if description is not None:
        schedule.description = description
        fields.append("description")
    if fields:
        schedule.save(update_fields=fields)
    return schedule


def _weekday_mask(weekdays: Sequence[int] | None) -> int:
    if not weekdays:
        return ALL_WEEKDAYS
    mask = 0
    for day in weekdays:
        if not 0 <= int(day) <= 6:
            raise KeelError("Weekdays are 0 (Monday) to 6 (Sunday).", field="restriction_weekdays")
        mask |= 1 << int(day)
    return mask


def _bounded(check: Any, **values: Any) -> None:
    """Run a pure bounds check; its refusal becomes the service's, naming the field."""
    try:
        check(**values)
    except OutOfBounds as exc:
        raise KeelError(exc.message, field=exc.field) from exc


def _check_layer(
    *,
    schedule: Schedule,
    participants: Sequence[Any],
    shift_length: int,
    shift_unit: str,
    handoff_at: datetime,
    starts_at: datetime,
    ends_at: datetime | None,
    restriction_start: time | None,
    restriction_end: time | None,
) -> None:
    if shift_unit not in ShiftUnit.values:
        raise KeelError(
            f"Shift unit must be one of {', '.join(ShiftUnit.values)}.", field="shift_unit"
        )
    _bounded(
        check_layer_values,
        shift_length=shift_length,
        shift_unit=shift_unit,
        handoff_at=handoff_at,
        starts_at=starts_at,
        ends_at=ends_at,
        restriction_start=restriction_start,
        restriction_end=restriction_end,
    )
    if ends_at is not None and ends_at <= starts_at:
        raise KeelError("The layer must end after it starts.", field="ends_at")
    if (restriction_start is None) != (restriction_end is None):
        raise KeelError("Give both restriction hours, or neither.", field="restriction_start")
    if not participants:
        raise KeelError("A layer needs at least one participant.", field="participants")
    if len(participants) > PARTICIPANTS_MAX:
        raise KeelError(
            f"A layer takes at most {PARTICIPANTS_MAX} participants.", field="participants"
        )
    members = set(schedule.team.members.values_list("pk", flat=True))
    outsiders = [str(p) for p in participants if p.pk not in members]
    if outsiders:
        raise KeelError(
            f"Not members of {schedule.team}: {', '.join(outsiders)}. Add them to the team first.",
            field="participants",
        )


def _set_participants(layer: Layer, participants: Sequence[Any]) -> None:
    layer.participants.all().delete()
    LayerParticipant.objects.bulk_create(
        LayerParticipant(layer=layer, user=person, position=i)
        for i, person in enumerate(participants)
    )


@transaction.atomic
def layer_create(
    *,
    user: Any,
    schedule: Schedule,
    name: str,
    participants: Sequence[Any],
    shift_length: int = 1,
    shift_unit: str = ShiftUnit.WEEKS,
    handoff_at: datetime,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    restriction_weekdays: Sequence[int] | None = None,
    restriction_start: time | None = None,
    restriction_end: time | None = None,
    position: int | None = None,
) -> Layer:
    """Add a layer on top of the schedule's layers (or at `position`, moving the ones at
    and above it up)."""
    require(user, Role.ADMIN)
    starts_at = starts_at or handoff_at
    _check_layer(
        schedule=schedule,
        participants=participants,
        shift_length=shift_length,
        shift_unit=shift_unit,
        handoff_at=handoff_at,
        starts_at=starts_at,
        ends_at=ends_at,
        restriction_start=restriction_start,
        restriction_end=restriction_end,
    )
    mask = _weekday_mask(restriction_weekdays)
    existing = list(
        Schedule.objects.select_for_update().get(pk=schedule.pk).layers.order_by("-position")
    )
    top = existing[0].position + 1 if existing else 0
    if position is None or position >= top:
        position = top
    else:
        for layer in existing:  # highest first, so the unique position never collides
            if layer.position >= position:
                layer.position += 1
                layer.save(update_fields=["position"])
    layer = Layer.objects.create(
        schedule=schedule,
        position=position,
        name=name,
        shift_length=shift_length,
        shift_unit=shift_unit,
        handoff_at=handoff_at,
        starts_at=starts_at,
        ends_at=ends_at,
        restriction_weekdays=mask,
        restriction_start=restriction_start,
        restriction_end=restriction_end,
    )
    _set_participants(layer, participants)
    return layer


@transaction.atomic
def layer_update(
    *,
    user: Any,
    layer: Layer,
    name: str,
    participants: Sequence[Any],
    shift_length: int,
    shift_unit: str,
    handoff_at: datetime,
    starts_at: datetime,
    ends_at: datetime | None = None,
    restriction_weekdays: Sequence[int] | None = None,
    restriction_start: time | None = None,
    restriction_end: time | None = None,
) -> Layer:
    require(user, Role.ADMIN)
    _check_layer(
        schedule=layer.schedule,
        participants=participants,
        shift_length=shift_length,
        shift_unit=shift_unit,
        handoff_at=handoff_at,
        starts_at=starts_at,
        ends_at=ends_at,
        restriction_start=restriction_start,
        restriction_end=restriction_end,
    )
    layer.name = name
    layer.shift_length = shift_length
    layer.shift_unit = shift_unit
    layer.handoff_at = handoff_at
    layer.starts_at = starts_at
    layer.ends_at = ends_at
    layer.restriction_weekdays = _weekday_mask(restriction_weekdays)
    layer.restriction_start = restriction_start
    layer.restriction_end = restriction_end
    layer.save()
    _set_participants(layer, participants)
    return layer


@transaction.atomic
def schedule_delete(*, user: Any, schedule: Schedule) -> None:
    """Remove a schedule with its layers and overrides (admins)."""
    require(user, Role.ADMIN)
    schedule.delete()


@transaction.atomic
def layer_delete(*, user: Any, layer: Layer) -> None:
    require(user, Role.ADMIN)
    layer.delete()


def _describe(override: Override, zone: str) -> str:
    tz = ZoneInfo(zone)
    return (
        f"{override.user} covers {override.starts_at.astimezone(tz):%Y-%m-%d %H:%M}-"
        f"{override.ends_at.astimezone(tz):%Y-%m-%d %H:%M} ({zone})"
    )


@transaction.atomic
def override_create(
    *,
    user: Any,
    schedule: Schedule,
    person: Any,
    starts_at: datetime,
    ends_at: datetime,
    reason: str = "",
    at: datetime | None = None,
) -> Override:
    """Let `person` cover [starts_at, ends_at). Overlapping another override of the same
    schedule is a conflict, explained and not saved."""
    require(user, Role.RESPONDER)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise KeelError("Give times with a time zone.", field="starts_at")
    if ends_at <= starts_at:
        raise KeelError("An override must end after it starts.", field="ends_at")
    _bounded(check_override_span, starts_at=starts_at, ends_at=ends_at)
    if ends_at <= now(at):
        raise KeelError("An override must not lie entirely in the past.", field="ends_at")
    if not schedule.team.members.filter(pk=person.pk).exists():
        raise KeelError(f"{person} is not a member of {schedule.team}.", field="user")
    Schedule.objects.select_for_update().get(pk=schedule.pk)
    clash = (
        Override.objects.filter(schedule=schedule, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .select_related("user")
        .first()
    )
    if clash is not None:
        raise KeelError(
            f"Conflicts with an existing override: {_describe(clash, schedule.time_zone)}. "
            "Shorten or delete that one first.",
            field="starts_at",
        )
    try:
        with transaction.atomic():
            return Override.objects.create(
                schedule=schedule,
                user=person,
                starts_at=starts_at,
                ends_at=ends_at,
                reason=reason,
                created_by=user,
            )
    except IntegrityError as exc:  # a concurrent override won the race
        raise KeelError(
            "Conflicts with an override saved at the same moment.", field="starts_at"
        ) from exc


@transaction.atomic
def override_delete(*, user: Any, override: Override) -> None:
    require(user, Role.RESPONDER)
    override.delete()
