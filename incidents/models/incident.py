"""Incident: what people work on."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import OPEN_STATUSES, Kind, Severity, Status


class NumberSequence(models.Model):
    """A named counter; incident numbers come from the row named `incident`."""

    name = models.CharField(max_length=50, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class Incident(models.Model):
    """An incident, opened from an alert group or declared by hand.

    At most one incident per (integration, alert group) is open at a time: a partial
    unique constraint, so concurrent deliveries of a new group cannot open two.
    """

    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVESTIGATING)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.MANUAL)
    services = models.ManyToManyField("catalog.Service", blank=True, related_name="incidents")
    commander = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="commanded_incidents",
    )
    responders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="responded_incidents"
    )
    started_at = models.DateTimeField(help_text="When the problem began (earliest alert).")
    detected_at = models.DateTimeField(help_text="When Keel first heard of it.")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_acknowledged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The latest acknowledgement since the incident last opened; empty while "
        "nobody has it (a reopened incident asks for acknowledgement again).",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    integration = models.ForeignKey(
        "incidents.Integration",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
    )
    group_key = models.TextField(blank=True)
    group_hash = models.CharField(max_length=64, blank=True)
    previous = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The previous incident of the same alert group.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "group_hash"],
                condition=Q(status__in=OPEN_STATUSES) & Q(integration__isnull=False),
                name="incident_one_open_per_group",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="incident_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="incident_status_valid"
            ),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="incident_kind_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=[Status.RESOLVED, Status.CLOSED])
                | Q(resolved_at__isnull=False),
                name="incident_resolved_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.CLOSED) | Q(closed_at__isnull=False),
                name="incident_closed_has_time",
            ),
            models.CheckConstraint(
                condition=Q(last_acknowledged_at__isnull=True) | Q(acknowledged_at__isnull=False),
                name="incident_reacknowledged_after_first",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "severity"], name="incident_status_idx"),
            models.Index(
                fields=["integration", "group_hash", "-started_at"], name="incident_group_idx"
            ),
            # The list's default order, and the dashboard's "recently resolved".
            models.Index(fields=["-started_at", "-id"], name="incident_started_idx"),
            models.Index(
                fields=["-resolved_at"],
                name="incident_resolved_idx",
                condition=Q(resolved_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"INC-{self.number}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def awaiting_acknowledgement(self) -> bool:
        """Open and nobody has acknowledged it since it (re)opened."""
        return self.is_open and self.last_acknowledged_at is None
