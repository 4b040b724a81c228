"""REST API of the catalog: services and teams. Validate, one service, serialize.

The viewsets are routed where their paths have always been: services at
`/api/v1/services/` (slos/api/urls.py, whose viewset adds an SLO's corrections) and teams
at `/api/v1/oncall/teams/` (oncall/api/urls.py)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.permissions import IsViewer
from core.serializer_fields import SafeSlugField, UsernamesField

from . import selectors, services
from .models import Service, Team


class ServiceSerializer(serializers.ModelSerializer):
    owner = SafeSlugField(
        slug_field="slug",
        queryset=Team.objects.all(),
        allow_null=True,
        required=False,
        help_text="Slug of the owning team.",
    )

    class Meta:
        model = Service
        fields = [
            "slug",
            "name",
            "description",
            "owner",
            "tier",
            "sla_objective",
            "gate_warn_only",
            "budget_policy",
            "discovered",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class ServiceViewSet(viewsets.ModelViewSet):
    """Services: everyone reads; admins create, edit and tidy discovered ones."""

    queryset = Service.objects.select_related("owner").order_by("slug")
    serializer_class = ServiceSerializer
    lookup_field = "slug"
    filterset_fields = ["discovered"]


class TeamSerializer(serializers.ModelSerializer):
    members: Any = serializers.SlugRelatedField(slug_field="username", many=True, read_only=True)
    fallback_contacts: Any = serializers.SlugRelatedField(
        slug_field="username", many=True, read_only=True
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "slug",
            "time_zone",
            "members",
            "fallback_contacts",
            "working_days",
            "working_start",
            "working_end",
        ]


def _weekday() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=6)


class TeamWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=100)
    time_zone = serializers.CharField(max_length=64, default="UTC")
    members = UsernamesField(required=False, default=list)
    fallback_contacts = UsernamesField(required=False, default=list)
    working_days = serializers.ListField(
        child=_weekday(), required=False, max_length=7, help_text="0 = Monday."
    )
    working_start = serializers.TimeField(required=False)
    working_end = serializers.TimeField(required=False)


class TeamUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    members = UsernamesField(required=False)
    fallback_contacts = UsernamesField(required=False)
    working_days = serializers.ListField(
        child=_weekday(), required=False, max_length=7, help_text="0 = Monday."
    )
    working_start = serializers.TimeField(required=False)
    working_end = serializers.TimeField(required=False)


def _valid(
    serializer_class: type[serializers.Serializer], request: Request, partial: bool = False
) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teams: viewers read, admins create and change."""

    permission_classes = [IsViewer]
    serializer_class = TeamSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Team]:
        if getattr(self, "swagger_fake_view", False):  # nothing while the schema is built
            return Team.objects.none()
        return selectors.team_list(user=self.request.user)

    @extend_schema(request=TeamWriteSerializer, responses={201: TeamSerializer})
    def create(self, request: Request) -> Response:
        team = services.team_create(user=request.user, **_valid(TeamWriteSerializer, request))
        return Response(TeamSerializer(team).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TeamUpdateSerializer, responses=TeamSerializer)
    def partial_update(self, request: Request, slug: str) -> Response:
        team = services.team_update(
            user=request.user,
            team=self.get_object(),
            **_valid(TeamUpdateSerializer, request, partial=True),
        )
        return Response(TeamSerializer(team).data)
