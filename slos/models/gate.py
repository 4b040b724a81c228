"""Recorded deployment-gate bypasses."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ..choices import BypassKind


class GateBypass(models.Model):
    """An explicit decision to let deployments of a service through the gate until `expires_at`
    (a hotfix or a security fix), with the reason and the person who took it. A bypass can be
    revoked before it expires; it then stays on the service's history with who revoked it."""

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="gate_bypasses"
    )
    kind = models.CharField(max_length=10, choices=BypassKind.choices)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=BypassKind.values), name="bypass_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="bypass_has_reason"),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")), name="bypass_expires_after"
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(
                    revoked_at__isnull=False,
                    revoked_by__isnull=False,
                    revoked_at__gte=F("created_at"),
                ),
                name="bypass_revoked_by_someone",
            ),
        ]
        indexes = [models.Index(fields=["service", "-expires_at"], name="bypass_service_idx")]

    def __str__(self) -> str:
        return f"{self.kind} bypass of {self.service_id} until {self.expires_at}"
