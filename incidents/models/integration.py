"""Integration: a configured alert source."""

from django.db import models
from django.db.models import Q

from ..choices import (
    IntegrationKind,
    ResolvePolicy,
    Severity,
    default_severity_mapping,
)


class Integration(models.Model):
    """An Alertmanager receiver: its token, routing to services and severities, and policies.

    The token is shown once when created or rotated; only its SHA-256 digest and a short
    public prefix (for display and lookup) are stored.
    """

    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(
        max_length=20, choices=IntegrationKind.choices, default=IntegrationKind.ALERTMANAGER
    )
    token_prefix = models.CharField(max_length=8, unique=True)
    token_digest = models.CharField(max_length=64)
    default_service = models.ForeignKey(
        "catalog.Service", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    service_label = models.CharField(
        max_length=100, default="service", help_text="The alert label that names the service."
    )
    severity_label = models.CharField(
        max_length=100, default="severity", help_text="The alert label that sets severity."
    )
    severity_mapping = models.JSONField(
        default=default_severity_mapping,
        help_text='Label value → severity, e.g. {"critical": "SEV2"}.',
    )
    default_severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV3
    )
    resolve_policy = models.CharField(
        max_length=20,
        choices=ResolvePolicy.choices,
        default=ResolvePolicy.MONITORING,
        help_text="What happens to an incident when every one of its alerts has resolved.",
    )
    quiet_period = models.DurationField(
        null=True,
        blank=True,
        help_text="Resolve a firing alert after this long without news (longer than "
        "Alertmanager's repeat_interval). Empty: never.",
    )
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_severity__in=Severity.values),
                name="integration_default_severity_valid",
            ),
            models.CheckConstraint(
                condition=Q(resolve_policy__in=ResolvePolicy.values),
                name="integration_resolve_policy_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def severity_for(self, labels: dict[str, str]) -> str:
        """The severity an alert's labels map to."""
        value = labels.get(self.severity_label, "").strip().lower()
        mapping = {str(k).lower(): v for k, v in (self.severity_mapping or {}).items()}
        severity = mapping.get(value, self.default_severity)
        return severity if severity in Severity.values else self.default_severity
