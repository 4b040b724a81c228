"""What an incident cost each SLO of its services."""

from django.db import models
from django.db.models import F, Q

from ..choices import BudgetingMethod


class PeriodSource(models.TextChoices):
    """Where an impact period's start comes from (docs/budget.md)."""

    INCIDENT = "incident", "the incident's start"
    SLI = "sli", "where the SLI turned bad"
    CORRECTED = "corrected", "the corrected start"


class IncidentImpact(models.Model):
    """Incident x SLO: the incident's debit (docs/budget.md). The bad events (or bad slices)
    of its impact period, each counted once across overlapping incidents, over the
    allowance of the SLO window in force at the period's end. Live while the incident is
    open; frozen on resolve; recomputed when its times or an overlapping incident change."""

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
    period_source = models.CharField(
        max_length=20, choices=PeriodSource.choices, default=PeriodSource.INCIDENT
    )
    shared = models.JSONField(
        default=list,
        blank=True,
        help_text="Bad events shared with overlapping incidents: [{with, bad, debited}].",
    )
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
            models.CheckConstraint(
                condition=Q(period_source__in=PeriodSource.values),
                name="impact_period_source_valid",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="impact_period_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.incident_id} x {self.slo_id}: {self.fraction}"
