"""Schedules, their layers (rotations) and overrides."""

import operator
from datetime import time
from functools import reduce

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from catalog.choices import WEEKDAY_NAMES
from catalog.models.team import Team, validate_time_zone
from core.bounds import RANGE_TEXT
from core.validators import datetime_in_range, validate_keel_datetime, validate_whole_minutes

from ..bounds import (
    OVERRIDE_LONGEST,
    SHIFT_LENGTH_MAX,
    SHIFT_LENGTH_MESSAGE,
    SHIFT_LENGTH_TEXT,
    shift_length_problem,
)
from ..choices import ShiftUnit

ALL_WEEKDAYS = 0b1111111

SHIFT_LENGTH_WITHIN_A_YEAR = reduce(
    operator.or_,
    (Q(shift_unit=unit, shift_length__lte=longest) for unit, longest in SHIFT_LENGTH_MAX.items()),
)


class Schedule(models.Model):
    """Who is on call for a team, e.g. "primary" or "secondary": ordered layers, with
    overrides on top, read in the schedule's time zone."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="schedules")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__slug", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="schedule_name_unique_in_team")
        ]

    def __str__(self) -> str:
        return f"{self.team.slug}/{self.name}"


class Layer(models.Model):
    """A rotation: participants take turns in shifts of `shift_length` units, handing
    off at `handoff_at` (and every shift length before and after it, in local wall-clock
    time). Optional restriction: only on some weekdays and between two times of day.
    A higher `position` wins where it has someone."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    shift_length = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(max(SHIFT_LENGTH_MAX.values()))],
        help_text=f"At most {SHIFT_LENGTH_TEXT}.",
    )
    shift_unit = models.CharField(max_length=5, choices=ShiftUnit.choices, default=ShiftUnit.WEEKS)
    handoff_at = models.DateTimeField(
        validators=[validate_keel_datetime],
        help_text="One handoff instant, e.g. a Monday at 09:00.",
    )
    starts_at = models.DateTimeField(validators=[validate_keel_datetime])
    ends_at = models.DateTimeField(null=True, blank=True, validators=[validate_keel_datetime])
    restriction_weekdays = models.PositiveSmallIntegerField(
        default=ALL_WEEKDAYS, help_text="Bit i set: applies on weekday i (0 = Monday)."
    )
    restriction_start = models.TimeField(null=True, blank=True, validators=[validate_whole_minutes])
    restriction_end = models.TimeField(null=True, blank=True, validators=[validate_whole_minutes])

    class Meta:
        ordering = ["schedule", "position"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "position"], name="layer_position_unique"),
            models.CheckConstraint(
                condition=Q(shift_length__gte=1), name="layer_shift_length_positive"
            ),
            models.CheckConstraint(
                condition=Q(shift_unit__in=ShiftUnit.values), name="layer_shift_unit_valid"
            ),
            models.CheckConstraint(
                condition=Q(ends_at__isnull=True) | Q(ends_at__gt=F("starts_at")),
                name="layer_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(restriction_weekdays__gte=1, restriction_weekdays__lte=ALL_WEEKDAYS),
                name="layer_restriction_weekdays_valid",
            ),
            models.CheckConstraint(
                condition=Q(restriction_start__isnull=True, restriction_end__isnull=True)
                | Q(restriction_start__isnull=False, restriction_end__isnull=False),
                name="layer_restriction_hours_both_or_neither",
            ),
            models.CheckConstraint(
                condition=SHIFT_LENGTH_WITHIN_A_YEAR,
                name="layer_shift_length_at_most_a_year",
                violation_error_message=SHIFT_LENGTH_MESSAGE,
            ),
            models.CheckConstraint(
                condition=datetime_in_range("handoff_at"),
                name="layer_handoff_at_in_range",
                violation_error_message=f"The handoff time must lie between {RANGE_TEXT}.",
            ),
            models.CheckConstraint(
                condition=datetime_in_range("starts_at"),
                name="layer_starts_at_in_range",
                violation_error_message=f"The layer's start must lie between {RANGE_TEXT}.",
            ),
            models.CheckConstraint(
                condition=datetime_in_range("ends_at", nullable=True),
                name="layer_ends_at_in_range",
                violation_error_message=f"The layer's end must lie between {RANGE_TEXT}.",
            ),
            models.CheckConstraint(
                condition=(Q(restriction_start__isnull=True) | Q(restriction_start__second=0))
                & (Q(restriction_end__isnull=True) | Q(restriction_end__second=0)),
                name="layer_restriction_hours_whole_minutes",
                violation_error_message="Restriction hours are whole minutes.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} #{self.position} {self.name}"

    def clean(self) -> None:
        if self.shift_unit not in SHIFT_LENGTH_MAX or self.shift_length is None:
            return  # the fields' own validation says what is wrong
        problem = shift_length_problem(self.shift_length, self.shift_unit)
        if problem is not None:
            raise ValidationError({"shift_length": problem})

    @property
    def shift_text(self) -> str:
        """E.g. "1 week", "12 hours"."""
        unit = self.shift_unit[:-1] if self.shift_length == 1 else self.shift_unit
        return f"{self.shift_length} {unit}"

    @property
    def weekdays(self) -> list[int]:
        return [d for d in range(7) if self.restriction_weekdays & (1 << d)]

    @property
    def is_restricted(self) -> bool:
        return self.restriction_weekdays != ALL_WEEKDAYS or self.restriction_start is not None

    @property
    def restriction_text(self) -> str:
        if not self.is_restricted:
            return "always"
        days = (
            "every day"
            if self.restriction_weekdays == ALL_WEEKDAYS
            else ", ".join(WEEKDAY_NAMES[d] for d in self.weekdays)
        )
        start: time | None = self.restriction_start
        end: time | None = self.restriction_end
        if start is None or end is None:
            return days
        return f"{days} {start:%H:%M}-{end:%H:%M}"


class LayerParticipant(models.Model):
    """A person's turn in a layer's rotation order."""

    layer = models.ForeignKey(Layer, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["layer", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["layer", "position"], name="layer_participant_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.layer} {self.position}: {self.user}"


class Override(models.Model):
    """Someone covers [starts_at, ends_at) on a schedule, whoever the layers say.

    On PostgreSQL an exclusion constraint refuses overlapping overrides on one schedule
    (migration 0002); the service explains the conflict before it gets there.
    """

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oncall_overrides"
    )
    starts_at = models.DateTimeField(validators=[validate_keel_datetime])
    ends_at = models.DateTimeField(validators=[validate_keel_datetime])
    reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["schedule", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="override_ends_after_start"
            ),
            models.CheckConstraint(
                condition=datetime_in_range("starts_at") & datetime_in_range("ends_at"),
                name="override_in_range",
                violation_error_message=f"An override must lie between {RANGE_TEXT}.",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__lte=F("starts_at") + OVERRIDE_LONGEST),
                name="override_at_most_a_year",
                violation_error_message=(
                    f"An override may last at most {OVERRIDE_LONGEST.days} days."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["schedule", "starts_at", "ends_at"], name="override_time_idx")
        ]

    def __str__(self) -> str:
        return f"{self.user} covers {self.schedule} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at - self.starts_at > OVERRIDE_LONGEST:
            raise ValidationError(
                {"ends_at": f"An override may last at most {OVERRIDE_LONGEST.days} days."}
            )
