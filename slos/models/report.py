"""Weekly SLO reports, kept once sent, with the delivery of their webhook."""

from django.db import models
from django.db.models import Q


class WebhookState(models.TextChoices):
    NONE = "none", "No webhook configured"
    PENDING = "pending", "Being delivered"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WeeklyReport(models.Model):
    """The weekly SLO report of the week starting `week_start` (one per week): what was sent
    by email and webhook, kept so it is sent once and can be read later. The webhook is
    retried with backoff while `webhook_state` is pending; a report whose webhook gave up
    is `failed`, with the last error, and says so on the report page."""

    week_start = models.DateField(unique=True)
    sent_at = models.DateTimeField()
    body = models.JSONField()
    text = models.TextField()
    webhook_state = models.CharField(
        max_length=10, choices=WebhookState.choices, default=WebhookState.NONE
    )
    webhook_attempts = models.PositiveSmallIntegerField(default=0)
    webhook_error = models.TextField(blank=True)
    webhook_next_at = models.DateTimeField(null=True, blank=True)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(webhook_state__in=WebhookState.values),
                name="weeklyreport_webhook_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(webhook_state=WebhookState.PENDING) | Q(webhook_next_at__isnull=False),
                name="weeklyreport_pending_has_next_try",
            ),
            models.CheckConstraint(
                condition=~Q(webhook_state=WebhookState.DELIVERED)
                | Q(webhook_delivered_at__isnull=False),
                name="weeklyreport_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["webhook_next_at"],
                condition=Q(webhook_state="pending"),
                name="weeklyreport_pending_idx",
            )
        ]

    def __str__(self) -> str:
        return f"SLO report of the week of {self.week_start}"
