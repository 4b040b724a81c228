"""On-call API serializers: write serializers validate shape, read serializers render."""

from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.selectors import service_choices, team_choices
from core.bounds import span_problem
from core.serializer_fields import (
    UNKNOWN_USERNAME,
    SafeSlugField,
    UsernamesField,
    keel_datetime,
)
from core.serializer_fields import active_user_field as _users
from core.validators import validate_whole_minutes
from oncall.models import (
    CalendarFeed,
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    EscalationTarget,
    Handoff,
    Layer,
    Override,
    Page,
    Schedule,
)

from ..bounds import (
    ESCALATE_AFTER_MINUTES_MAX,
    ESCALATE_AFTER_MINUTES_MIN,
    OVERRIDE_LONGEST,
    PARTICIPANTS_MAX,
    REPEAT_MAX,
    SHIFT_LENGTH_MAX,
    SHIFT_LENGTH_MESSAGE,
    SHIFT_LENGTH_TEXT,
    STEPS_MAX,
    TARGETS_PER_STEP_MAX,
    shift_length_problem,
)
from ..choices import Channel, ShiftUnit, TargetKind
from ..selectors import delivery_error_for

User = get_user_model()


_when = keel_datetime


def _hour() -> serializers.TimeField:
    return serializers.TimeField(
        required=False, allow_null=True, validators=[validate_whole_minutes]
    )


def _weekday() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=6)


class LayerSerializer(serializers.ModelSerializer):
    participants = serializers.SerializerMethodField()
    restriction_weekdays = serializers.SerializerMethodField()

    class Meta:
        model = Layer
        fields = [
            "id",
            "schedule",
            "position",
            "name",
            "participants",
            "shift_length",
            "shift_unit",
            "handoff_at",
            "starts_at",
            "ends_at",
            "restriction_weekdays",
            "restriction_start",
            "restriction_end",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_participants(self, layer: Layer) -> list[str]:
        return [
            p.user.get_username()
            for p in sorted(layer.participants.all(), key=lambda p: p.position)
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_restriction_weekdays(self, layer: Layer) -> list[int]:
        return layer.weekdays if len(layer.weekdays) < 7 else []


class LayerWriteSerializer(serializers.Serializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.select_related("team"))
    name = serializers.CharField(max_length=200)
    participants = UsernamesField(
        help_text="Usernames in rotation order.", max_length=PARTICIPANTS_MAX
    )
    shift_length = serializers.IntegerField(
        min_value=1,
        max_value=max(SHIFT_LENGTH_MAX.values()),
        default=1,
        error_messages={"min_value": SHIFT_LENGTH_MESSAGE, "max_value": SHIFT_LENGTH_MESSAGE},
        help_text=f"At most {SHIFT_LENGTH_TEXT}.",
    )
    shift_unit = serializers.ChoiceField(choices=ShiftUnit.choices, default=ShiftUnit.WEEKS)
    handoff_at = _when()
    starts_at = _when(required=False, allow_null=True)
    ends_at = _when(required=False, allow_null=True)
    restriction_weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        default=list,
        help_text="0 = Monday; empty: every day.",
    )
    restriction_start = _hour()
    restriction_end = _hour()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        problem = shift_length_problem(
            attrs.get("shift_length", 1), attrs.get("shift_unit", ShiftUnit.WEEKS)
        )
        if problem is not None:
            raise serializers.ValidationError({"shift_length": [problem]})
        return attrs


class LayerUpdateSerializer(LayerWriteSerializer):
    schedule = None  # type: ignore[assignment]
    starts_at = _when()


class ScheduleSerializer(serializers.ModelSerializer):
    team: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    layers = LayerSerializer(many=True, read_only=True)

    class Meta:
        model = Schedule
        fields = ["id", "team", "name", "time_zone", "description", "layers"]


class ScheduleWriteSerializer(serializers.Serializer):
    team: Any = SafeSlugField(slug_field="slug", queryset=team_choices())
    name = serializers.CharField(max_length=200)
    time_zone = serializers.CharField(max_length=64, required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ScheduleUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ShiftSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    user = serializers.CharField()
    layer = serializers.IntegerField(
        allow_null=True, help_text="Layer position; null for an override."
    )
    override = serializers.BooleanField()


class OverrideSerializer(serializers.ModelSerializer):
    user: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)
    created_by: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Override
        fields = [
            "id",
            "schedule",
            "user",
            "starts_at",
            "ends_at",
            "reason",
            "created_by",
            "created_at",
        ]


class OverrideWriteSerializer(serializers.Serializer):
    schedule = serializers.PrimaryKeyRelatedField(queryset=Schedule.objects.select_related("team"))
    user = _users()
    starts_at = _when()
    ends_at = _when(help_text=f"At most {OVERRIDE_LONGEST.days} days after starts_at.")
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs["starts_at"], attrs["ends_at"]
        problem = span_problem(start, end, "an override", OVERRIDE_LONGEST)
        if problem is not None:
            raise serializers.ValidationError({"ends_at": [problem]})
        return attrs


class TargetSerializer(serializers.ModelSerializer):
    user: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)
    team: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = EscalationTarget
        fields = ["kind", "schedule", "user", "team"]


