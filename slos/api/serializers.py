"""Serializers for the SLO API."""

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from catalog.selectors import service_choices
from core.serializer_fields import column_integer
from slos.models import SLO, Correction, GateBypass, IncidentImpact, SliBucket, SloStatus

from .. import budget_policy
from ..choices import BypassKind, CorrectionCategory
from ..debits import debit_of
from ..services.events import MAX_COUNT
from ..services.slos import SLO_FIELDS


class SlugField(serializers.SlugRelatedField):
    """A related object by slug; NUL characters (which PostgreSQL text refuses) are invalid."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


def policy_field(value: Any) -> None:
    """An error-budget policy override: an object of known keys with numeric values."""
    if not isinstance(value, dict):
        raise serializers.ValidationError("Expected an object.")
    unknown = set(value) - set(budget_policy.Policy.__dataclass_fields__)
    if unknown:
        raise serializers.ValidationError(f"Unknown keys: {', '.join(sorted(map(str, unknown)))}.")
    try:
        budget_policy.Policy.from_config(value)
    except (ValueError, TypeError, ZeroDivisionError) as error:
        raise serializers.ValidationError(f"Not a number: {error}") from error


class SloStatusSerializer(serializers.ModelSerializer):
    class Meta:
        model = SloStatus
        fields = [
            "evaluated_at",
            "window_start",
            "window_end",
            "good",
            "total",
            "bad",
            "allowed",
            "remaining",
            "burn_rates",
            "tier",
            "previous_tier",
            "tier_changed_at",
            "alert_state",
            "firing",
            "data_at",
            "error",
            "burn_incident",
        ]
        read_only_fields = fields


class SloSerializer(serializers.ModelSerializer):
    service = SlugField(slug_field="slug", queryset=service_choices())
    objective = serializers.DecimalField(
        max_digits=8,
        decimal_places=5,
        min_value=Decimal("0.00001"),
        max_value=Decimal("99.99999"),
        help_text="Percent, strictly between 0 and 100.",
    )
    status = SloStatusSerializer(read_only=True, allow_null=True)
    alert_windows = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Empty: the default table."
    )
    policy = serializers.JSONField(required=False, validators=[policy_field])
    labels = serializers.DictField(child=serializers.CharField(), required=False)

    class Meta:
        model = SLO
        fields = ["id", "service", *SLO_FIELDS, "status", "created_at", "updated_at"]
        read_only_fields = ["id", "status", "created_at", "updated_at"]
        validators: list[Any] = []  # (service, name) uniqueness is the service's error


class EventSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    good = column_integer(SliBucket, "good", min_value=0, max_value=MAX_COUNT)
    total = column_integer(SliBucket, "total", min_value=0, max_value=MAX_COUNT)


class EventsSerializer(serializers.Serializer):
    events = EventSerializer(many=True, help_text="Counts; those of one minute add up.")


class EventsResultSerializer(serializers.Serializer):
    minutes = serializers.IntegerField()


class CorrectionSerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    category = serializers.ChoiceField(choices=CorrectionCategory.choices)

    class Meta:
        model = Correction
        fields = ["id", "start", "end", "category", "reason", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]


class ImpactSerializer(serializers.ModelSerializer):
    """An incident's debit (docs/budget.md): `fraction` is the share of the budget of the
    window [window_start, window_end); `percent` and `text` are how every page words it."""

    incident = serializers.IntegerField(source="incident.number", read_only=True)
    slo_name = serializers.CharField(source="slo.name", read_only=True)
    service = serializers.CharField(source="slo.service.slug", read_only=True)
    percent = serializers.SerializerMethodField()
    window = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    period = serializers.SerializerMethodField()

    def get_percent(self, impact: IncidentImpact) -> str:
        return debit_of(impact).percent

    def get_window(self, impact: IncidentImpact) -> str:
        return debit_of(impact).window

    def get_text(self, impact: IncidentImpact) -> str:
        return debit_of(impact).text

    def get_period(self, impact: IncidentImpact) -> str:
        return debit_of(impact).period_text

    class Meta:
        model = IncidentImpact
        fields = [
            "incident",
            "slo",
            "slo_name",
            "service",
            "method",
            "bad",
            "total",
            "allowed",
            "fraction",
            "percent",
            "text",
            "window",
            "period_start",
            "period_end",
            "period_source",
            "period",
            "shared",
            "window_start",
            "window_end",
            "computed_at",
            "frozen",
            "error",
        ]
        read_only_fields = fields


class LedgerDebitSerializer(serializers.Serializer):
    incident = serializers.IntegerField()
    fraction = serializers.CharField(
        allow_null=True, help_text="The incident's debit: a share of its own window's budget."
    )
    percent = serializers.CharField()
    text = serializers.CharField(help_text="The debit as every page words it, with its window.")
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()
    period_source = serializers.CharField()
    shared = serializers.ListField(child=serializers.DictField())


class LedgerLineSerializer(serializers.Serializer):
    label = serializers.CharField()  # type: ignore[assignment]
    bad = serializers.CharField(help_text="Bad events (or slices), each counted once.")
    share = serializers.CharField(help_text="The line's bad events over this window's allowance.")
    balance = serializers.CharField(help_text="Share of this window's budget left after the line.")
    debit = LedgerDebitSerializer(allow_null=True, help_text="For an incident's line.")


class LedgerSerializer(serializers.Serializer):
    slo = serializers.IntegerField()
    window_start = serializers.DateTimeField()
    window_end = serializers.DateTimeField()
    method = serializers.CharField()
    allowance = serializers.CharField(allow_null=True)
    lines = LedgerLineSerializer(many=True)
    remaining = serializers.CharField(allow_null=True)
    budget_minutes_left = serializers.FloatField(allow_null=True)
    corrections = CorrectionSerializer(many=True)


class GateSloSerializer(serializers.Serializer):
    name = serializers.CharField()
    remaining = serializers.FloatField(allow_null=True)
    burn_1h = serializers.FloatField(allow_null=True)
    burn_5m = serializers.FloatField(allow_null=True)
    data_age_s = serializers.FloatField(allow_null=True)
    error = serializers.CharField()


class GateSerializer(serializers.Serializer):
    service = serializers.CharField()
    decision = serializers.ChoiceField(choices=["allow", "warn", "block"])
    tier = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())
    decided = serializers.BooleanField(
        help_text="False when the gate could not read what it needs (no data, stale data, "
        "Prometheus down): it blocks, and `deploy_gate` exits 2 instead of 1."
    )
    slos = GateSloSerializer(many=True)
    bypass = serializers.DictField(allow_null=True, help_text="The newest bypass in force.")
    bypasses = serializers.ListField(
        child=serializers.DictField(), help_text="Every bypass in force, newest first."
    )


class BypassSerializer(serializers.ModelSerializer):
    service = SlugField(slug_field="slug", queryset=service_choices())
    kind = serializers.ChoiceField(choices=BypassKind.choices)
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    revoked_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = GateBypass
        fields = [
            "id",
            "service",
            "kind",
            "reason",
            "expires_at",
            "created_by",
            "created_at",
            "revoked_at",
            "revoked_by",
        ]
        read_only_fields = ["id", "created_by", "created_at", "revoked_at", "revoked_by"]


class BypassRevokedSerializer(BypassSerializer):
    message = serializers.CharField(read_only=True)
    gate = GateSerializer(read_only=True)

    class Meta(BypassSerializer.Meta):
        fields = [*BypassSerializer.Meta.fields, "message", "gate"]
