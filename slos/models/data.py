"""Pushed SLI counts and corrections."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from ..choices import CorrectionCategory


class SliBucket(models.Model):
    """Good and total events of a pushed SLI in one minute (`minute` is the minute's start).

    Batches pushed for the same minute add up; the row is upserted in one statement.
    """

    id = models.BigAutoField(primary_key=True)
    # The unique (slo, minute) index serves lookups by SLO; no separate index on slo.
    slo = models.ForeignKey(
        "slos.SLO", on_delete=models.CASCADE, related_name="buckets", db_index=False
    )
    minute = models.DateTimeField()
    good = models.BigIntegerField()
    total = models.BigIntegerField()

    class Meta:
        constraints = [
            # On PostgreSQL the index also carries good and total (migration 0007), so
            # budget sums read the index alone.
            models.UniqueConstraint(fields=["slo", "minute"], name="slibucket_one_per_minute"),
            models.CheckConstraint(
                condition=Q(good__gte=0, total__gte=0) & Q(good__lte=F("total")),
                name="slibucket_counts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slo_id} {self.minute:%Y-%m-%d %H:%M} {self.good}/{self.total}"


class SliDay(models.Model):
    """The day's sums of an SLO's pushed buckets (UTC days), kept with them in the same
    statement, so a 30-day budget reads 30 rows instead of 43,200."""

    id = models.BigAutoField(primary_key=True)
    slo = models.ForeignKey(
        "slos.SLO", on_delete=models.CASCADE, related_name="days", db_index=False
    )
    day = models.DateTimeField(help_text="Midnight UTC starting the day.")
    good = models.BigIntegerField()
    total = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slo", "day"], name="sliday_one_per_day"),
            models.CheckConstraint(
                condition=Q(good__gte=0, total__gte=0) & Q(good__lte=F("total")),
                name="sliday_counts_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slo_id} {self.day:%Y-%m-%d} {self.good}/{self.total}"


class Correction(models.Model):
    """A period excluded from an SLO (or from every SLO of a service): maintenance, drill.

    Excluded time leaves both the bad count and the window's denominator.
    """

    slo = models.ForeignKey(
        "slos.SLO", null=True, blank=True, on_delete=models.CASCADE, related_name="corrections"
    )
    service = models.ForeignKey(
        "catalog.Service",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="corrections",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    category = models.CharField(max_length=20, choices=CorrectionCategory.choices)
    reason = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(slo__isnull=False, service__isnull=True)
                | Q(slo__isnull=True, service__isnull=False),
                name="correction_one_target",
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="correction_ends_after"),
            models.CheckConstraint(
                condition=Q(category__in=CorrectionCategory.values),
                name="correction_category_valid",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="correction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.category} {self.start:%Y-%m-%d %H:%M} to {self.end:%H:%M}"