class StepSerializer(serializers.ModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationStep
        fields = ["position", "escalate_after_minutes", "targets"]


class PolicySerializer(serializers.ModelSerializer):
    team: Any = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    services: Any = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = EscalationPolicy
        fields = ["id", "team", "name", "repeat", "is_default", "services", "steps"]


class TargetWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TargetKind.choices)
    schedule = serializers.PrimaryKeyRelatedField(
        queryset=Schedule.objects.all(), required=False, allow_null=True
    )
    user: Any = SafeSlugField(
        slug_field="username",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        error_messages=UNKNOWN_USERNAME,
    )
    team: Any = SafeSlugField(
        slug_field="slug", queryset=team_choices(), required=False, allow_null=True
    )


class StepWriteSerializer(serializers.Serializer):
    escalate_after_minutes = serializers.IntegerField(
        min_value=ESCALATE_AFTER_MINUTES_MIN, max_value=ESCALATE_AFTER_MINUTES_MAX, default=15
    )
    targets = TargetWriteSerializer(many=True, max_length=TARGETS_PER_STEP_MAX)  # type: ignore[call-arg]


class PolicyWriteSerializer(serializers.Serializer):
    team: Any = SafeSlugField(slug_field="slug", queryset=team_choices())
    name = serializers.CharField(max_length=200)
    repeat = serializers.IntegerField(min_value=0, max_value=REPEAT_MAX, default=0)
    is_default = serializers.BooleanField(default=True)
    services = serializers.ListField(
        child=SafeSlugField(slug_field="slug", queryset=service_choices()),
        required=False,
        default=list,
        help_text="Slugs of services this policy pages for instead of the team's default.",
    )
    steps = StepWriteSerializer(many=True, max_length=STEPS_MAX)  # type: ignore[call-arg]


class PolicyUpdateSerializer(PolicyWriteSerializer):
    team = None


class ScheduleErrorSerializer(serializers.Serializer):
    """A layer (or the overrides: layer null) of a schedule that cannot be worked out."""

    schedule = serializers.IntegerField()
    layer = serializers.IntegerField(allow_null=True)
    layer_name = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class OnCallNowSerializer(serializers.Serializer):
    schedule = serializers.IntegerField(source="schedule.pk")
    schedule_name = serializers.CharField(source="schedule.name")
    team = serializers.CharField(source="schedule.team.slug")
    now = serializers.CharField(source="now.username", allow_null=True, default=None)
    now_until = serializers.DateTimeField(allow_null=True)
    next = serializers.CharField(source="next.username", allow_null=True, default=None)
    next_from = serializers.DateTimeField(allow_null=True)
    layer_errors = ScheduleErrorSerializer(
        source="error_list",
        many=True,
        read_only=True,
        help_text="Layers that cannot be worked out; now/next come from the rest.",
    )


class PageSerializer(serializers.ModelSerializer):
    incident = serializers.CharField(source="incident.reference", read_only=True)
    user: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)
    step = serializers.SerializerMethodField()
    last_error = serializers.SerializerMethodField(
        help_text="Why delivery failed; shown to the person paged and to responders."
    )

    class Meta:
        model = Page
        fields = [
            "id",
            "incident",
            "step",
            "round",
            "user",
            "channel",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "delivered_at",
            "acknowledged_at",
        ]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_step(self, page: Page) -> int | None:
        return page.step_position + 1 if page.step_position is not None else None

    def get_last_error(self, page: Page) -> str:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return delivery_error_for(user, owner_id=page.user_id, error=page.last_error)


class HandoffSerializer(serializers.ModelSerializer):
    outgoing: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)
    incoming: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Handoff
        fields = [
            "id",
            "schedule",
            "outgoing",
            "incoming",
            "outgoing_shift_start",
            "shift_start",
            "shift_end",
            "notes",
            "reminded_at",
            "acknowledged_at",
        ]


class HandoffNotesSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True, max_length=20000)


class ContactMethodSerializer(serializers.ModelSerializer):
    user: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)
    address: Any = serializers.CharField(source="masked_address", read_only=True)

    class Meta:
        model = ContactMethod
        fields = ["id", "user", "kind", "address", "label", "enabled", "created_at"]


class ContactMethodWriteSerializer(serializers.Serializer):
    user: Any = SafeSlugField(
        slug_field="username",
        queryset=User.objects.all(),
        required=False,
        help_text="Default: yourself.",
        error_messages=UNKNOWN_USERNAME,
    )
    kind = serializers.ChoiceField(choices=Channel.choices)
    address = serializers.CharField(max_length=500)
    label = serializers.CharField(  # type: ignore[assignment]
        max_length=100, required=False, allow_blank=True, default=""
    )


class CalendarFeedSerializer(serializers.ModelSerializer):
    user: Any = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = CalendarFeed
        fields = ["id", "prefix", "schedule", "user", "created_at", "revoked_at"]


class CalendarFeedCreatedSerializer(CalendarFeedSerializer):
    url = serializers.CharField(help_text="The secret feed URL; shown only in this answer.")

    class Meta(CalendarFeedSerializer.Meta):
        fields = [*CalendarFeedSerializer.Meta.fields, "url"]


class CalendarFeedWriteSerializer(serializers.Serializer):
    schedule = serializers.PrimaryKeyRelatedField(
        queryset=Schedule.objects.select_related("team"),
        required=False,
        allow_null=True,
        help_text="A schedule's feed; omit for a feed of your own shifts.",
    )
