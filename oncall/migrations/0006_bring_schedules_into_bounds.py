"""Bring schedules' out-of-range values into Keel's bounds before 0007 adds the check
constraints that keep them there.

No schedule, layer or participant is deleted. A layer keeps its rotation: a handoff time
outside 1970-2200 moves by whole rounds of the rotation (every participant's shift), so
the same people are on call at the same times; a shift longer than a year is cut to a
year. Only an override that lies wholly outside 1970-2200 is removed (it never covers
anyone); others are cut to the range and to at most 366 days. Each change is logged and
noted at the end of its schedule's description (shown in the admin).

The limits are copied here on purpose: a migration must not change when the code does.
"""

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import migrations
from django.db.models import Count, F, Q

logger = logging.getLogger("oncall.migrations")

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
END = datetime(2201, 1, 1, tzinfo=UTC)
LATEST = END - timedelta(minutes=1)
SHIFT_LENGTH_MAX = {"hours": 24 * 366, "days": 366, "weeks": 52}
UNIT = {"hours": timedelta(hours=1), "days": timedelta(days=1), "weeks": timedelta(weeks=1)}
OVERRIDE_LONGEST = timedelta(days=366)
# Local wall-clock bounds a day inside the range, so the instant is in range in any zone.
LOCAL_LOW = datetime(1970, 1, 2)
LOCAL_HIGH = datetime(2200, 12, 30)


def _in_range(value):
    return value is not None and EARLIEST <= value < END


def _clamp(value):
    return min(max(value, EARLIEST), LATEST)


def move_anchor(anchor, *, step, participants, zone):
    """`anchor` moved into the range by whole rounds of the rotation, in local wall-clock
    time as the rotation counts it; clamped when one round is longer than the range."""
    period = step * max(participants, 1)
    try:
        local = anchor.astimezone(zone).replace(tzinfo=None)
    except OverflowError:  # year 1 in a zone west of UTC
        local = anchor.replace(tzinfo=None)
    if local < LOCAL_LOW:
        local += period * -((local - LOCAL_LOW) // period)
    elif local > LOCAL_HIGH:
        local -= period * -((LOCAL_HIGH - local) // period)
    try:
        moved = local.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError:
        moved = anchor
    return moved if _in_range(moved) else _clamp(anchor)


def _text(value):
    if value is None:
        return "none"
    return f"{value.year:04d}-{value:%m-%d %H:%M} UTC"  # %Y drops a year's leading zeros


def repair_layer(layer, participants, zone):
    """Change `layer` in place; a list of what changed, in words."""
    changes = []
    longest = SHIFT_LENGTH_MAX.get(layer.shift_unit)
    if longest is not None and layer.shift_length > longest:
        changes.append(
            f"shift length {layer.shift_length} {layer.shift_unit} -> {longest} {layer.shift_unit}"
        )
        layer.shift_length = longest
    if not _in_range(layer.handoff_at) and layer.shift_unit in UNIT:
        moved = move_anchor(
            layer.handoff_at,
            step=UNIT[layer.shift_unit] * layer.shift_length,
            participants=participants,
            zone=zone,
        )
        changes.append(f"handoff time {_text(layer.handoff_at)} -> {_text(moved)}")
        layer.handoff_at = moved
    if layer.ends_at is not None and layer.ends_at < EARLIEST:  # ended before 1970
        changes.append(f"ended {_text(layer.ends_at)}: now 1970-01-01 00:00-00:01 UTC")
        layer.starts_at, layer.ends_at = EARLIEST, EARLIEST + timedelta(minutes=1)
    if not _in_range(layer.starts_at):
        start = _clamp(layer.starts_at)
        changes.append(f"start {_text(layer.starts_at)} -> {_text(start)}")
        layer.starts_at = start
    if layer.ends_at is not None and layer.ends_at >= END:
        changes.append(f"end {_text(layer.ends_at)} -> open-ended")
        layer.ends_at = None
    if layer.ends_at is not None and layer.ends_at <= layer.starts_at:
        layer.ends_at = layer.starts_at + timedelta(minutes=1)
        if layer.ends_at >= END:
            layer.starts_at, layer.ends_at = LATEST - timedelta(minutes=1), LATEST
    for name in ("restriction_start", "restriction_end"):
        value = getattr(layer, name)
        if value is not None and (value.second or value.microsecond):
            whole = value.replace(second=0, microsecond=0)
            changes.append(f"{name.replace('_', ' ')} {value} -> {whole:%H:%M}")
            setattr(layer, name, whole)
    return changes


def repair_override(override):
    """Change `override` in place; (what changed or None, whether to delete it)."""
    before = f"{_text(override.starts_at)} - {_text(override.ends_at)}"
    if override.ends_at <= EARLIEST or override.starts_at >= END:
        return f"override {before} removed: it lies wholly outside 1970-2200", True
    start = max(override.starts_at, EARLIEST)
    end = min(override.ends_at, LATEST, start + OVERRIDE_LONGEST)
    if end <= start:
        start = end - timedelta(minutes=1)
    if (start, end) == (override.starts_at, override.ends_at):
        return None, False
    override.starts_at, override.ends_at = start, end
    return f"override {before} -> {_text(start)} - {_text(end)}", False


def forwards(apps, schema_editor):
    Layer = apps.get_model("oncall", "Layer")
    Override = apps.get_model("oncall", "Override")
    Schedule = apps.get_model("oncall", "Schedule")
    outside = lambda name: Q(**{f"{name}__lt": EARLIEST}) | Q(**{f"{name}__gte": END})  # noqa: E731
    too_long = Q()
    for unit, longest in SHIFT_LENGTH_MAX.items():
        too_long |= Q(shift_unit=unit, shift_length__gt=longest)
    layers = (
        Layer.objects.filter(
            too_long
            | outside("handoff_at")
            | outside("starts_at")
            | outside("ends_at")
            | Q(restriction_start__second__gt=0)
            | Q(restriction_end__second__gt=0)
        )
        .annotate(people=Count("participants"))
        .select_related("schedule")
    )
    notes = {}
    for layer in layers:
        zone = ZoneInfo(layer.schedule.time_zone)
        changes = repair_layer(layer, layer.people, zone)
        if changes:
            layer.save()
            notes.setdefault(layer.schedule_id, []).append(
                f"layer {layer.name!r}: {'; '.join(changes)}"
            )
    overrides = Override.objects.filter(
        outside("starts_at")
        | outside("ends_at")
        | Q(ends_at__gt=F("starts_at") + OVERRIDE_LONGEST)
    )
    for override in overrides:
        change, remove = repair_override(override)
        if remove:
            override.delete()
        elif change:
            override.save()
        if change:
            notes.setdefault(override.schedule_id, []).append(change)
    stamp = f"{datetime.now(UTC):%Y-%m-%d}"
    for schedule in Schedule.objects.filter(pk__in=notes):
        lines = "\n".join(f"- {line}" for line in notes[schedule.pk])
        logger.warning("Schedule %s brought into Keel's bounds:\n%s", schedule.pk, lines)
        schedule.description = (
            f"{schedule.description}\n\n" if schedule.description else ""
        ) + f"Values outside Keel's bounds were adjusted on upgrade ({stamp}):\n{lines}"
        schedule.save(update_fields=["description"])


class Migration(migrations.Migration):
    dependencies = [("oncall", "0005_reopen_teams_working_hours_reminders")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
