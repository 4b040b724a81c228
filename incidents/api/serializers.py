"""Serializers for the incidents API."""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.selectors import service_choices
from core.bounds import clamp_url_datetime
from core.serializer_fields import keel_datetime

from ..choices import TRANSITIONS, AlertStatus, Kind, ResolvePolicy, Severity, Status
from ..models import Alert, Delivery, Incident, Integration, TimelineEntry
from ..services.freshness import MAX_VERSION
from ..services.times import CORRECTABLE_TIMES

User = get_user_model()


class _SlugField(serializers.SlugRelatedField):
    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:  # PostgreSQL text cannot hold NUL
            self.fail("invalid")
        return super().to_internal_value(data)


class UsernameField(_SlugField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "username")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", User.objects.filter(is_active=True))
        super().__init__(**kwargs)


class ServiceSlugField(_SlugField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("slug_field", "slug")
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", service_choices())
        super().__init__(**kwargs)


def _read_only_slug(slug_field: str, **kwargs: Any) -> Any:
    return serializers.SlugRelatedField(slug_field=slug_field, read_only=True, **kwargs)


class IncidentSerializer(serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    services = ServiceSlugField(many=True, read_only=True)
    commander = _read_only_slug("username", allow_null=True)
    alert_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Incident
        fields = [
            "number",
            "reference",
            "title",
            "summary",
            "severity",
            "status",
            "kind",
            "services",
            "commander",
            "started_at",
            "detected_at",
            "acknowledged_at",
            "last_acknowledged_at",
            "resolved_at",
            "closed_at",
            "alert_count",
        ]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    integration = _read_only_slug("name")
    incident = _read_only_slug("number", allow_null=True)
    runbook_url = serializers.CharField(read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "integration",
            "incident",
            "fingerprint",
            "status",
            "labels",
            "annotations",
            "runbook_url",
            "starts_at",
            "other_starts",
            "ends_at",
            "generator_url",
            "first_seen_at",
            "last_seen_at",
            "times_seen",
        ]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name", read_only=True)

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "kind", "actor", "text", "data", "pinned"]
        read_only_fields = fields

    def to_representation(self, instance: TimelineEntry) -> dict[str, Any]:
        return instance.as_json()


class AlertCountsSerializer(serializers.Serializer):
    """Exact counts of an incident's alerts, however many it holds."""

    firing = serializers.IntegerField()
    resolved = serializers.IntegerField()
    total = serializers.IntegerField()


class IncidentDetailSerializer(IncidentSerializer):
    version = serializers.IntegerField(
        read_only=True,
        help_text="The incident's version: the id of the newest timeline entry that changed "
        "its state (notes, alerts and pages do not). Send it back as `if_version` (or in an "
        "If-Match header) with a change, so a change based on an older state is refused.",
    )
    responders = _read_only_slug("username", many=True)
    acknowledged_by = _read_only_slug("username", allow_null=True)
    integration = _read_only_slug("name", allow_null=True)
    previous = _read_only_slug("number", allow_null=True)
    allowed_statuses = serializers.SerializerMethodField()
    alert_count = serializers.IntegerField(
        read_only=True, help_text="How many alerts the incident holds (exact)."
    )
    alert_counts = AlertCountsSerializer(read_only=True)
    alerts = AlertSerializer(
        many=True,
        read_only=True,
        source="alerts_first_page",
        help_text="The first page of the incident's alerts, firing first, then the newest "
        "start: page 1 of `alerts_url`. An incident may hold 100,000 alerts; read the "
        "others from `alerts_next` on.",
    )
    alerts_url = serializers.SerializerMethodField(
        help_text="All of the incident's alerts, a page at a time (`?page=`), in the order "
        "of `alerts`; `?status=firing` or `resolved` for one status."
    )
    alerts_next = serializers.SerializerMethodField(
        help_text="Page 2 of `alerts_url`, or null when `alerts` holds them all."
    )
    timeline = TimelineEntrySerializer(
        many=True,
        read_only=True,
        source="timeline_recent",
        help_text="The newest timeline entries, oldest first: page 1 of `timeline_url` "
        "(which is newest first). Older entries are on the next pages.",
    )
    timeline_count = serializers.IntegerField(
        read_only=True, help_text="How many timeline entries the incident holds (exact)."
    )
    timeline_url = serializers.SerializerMethodField(
        help_text="The whole timeline, a page at a time (`?page=`), newest first "
        "(`?order=oldest` for oldest first, `?pinned=true` for the pinned entries)."
    )
    timeline_next = serializers.SerializerMethodField(
        help_text="Page 2 of `timeline_url` (older entries), or null when `timeline` holds "
        "them all."
    )

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "version",
            "responders",
            "acknowledged_by",
            "integration",
            "group_key",
            "previous",
            "allowed_statuses",
            "alert_counts",
            "alerts",
            "alerts_url",
            "alerts_next",
            "timeline",
            "timeline_count",
            "timeline_url",
            "timeline_next",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_statuses(self, incident: Incident) -> list[str]:
        return list(TRANSITIONS[incident.status])

    def _list_url(self, incident: Incident, name: str, page: int = 1) -> str:
        url = reverse(f"incident-{name}", args=[incident.number])
        if page > 1:
            url += f"?page={page}"
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    @extend_schema_field(serializers.URLField())
    def get_alerts_url(self, incident: Incident) -> str:
        return self._list_url(incident, "alerts")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_alerts_next(self, incident: Incident) -> str | None:
        if incident.alert_count <= len(incident.alerts_first_page):  # type: ignore[attr-defined]
            return None
        return self._list_url(incident, "alerts", 2)

    @extend_schema_field(serializers.URLField())
    def get_timeline_url(self, incident: Incident) -> str:
        return self._list_url(incident, "timeline")

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_timeline_next(self, incident: Incident) -> str | None:
        if incident.timeline_count <= len(incident.timeline_recent):  # type: ignore[attr-defined]
            return None
        return self._list_url(incident, "timeline", 2)


class IncidentAlertsQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=AlertStatus.choices, required=False)


