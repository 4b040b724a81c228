"""Teams."""

import zoneinfo
from datetime import datetime, time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from catalog.choices import WEEKDAY_NAMES

WORKING_DAYS_DEFAULT = [0, 1, 2, 3, 4]


def default_working_days() -> list[int]:
    return list(WORKING_DAYS_DEFAULT)


def validate_working_days(value: object) -> None:
    if not isinstance(value, list) or not all(
        isinstance(day, int) and 0 <= day <= 6 for day in value
    ):
        raise ValidationError("Working days are weekday numbers, 0 (Monday) to 6 (Sunday).")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/Berlin).")


class Team(models.Model):
    """People who own services and share on-call for them."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone], help_text="IANA zone."
    )
    working_days = models.JSONField(
        default=default_working_days,
        validators=[validate_working_days],
        help_text="Weekdays of working hours, 0 = Monday.",
    )
    working_start = models.TimeField(default=time(9))
    working_end = models.TimeField(default=time(18))
    fallback_contacts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="fallback_for_teams",
        blank=True,
        help_text="Paged when Keel cannot work out who is on call for the team, or an "
        "incident of its services would page nobody (else Keel's admins are).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "oncall_team"  # kept from the app it was moved from
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=Q(working_start__lt=models.F("working_end")),
                name="team_working_hours_start_before_end",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def working_hours_label(self) -> str:
        """E.g. "Mon-Fri 09:00-18:00 Europe/Berlin"."""
        days = sorted(set(self.working_days))
        runs: list[str] = []
        start = 0
        while start < len(days):
            end = start
            while end + 1 < len(days) and days[end + 1] == days[end] + 1:
                end += 1
            first, last = WEEKDAY_NAMES[days[start]], WEEKDAY_NAMES[days[end]]
            runs.append(first if start == end else f"{first}-{last}")
            start = end + 1
        return (
            f"{', '.join(runs) or 'no days'} {self.working_start:%H:%M}-"
            f"{self.working_end:%H:%M} {self.time_zone}"
        )

    def is_off_hours(self, at: datetime) -> bool:
        """Outside the team's working days and hours, in the team's zone."""
        local = at.astimezone(zoneinfo.ZoneInfo(self.time_zone))
        return local.weekday() not in set(self.working_days) or not (
            self.working_start <= local.time().replace(tzinfo=None) < self.working_end
        )
