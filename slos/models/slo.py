"""An SLO and its latest evaluated status."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

from django.db import models
from django.db.models import Q

from .. import budget, budget_policy, burn_rates
from ..choices import AlertState, BudgetingMethod, SliSource, Tier, WindowKind


class SLO(models.Model):
    """An objective for one SLI of a service over a window.

    The SLI is good/total: from Prometheus queries (`bad_query` or `good_query`, and
    `total_query`; `{{.window}}` is replaced by the lookback) or from counts pushed to Keel
    in per-minute buckets. `alert_windows` empty means the default four-pair table.
    """

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="slos")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    objective = models.DecimalField(
        max_digits=8, decimal_places=5, help_text="Percent, e.g. 99.9 (exact decimal)."
    )
    window_kind = models.CharField(
        max_length=20, choices=WindowKind.choices, default=WindowKind.ROLLING
    )
    window_days = models.PositiveSmallIntegerField(
        default=30, help_text="Length of a rolling window in days."
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="Zone of a calendar-month window."
    )
    budgeting_method = models.CharField(
        max_length=20, choices=BudgetingMethod.choices, default=BudgetingMethod.OCCURRENCES
    )
    slice_seconds = models.PositiveIntegerField(
        default=60, help_text="Timeslice length in seconds (a multiple of 60)."
    )
    slice_target = models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        help_text="A slice is bad when its good/total ratio is below this (0..1).",
    )
    source = models.CharField(max_length=20, choices=SliSource.choices, default=SliSource.PUSHED)
    bad_query = models.TextField(blank=True, help_text="Bad (error) events; PromQL.")
    good_query = models.TextField(blank=True, help_text="Good events; PromQL (if no bad query).")
    total_query = models.TextField(blank=True, help_text="All events; PromQL.")
    alert_windows = models.JSONField(default=list, blank=True)
    alerting = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Exported alerts: name, labels, annotations, and per severity (page, ticket) "
            "labels, annotations and disabled."
        ),
    )
    policy = models.JSONField(
        default=dict, blank=True, help_text="Overrides of the service's budget policy."
    )
    labels = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["service__slug", "name"]
        verbose_name = "SLO"
        constraints = [
            models.UniqueConstraint(fields=["service", "name"], name="slo_unique_name"),
            models.CheckConstraint(
                condition=Q(objective__gt=0, objective__lt=100), name="slo_objective_percent"
            ),
            models.CheckConstraint(
                condition=Q(window_kind__in=WindowKind.values), name="slo_window_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=366), name="slo_window_days"
            ),
            models.CheckConstraint(
                condition=Q(budgeting_method__in=BudgetingMethod.values),
                name="slo_budgeting_method_valid",
            ),
            models.CheckConstraint(
                condition=~Q(budgeting_method=BudgetingMethod.TIMESLICES)
                | Q(slice_target__gt=0, slice_target__lte=1, slice_seconds__gte=60),
                name="slo_timeslices_have_target",
            ),
            models.CheckConstraint(
                condition=Q(source__in=SliSource.values), name="slo_source_valid"
            ),
            models.CheckConstraint(
                condition=~Q(source=SliSource.PROMETHEUS)
                | (~Q(total_query="") & (~Q(bad_query="") | ~Q(good_query=""))),
                name="slo_prometheus_has_queries",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service.slug}/{self.name}"

    @property
    def objective_ratio(self) -> Fraction:
        return budget.objective_ratio(self.objective)

    @property
    def window_length(self) -> timedelta:
        return timedelta(days=self.window_days)

    @property
    def window_text(self) -> str:
        if self.window_kind == WindowKind.CALENDAR_MONTH:
            return f"calendar month ({self.time_zone})"
        return f"{self.window_days} days rolling"

    def windows(self) -> list[burn_rates.AlertWindow]:
        return burn_rates.alert_windows_from(self.alert_windows, self.window_days)

    def budget_policy(self) -> budget_policy.Policy:
        return budget_policy.Policy.from_config(
            {**(self.service.budget_policy or {}), **self.policy}
        )


def _decimal_field(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=20, decimal_places=6, null=True, blank=True, **kwargs)  # type: ignore[arg-type]


class SloStatus(models.Model):
    """The latest evaluation of an SLO (one row per SLO), read by pages and the gate."""

    slo = models.OneToOneField(SLO, on_delete=models.CASCADE, related_name="status")
    evaluated_at = models.DateTimeField()
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    good = _decimal_field()
    total = _decimal_field()
    bad = _decimal_field()
    allowed = _decimal_field()
    remaining = _decimal_field(help_text="Share of the budget left; below 0 when overspent.")
    burn_rates = models.JSONField(default=dict, blank=True, help_text='{"5m": "1.2", ...}')
    tier = models.CharField(max_length=10, choices=Tier.choices, default=Tier.FREEZE)
    previous_tier = models.CharField(max_length=10, blank=True)
    tier_changed_at = models.DateTimeField(null=True, blank=True)
    alert_state = models.CharField(max_length=10, choices=AlertState.choices, default="ok")
    firing = models.JSONField(default=list, blank=True)
    data_at = models.DateTimeField(null=True, blank=True, help_text="Newest data point seen.")
    error = models.TextField(blank=True)
    history = models.JSONField(default=list, blank=True, help_text="Recent remaining values.")
    burn_incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The incident opened for a page-level burn of this SLO.",
    )

    class Meta:
        verbose_name_plural = "SLO statuses"
        constraints = [
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="slostatus_tier_valid"),
            models.CheckConstraint(
                condition=Q(alert_state__in=AlertState.values), name="slostatus_alert_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slo}: {self.tier}"

    def burn(self, lookback: str) -> Decimal | None:
        value = self.burn_rates.get(lookback)
        return None if value is None else Decimal(value)