class IncidentTimelineQuerySerializer(serializers.Serializer):
    order = serializers.ChoiceField(choices=["newest", "oldest"], default="newest")
    pinned = serializers.BooleanField(required=False, allow_null=True, default=None)


class IncidentDeclareSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300)
    severity = serializers.ChoiceField(choices=Severity.choices)
    summary = serializers.CharField(required=False, allow_blank=True, default="")
    services = ServiceSlugField(many=True, required=False)
    kind = serializers.ChoiceField(choices=[Kind.MANUAL, Kind.DRILL], default=Kind.MANUAL)
    started_at = keel_datetime(required=False)
    commander = UsernameField(required=False, allow_null=True)


class BasedOnSerializer(serializers.Serializer):
    """A change that can say which version of the incident it is based on."""

    if_version = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_VERSION,
        help_text="The incident `version` this change is based on (optional; an If-Match "
        "header does the same). If what this change depends on changed since, nothing is "
        "changed and the answer is 409 naming the change and who made it. Another "
        "severity, status, commander or edit of the same field conflicts; a note, an "
        "alert or a page does not.",
    )


class IncidentConflictSerializer(serializers.Serializer):
    message = serializers.CharField(help_text="What changed since, and who changed it.")
    version = serializers.IntegerField(help_text="The incident's current version.")
    changes = TimelineEntrySerializer(many=True, help_text="The entries that changed it.")


class IncidentEditSerializer(BasedOnSerializer):
    title = serializers.CharField(max_length=300, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    services = ServiceSlugField(many=True, required=False)


class StatusSerializer(BasedOnSerializer):
    status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class SeveritySerializer(BasedOnSerializer):
    severity = serializers.ChoiceField(choices=Severity.choices)


class CommanderSerializer(BasedOnSerializer):
    username = UsernameField(allow_null=True, help_text="null clears the commander")


class ResponderSerializer(BasedOnSerializer):
    username = UsernameField()


class NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=20000)
    pinned = serializers.BooleanField(default=False)


class ResolveSerializer(BasedOnSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class ReopenSerializer(BasedOnSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CorrectTimeSerializer(BasedOnSerializer):
    field = serializers.ChoiceField(choices=CORRECTABLE_TIMES)
    value = keel_datetime()
    reason = serializers.CharField(max_length=1000)


class PinSerializer(serializers.Serializer):
    pinned = serializers.BooleanField()


class IntegrationSerializer(serializers.ModelSerializer):
    default_service = ServiceSlugField(required=False, allow_null=True)
    quiet_period_seconds = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=60,
        max_value=366 * 24 * 3600,  # larger values overflow timedelta (a 500)
        help_text="empty: never auto-resolve",
    )
    severity_mapping = serializers.DictField(
        child=serializers.ChoiceField(choices=Severity.choices), required=False
    )
    resolve_policy = serializers.ChoiceField(choices=ResolvePolicy.values, required=False)

    class Meta:
        model = Integration
        fields = [
            "id",
            "name",
            "kind",
            "token_prefix",
            "default_service",
            "service_label",
            "severity_label",
            "severity_mapping",
            "default_severity",
            "resolve_policy",
            "quiet_period_seconds",
            "enabled",
            "created_at",
        ]
        read_only_fields = ["id", "kind", "token_prefix", "created_at"]

    def to_representation(self, instance: Integration) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["quiet_period_seconds"] = (
            int(instance.quiet_period.total_seconds()) if instance.quiet_period else None
        )
        return data


class IntegrationCreatedSerializer(IntegrationSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")
    webhook_url = serializers.CharField(read_only=True)

    class Meta(IntegrationSerializer.Meta):
        fields = [*IntegrationSerializer.Meta.fields, "token", "webhook_url"]
        read_only_fields = fields


class IntegrationEnabledSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()


class DeliverySerializer(serializers.ModelSerializer):
    gave_up = serializers.BooleanField(
        read_only=True, help_text="Failed after every retry: replay it once the cause is fixed."
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "received_at",
            "body_bytes",
            "user_agent",
            "state",
            "attempts",
            "gave_up",
            "processed_at",
            "outcome",
            "error",
        ]
        read_only_fields = fields


class _SummarySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    p50 = serializers.FloatField(allow_null=True)
    p90 = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class _MetricsBlockSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    time_to_detect = _SummarySerializer()
    time_to_acknowledge = _SummarySerializer()
    time_to_resolve = _SummarySerializer()


class _ServiceMetricsSerializer(_MetricsBlockSerializer):
    service = serializers.CharField()


class _SeverityMetricsSerializer(_MetricsBlockSerializer):
    severity = serializers.CharField()


class IncidentMetricsSerializer(serializers.Serializer):
    """Durations in seconds; percentiles by linear interpolation."""

    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    overall = _MetricsBlockSerializer()
    by_service = _ServiceMetricsSerializer(many=True)
    by_severity = _SeverityMetricsSerializer(many=True)


class MetricsQuerySerializer(serializers.Serializer):
    """A window read from the URL: bounds outside 1970-2200 are clamped into it."""

    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)

    def validate_since(self, value: datetime) -> datetime:
        return clamp_url_datetime(value)

    def validate_until(self, value: datetime) -> datetime:
        return clamp_url_datetime(value)
