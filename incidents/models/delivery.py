"""Delivery: one accepted webhook body, stored raw before anything else happens."""

from django.db import models
from django.db.models import Q

from ..choices import DeliveryState

# Processing attempts before a delivery counts as failed for good (shown to admins until
# replayed); the sweep retries a failed delivery until then.
MAX_ATTEMPTS = 5


class Delivery(models.Model):
    """Every accepted webhook body, raw, with what processing made of it.

    Stored in one INSERT before the webhook answers, so nothing accepted is lost: if the
    broker is down or processing fails, the sweep or an admin processes it again.
    """

    integration = models.ForeignKey(
        "incidents.Integration", on_delete=models.PROTECT, related_name="deliveries"
    )
    received_at = models.DateTimeField(db_index=True)
    body = models.TextField()
    body_bytes = models.PositiveIntegerField()
    user_agent = models.CharField(max_length=200, blank=True)
    group_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="The alert group's hash, so a group's deliveries "
        "are processed in the order they arrived.",
    )
    state = models.CharField(
        max_length=20, choices=DeliveryState.choices, default=DeliveryState.RECEIVED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(
                fields=["received_at"],
                name="delivery_pending_idx",
                condition=~Q(state=DeliveryState.PROCESSED),
            ),
            models.Index(fields=["integration", "-received_at"], name="delivery_integration_idx"),
            models.Index(
                fields=["integration", "group_hash", "received_at"],
                name="delivery_group_pending_idx",
                condition=~Q(state=DeliveryState.PROCESSED),
            ),
            models.Index(
                fields=["integration"],
                name="delivery_failed_idx",
                condition=Q(state=DeliveryState.FAILED),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="delivery_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.state})"

    @property
    def gave_up(self) -> bool:
        """Failed after its retries: nothing processes it again until an admin replays it."""
        return self.state == DeliveryState.FAILED and self.attempts >= MAX_ATTEMPTS
