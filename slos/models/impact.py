"""What an incident cost each SLO of its services."""

from django.db import models
from django.db.models import Q

from ..choices import BudgetingMethod


class IncidentImpact(models.Model):
    """Incident x SLO: bad events (or bad slices) inside the incident over the allowance of
    the SLO window containing it. Live while the incident is open; frozen on resolve."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="budget_impacts"
    )
    slo = models.ForeignKey("slos.SLO", on_delete=models.CASCADE, related_name="impacts")
    method = models.CharField(max_length=20, choices=BudgetingMethod.choices)
    bad = models.DecimalField(max_digits=20, decimal_places=6, help_text="Events or slices.")
    total = models.DecimalField(
        max_digits=20, decimal_places=6, help_text="Events (or slices) inside the incident."
    )
    allowed = models.DecimalField(
        max_digits=20, decimal_places=6, help_text="Bad events or slices the window allows."
    )
    fraction = models.DecimalField(
        max_digits=20,
        decimal_places=8,
        null=True,
        blank=True,
        help_text="Share of the window's budget; empty when the window has no data.",
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    computed_at = models.DateTimeField()
    frozen = models.BooleanField(default=False)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-fraction"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "slo"], name="impact_one_per_slo"),
            models.CheckConstraint(
                condition=Q(bad__gte=0, allowed__gte=0, total__gte=0), name="impact_counts_valid"
            ),
            models.CheckConstraint(
                condition=Q(method__in=BudgetingMethod.values), name="impact_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} x {self.slo_id}: {self.fraction}"
