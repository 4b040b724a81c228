"""Alert: one Alertmanager alert instance."""

from django.db import models
from django.db.models import Q

from ..choices import AlertStatus


class Alert(models.Model):
    """One alert instance: a label set (fingerprint) firing from `starts_at`.

    An alert is its fingerprint while it fires, as in Alertmanager: at most one instance of
    a fingerprint fires at a time (a partial unique constraint), and a firing report with
    another start (another precision, a restarted sender) joins it, keeping the earliest
    start. The same label set firing again after it resolved is a new Alert (same
    fingerprint, new start). `ends_at` is null while the alert fires.
    """

    integration = models.ForeignKey(
        "incidents.Integration", on_delete=models.PROTECT, related_name="alerts"
    )
    fingerprint = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=AlertStatus.choices)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict, blank=True)
    generator_url = models.TextField(blank=True)
    group_hash = models.CharField(max_length=64)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    times_seen = models.PositiveIntegerField(default=1)
    other_starts = models.JSONField(
        default=list,
        blank=True,
        help_text="Other startsAt values reported for this instance (ISO 8601), oldest first.",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="alerts",
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "fingerprint", "starts_at"], name="alert_unique_instance"
            ),
            models.UniqueConstraint(
                fields=["integration", "fingerprint"],
                condition=Q(status=AlertStatus.FIRING),
                name="alert_one_firing_per_fingerprint",
            ),
            models.CheckConstraint(
                condition=Q(status__in=AlertStatus.values), name="alert_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=AlertStatus.FIRING) | Q(ends_at__isnull=False),
                name="alert_resolved_has_end",
            ),
        ]
        indexes = [
            # An incident's alerts a page at a time, firing first (selectors.incident_alerts),
            # and its counts by status, whatever the incident's size.
            models.Index(
                fields=["incident", "status", "-starts_at", "-id"], name="alert_incident_page_idx"
            ),
            models.Index(
                fields=["integration", "last_seen_at"],
                name="alert_firing_idx",
                condition=Q(status=AlertStatus.FIRING),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.fingerprint}@{self.starts_at:%Y-%m-%dT%H:%M:%SZ}"

    @property
    def name(self) -> str:
        return str(self.labels.get("alertname", "alert"))

    @property
    def runbook_url(self) -> str:
        return str(self.annotations.get("runbook_url", ""))
