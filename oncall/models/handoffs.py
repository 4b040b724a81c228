"""Handoffs between shifts, and the secret calendar feed URLs."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ..choices import PageStatus
from .paging import ContactMethod
from .schedules import Schedule


class Handoff(models.Model):
    """The passing of a schedule's shift from `outgoing` to `incoming` at `shift_start`,
    with the outgoing person's notes and the incoming person's "I have it"."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="handoffs")
    outgoing = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handoffs_out",
    )
    incoming = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="handoffs_in",
    )
    outgoing_shift_start = models.DateTimeField(help_text="When the outgoing shift began.")
    shift_start = models.DateTimeField(help_text="The handoff: the incoming shift begins.")
    shift_end = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True, help_text="Ongoing issues, upcoming maintenance, tips.")
    reminded_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-shift_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "shift_start"], name="handoff_once_per_boundary"
            ),
            models.CheckConstraint(
                condition=Q(outgoing_shift_start__lte=F("shift_start")),
                name="handoff_outgoing_shift_before",
            ),
            models.CheckConstraint(
                condition=Q(shift_end__isnull=True) | Q(shift_end__gt=F("shift_start")),
                name="handoff_shift_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(incoming__isnull=False),
                name="handoff_acknowledged_by_incoming",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} handoff {self.shift_start:%Y-%m-%d %H:%M}"


class HandoffReminder(models.Model):
    """A handoff reminder posted to one of the incoming person's webhook contact
    methods, delivered and retried like a page."""

    handoff = models.ForeignKey(Handoff, on_delete=models.CASCADE, related_name="reminders")
    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.CASCADE, related_name="handoff_reminders"
    )
    status = models.CharField(max_length=10, choices=PageStatus.choices, default=PageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["handoff", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["handoff", "contact_method"], name="handoff_reminder_once_per_method"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PageStatus.values), name="handoff_reminder_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"reminder of {self.handoff} via {self.contact_method_id} ({self.status})"


class CalendarFeed(models.Model):
    """A secret, revocable iCal URL for a schedule or a person; only a hash of the
    secret is stored."""

    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="feeds"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
    )
    prefix = models.CharField(max_length=8, unique=True)
    digest = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(schedule__isnull=False, user__isnull=True)
                | Q(schedule__isnull=True, user__isnull=False),
                name="feed_for_a_schedule_or_a_user",
            )
        ]

    def __str__(self) -> str:
        return f"feed {self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
