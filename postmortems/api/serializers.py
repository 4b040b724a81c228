"""Serializers of the postmortem API: postmortems, sections, review, versions, action items."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.selectors import team_choices
from core.bounds import COUNT_MAX
from core.serializer_fields import column_integer
from incidents.api.serializers import UsernameField
from incidents.models import Incident
from postmortems import services as pm
from postmortems.models import ActionItem, Postmortem, PostmortemSection, PostmortemVersion
from postmortems.sections import SECTION_KEYS, SECTION_TITLES


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class SectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.SerializerMethodField()
    body = serializers.CharField()
    revision = serializers.IntegerField()
    updated_by = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_title(self, obj: Any) -> str:
        return SECTION_TITLES[obj.key]

    def get_updated_by(self, obj: Any) -> str | None:
        return obj.updated_by.get_username() if obj.updated_by else None


class ReviewerSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    requested_at = serializers.DateTimeField()
    approved_at = serializers.DateTimeField(allow_null=True)
    comment = serializers.CharField()


class VersionSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = PostmortemVersion
        fields = ["number", "published_at", "published_by_name", "content_hash"]
        read_only_fields = fields


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PostmortemVersion
        fields = ["number", "published_at", "published_by_name", "content_hash", "snapshot"]
        read_only_fields = fields


class PostmortemListSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident.number")
    title = serializers.CharField(source="incident.title")
    severity = serializers.CharField(source="incident.severity")

    class Meta:
        model = Postmortem
        fields = [
            "incident",
            "title",
            "severity",
            "status",
            "required",
            "requires_p0_action",
            "due_at",
            "published_version",
            "published_at",
            "updated_at",
        ]
        read_only_fields = fields


class PostmortemSerializer(PostmortemListSerializer):
    authors = serializers.ListField(
        child=serializers.CharField(), source="author_names", read_only=True
    )
    sections = serializers.SerializerMethodField()
    reviewers = ReviewerSerializer(many=True, read_only=True)
    versions = VersionSummarySerializer(many=True, read_only=True)
    publish_blockers = serializers.SerializerMethodField()

    class Meta(PostmortemListSerializer.Meta):
        fields = [
            *PostmortemListSerializer.Meta.fields,
            "authors",
            "facts",
            "facts_refreshed_at",
            "users_affected",
            "failed_requests",
            "revenue_impact",
            "revenue_currency",
            "sections",
            "reviewers",
            "versions",
            "publish_blockers",
        ]
        read_only_fields = fields

    @extend_schema_field(SectionSerializer(many=True))
    def get_sections(self, obj: Postmortem) -> list[dict[str, Any]]:
        by_key = {s.key: s for s in obj.sections.all()}
        return [SectionSerializer(by_key[k]).data for k in SECTION_KEYS if k in by_key]

    def get_publish_blockers(self, obj: Postmortem) -> list[str]:
        return pm.publish_blockers(obj) if obj.status == "in_review" else []


class SectionEditSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, max_length=100_000, trim_whitespace=False)
    base_revision = column_integer(
        PostmortemSection,
        "revision",
        help_text="The revision the edit started from (from the last read).",
    )


class SectionConflictSerializer(serializers.Serializer):
    message = serializers.CharField()
    section = SectionSerializer()


class FiguresSerializer(serializers.Serializer):
    users_affected = serializers.IntegerField(
        min_value=0, max_value=COUNT_MAX, allow_null=True, required=False
    )
    failed_requests = serializers.IntegerField(
        min_value=0, max_value=COUNT_MAX, allow_null=True, required=False
    )
    revenue_impact = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    revenue_currency = serializers.CharField(max_length=3, required=False, allow_blank=True)


class RequestReviewSerializer(serializers.Serializer):
    reviewers = serializers.ListField(child=UsernameField(), min_length=1, max_length=20)


class ReviewSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class LanguageCheckSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=100_000, trim_whitespace=False)


class SuggestionSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    phrase = serializers.CharField()
    reason = serializers.CharField()
    instead = serializers.CharField()


class TemplateSerializer(serializers.Serializer):
    sections = serializers.DictField(child=serializers.CharField(allow_blank=True))


class ActionItemSerializer(serializers.ModelSerializer):
    incident = serializers.IntegerField(source="incident.number", read_only=True)
    owner = UsernameField(required=False, allow_null=True)
    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=team_choices(), required=False, allow_null=True
    )

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "incident",
            "title",
            "description",
            "owner",
            "team",
            "due_on",
            "priority",
            "kind",
            "status",
            "tracker_url",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "incident", "completed_at", "created_at", "updated_at"]


class ActionItemCreateSerializer(ActionItemSerializer):
    incident_number = column_integer(Incident, "number", write_only=True, min_value=1)

    class Meta(ActionItemSerializer.Meta):
        fields = [*ActionItemSerializer.Meta.fields, "incident_number"]
