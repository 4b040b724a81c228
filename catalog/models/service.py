"""The services catalog."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from catalog.choices import Tier


class Service(models.Model):
    """Something users depend on; incidents affect services and SLOs belong to them.

    Services named by an alert's service label that nobody has declared are created with
    `discovered=True`, so no alert is dropped for naming an unknown service.
    """

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        "catalog.Team",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text="The team that owns the service and is paged for it.",
    )
    tier = models.PositiveSmallIntegerField(
        choices=Tier.choices, default=Tier.TIER_2, help_text="How critical the service is."
    )
    sla_objective = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        # The check constraint below wants more than 0: the smallest such value at 4 places.
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("100"))],
        help_text="The customer promise in percent (looser than the SLOs), e.g. 99.5.",
    )
    gate_warn_only = models.BooleanField(
        default=False,
        help_text="The deployment gate reports a block as a warning instead of enforcing it.",
    )
    budget_policy = models.JSONField(
        default=dict,
        blank=True,
        help_text="Overrides of the error-budget policy (tier floors, burn thresholds).",
    )
    discovered = models.BooleanField(
        default=False, help_text="Created from an alert label; review and tidy."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "slos_service"  # kept from the app it was moved from
        ordering = ["slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sla_objective__isnull=True)
                | models.Q(sla_objective__gt=0, sla_objective__lte=100),
                name="service_sla_objective_percent",
            )
        ]

    def __str__(self) -> str:
        return self.name
