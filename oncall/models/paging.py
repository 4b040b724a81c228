"""Contact methods and the pages sent through them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import Channel, PageStatus


class ContactMethod(models.Model):
    """Where a person is paged: an email address, or a Slack-compatible webhook URL."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    kind = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=500, help_text="Email address or https URL.")
    label = models.CharField(max_length=100, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "address"], name="contact_method_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Channel.values), name="contact_method_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind}"

    @property
    def masked_address(self) -> str:
        """The address with a webhook's secret path hidden."""
        if self.kind == Channel.WEBHOOK:
            scheme, _, rest = self.address.partition("://")
            return f"{scheme}://{rest.split('/', 1)[0]}/…"
        return self.address


class Page(models.Model):
    """One notification of one person about one incident, through one channel."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="pages"
    )
    escalation = models.ForeignKey(
        "oncall.Escalation", null=True, blank=True, on_delete=models.CASCADE, related_name="pages"
    )
    step_position = models.PositiveSmallIntegerField(null=True, blank=True)
    round = models.PositiveSmallIntegerField(default=0)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pages"
    )
    contact_method = models.ForeignKey(
        ContactMethod, null=True, blank=True, on_delete=models.SET_NULL, related_name="pages"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=PageStatus.choices, default=PageStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "step_position", "round", "user", "contact_method"],
                name="page_once_per_step_and_method",
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="page_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PageStatus.values), name="page_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=PageStatus.DELIVERED) | Q(delivered_at__isnull=False),
                name="page_delivered_has_time",
            ),
        ]
        indexes = [models.Index(fields=["user", "-created_at"], name="page_user_idx")]

    def __str__(self) -> str:
        return f"page {self.pk} of {self.user} ({self.channel}, {self.status})"
