"""REST API for incidents, alerts, integrations and metrics: validate, one service, serialize."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.permissions import IsAdmin, IsResponder
from core.actors import Actor

from .. import selectors, services
from ..choices import AlertStatus
from ..filters import AlertFilter, IncidentFilter
from ..models import Alert, Incident, Integration
from . import serializers as s


def _valid(serializer_class: type[Serializer], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='The incident version this change is based on, e.g. "1234" (as the ETag '
    "of the incident's detail); the same as `if_version` in the body.",
)


def _changes(request_serializer: Any) -> dict[str, Any]:
    """The OpenAPI description of a change that may be refused as stale."""
    return {
        "request": request_serializer,
        "parameters": [IF_MATCH],
        "responses": {200: s.IncidentDetailSerializer, 409: s.IncidentConflictSerializer},
    }


def _based_on(request: Request, data: dict[str, Any]) -> int | None:
    """The version a change is based on: `if_version` in the body, or an If-Match header."""
    version = data.pop("if_version", None)
    header = request.headers.get("If-Match", "").strip()
    if version is not None or not header or header == "*":
        return version
    text = header.removeprefix("W/").strip('"')
    if not text.isascii() or not text.isdigit() or len(text) > 19:
        raise ValidationError({"If-Match": ['Give the incident version, e.g. "1234".']})
    return int(text)


def _number(value: str) -> int:
    """Accept `42` and `INC-42`."""
    text = value.upper().removeprefix("INC-")
    if not text.isdigit():
        raise Http404
    return int(text)


class IncidentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Incidents: list and filter, declare, and act on one (the lifecycle)."""

    permission_classes = [IsResponder]
    filterset_class = IncidentFilter
    lookup_field = "number"
    lookup_value_regex = r"(?i:inc-)?\d+"
    serializer_class = s.IncidentSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation
            return Incident.objects.none()
        return selectors.incident_list(user=self.request.user)

    def get_object(self) -> Incident:
        """The incident alone, for actions (the full detail is read for the response)."""
        incident = selectors.incident_find(
            user=self.request.user, number=_number(self.kwargs["number"])
        )
        self.check_object_permissions(self.request, incident)
        return incident

    def _detail(self, incident: Incident, code: int = status.HTTP_200_OK) -> Response:
        fresh = selectors.incident_detail(
            user=self.request.user, number=incident.number, size=self._page_size()
        )
        data = s.IncidentDetailSerializer(fresh, context={"request": self.request}).data
        response = Response(data, status=code)
        response["ETag"] = f'"{fresh.version}"'  # type: ignore[attr-defined]
        return response

    def _page_size(self) -> int:
        """The size of one page of the paged lists (alerts, timeline): the detail shows
        their first page."""
        size = getattr(self.paginator, "page_size", None)
        return size if isinstance(size, int) and size > 0 else int(api_settings.PAGE_SIZE or 50)

    @property
    def actor(self) -> Actor:
        return Actor.of(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, description="A page number, from 1."),
            OpenApiParameter("status", str, enum=AlertStatus.values, description="One status"),
        ],
        responses=s.AlertSerializer(many=True),
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def alerts(self, request: Request, number: str) -> Response:
        """The incident's alerts a page at a time, firing first, then the newest start
        (the detail's `alerts` is page 1)."""
        query = s.IncidentAlertsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        queryset = selectors.incident_alerts(incident=self.get_object())
        if "status" in query.validated_data:
            queryset = queryset.filter(status=query.validated_data["status"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.AlertSerializer(page, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("page", int, description="A page number, from 1."),
            OpenApiParameter(
                "order", str, enum=["newest", "oldest"], description="newest first (default)"
            ),
            OpenApiParameter(
                "pinned", bool, description="Only pinned entries (true) or unpinned (false)"
            ),
        ],
        responses=s.TimelineEntrySerializer(many=True),
    )
    @action(detail=True, methods=["get"], url_path="timeline", filter_backends=[])
    def timeline(self, request: Request, number: str) -> Response:
        """The incident's timeline a page at a time, newest first (the detail's `timeline`
        is page 1, shown oldest first)."""
        query = s.IncidentTimelineQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        queryset = selectors.incident_timeline(incident=self.get_object())
        if query.validated_data["order"] == "oldest":
            queryset = queryset.reverse()
        if query.validated_data.get("pinned") is not None:
            queryset = queryset.filter(pinned=query.validated_data["pinned"])
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.TimelineEntrySerializer(page, many=True).data)

    @extend_schema(responses=s.IncidentDetailSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail(self.get_object())

    @extend_schema(request=s.IncidentDeclareSerializer, responses={201: s.IncidentDetailSerializer})
    def create(self, request: Request) -> Response:
        """Declare an incident."""
        data = _valid(s.IncidentDeclareSerializer, request)
        incident = services.incident_declare(actor=self.actor, **data)
        return self._detail(incident, status.HTTP_201_CREATED)

    @extend_schema(**_changes(s.IncidentEditSerializer))
    def partial_update(self, request: Request, number: str) -> Response:
        """Edit title, summary or services."""
        data = _valid(s.IncidentEditSerializer, request)
        incident = services.incident_update_details(
            incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data), **data
        )
        return self._detail(incident)

    @extend_schema(**_changes(s.BasedOnSerializer))
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, number: str) -> Response:
        data = _valid(s.BasedOnSerializer, request)
        return self._detail(
            services.incident_acknowledge(
                incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data)
            )
        )

    @extend_schema(**_changes(s.StatusSerializer))
    @action(detail=True, methods=["post"])
    def status(self, request: Request, number: str) -> Response:
        data = _valid(s.StatusSerializer, request)
        incident = services.incident_set_status(
            incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data), **data
        )
        return self._detail(incident)

    @extend_schema(**_changes(s.SeveritySerializer))
    @action(detail=True, methods=["post"])
    def severity(self, request: Request, number: str) -> Response:
        """Change the severity. With `if_version`, a severity changed since (by a person or
        by a joining alert) refuses the change with 409."""
        data = _valid(s.SeveritySerializer, request)
        incident = services.incident_set_severity(
            incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data), **data
        )
        return self._detail(incident)

    @extend_schema(**_changes(s.CommanderSerializer))
    @action(detail=True, methods=["post"])
    def commander(self, request: Request, number: str) -> Response:
        data = _valid(s.CommanderSerializer, request)
        incident = services.incident_assign_commander(
            incident=self.get_object(),
            commander=data["username"],
            actor=self.actor,
            based_on=_based_on(request, data),
        )
        return self._detail(incident)

    @extend_schema(**_changes(s.ResponderSerializer))
    @action(detail=True, methods=["post"])
    def responders(self, request: Request, number: str) -> Response:
        """Add a responder."""
        data = _valid(s.ResponderSerializer, request)
        incident = services.incident_add_responder(
            incident=self.get_object(),
            user=data["username"],
            actor=self.actor,
            based_on=_based_on(request, data),
        )
        return self._detail(incident)

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={200: s.IncidentDetailSerializer, 409: s.IncidentConflictSerializer},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"responders/(?P<username>[^/]+)",
        url_name="remove-responder",
    )
    def remove_responder(self, request: Request, number: str, username: str) -> Response:
        """Remove a responder."""
        serializer = s.ResponderSerializer(data={"username": username})
        serializer.is_valid(raise_exception=True)
        incident = services.incident_remove_responder(
            incident=self.get_object(),
            user=serializer.validated_data["username"],
            actor=self.actor,
            based_on=_based_on(request, {}),
        )
        return self._detail(incident)

    @extend_schema(request=s.NoteSerializer, responses={201: s.TimelineEntrySerializer})
    @action(detail=True, methods=["post"])
    def note(self, request: Request, number: str) -> Response:
        data = _valid(s.NoteSerializer, request)
        entry = services.incident_add_note(incident=self.get_object(), actor=self.actor, **data)
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(**_changes(s.ResolveSerializer))
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, number: str) -> Response:
        data = _valid(s.ResolveSerializer, request)
        incident = services.incident_resolve(
            incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data), **data
        )
        return self._detail(incident)

    @extend_schema(**_changes(s.ReopenSerializer))
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, number: str) -> Response:
        data = _valid(s.ReopenSerializer, request)
        incident = services.incident_reopen(
            incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data), **data
        )
        return self._detail(incident)

    @extend_schema(**_changes(s.BasedOnSerializer))
    @action(detail=True, methods=["post"])
    def close(self, request: Request, number: str) -> Response:
        data = _valid(s.BasedOnSerializer, request)
        return self._detail(
            services.incident_close(
                incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data)
            )
        )

    @extend_schema(**_changes(s.CorrectTimeSerializer))
    @action(detail=True, methods=["post"], url_path="correct-time")
    def correct_time(self, request: Request, number: str) -> Response:
        """Correct started/detected/acknowledged/resolved time, with a reason."""
        data = _valid(s.CorrectTimeSerializer, request)
        incident = services.incident_correct_time(
            incident=self.get_object(), actor=self.actor, based_on=_based_on(request, data), **data
        )
        return self._detail(incident)

    @extend_schema(request=s.PinSerializer, responses=s.TimelineEntrySerializer)
    @action(detail=True, methods=["post"], url_path=r"timeline/(?P<entry_id>\d+)/pin")
    def pin(self, request: Request, number: str, entry_id: str) -> Response:
        """Pin a timeline entry for the postmortem (or unpin it)."""
        data = _valid(s.PinSerializer, request)
        entry = self.get_object().timeline.filter(pk=int(entry_id)).first()
        if entry is None:
            raise Http404
        entry = services.timeline_entry_set_pinned(
            entry=entry, pinned=data["pinned"], actor=self.actor
        )
        return Response(s.TimelineEntrySerializer(entry).data)


class AlertViewSet(viewsets.ReadOnlyModelViewSet):
    """Alerts as received, newest first."""

    serializer_class = s.AlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation
            return Alert.objects.none()
        return selectors.alert_list(user=self.request.user)


class IntegrationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Alert sources (admins only). The token appears only in the create and rotate responses."""

    permission_classes = [IsAdmin]
    serializer_class = s.IntegrationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation
            return Integration.objects.none()
        return selectors.integration_list(user=self.request.user)

    def _created(self, integration: Integration, token: str, code: int) -> Response:
        integration.token = token  # type: ignore[attr-defined]
        integration.webhook_url = settings.KEEL_BASE_URL.rstrip("/") + reverse(  # type: ignore[attr-defined]
            "alertmanager-webhook"
        )
        return Response(s.IntegrationCreatedSerializer(integration).data, status=code)

    @extend_schema(request=s.IntegrationSerializer, responses={201: s.IntegrationCreatedSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.IntegrationSerializer, request)
        seconds = data.pop("quiet_period_seconds", None)
        data.pop("enabled", None)
        integration, token = services.integration_create(
            actor=Actor.of(request.user),
            quiet_period=timedelta(seconds=seconds) if seconds else None,
            **data,
        )
        return self._created(integration, token, status.HTTP_201_CREATED)

    @extend_schema(request=s.IntegrationSerializer, responses=s.IntegrationSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        """Change routing and policy settings (name, labels, severity mapping, policies)."""
        integration = self.get_object()
        serializer = s.IntegrationSerializer(integration, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "quiet_period_seconds" in data:
            seconds = data.pop("quiet_period_seconds")
            data["quiet_period"] = timedelta(seconds=seconds) if seconds else None
        if "enabled" in data:
            raise ValidationError({"enabled": ["Use the enabled action to enable or disable."]})
        integration = services.integration_update(
            integration=integration, actor=Actor.of(request.user), **data
        )
        return Response(s.IntegrationSerializer(integration).data)

    @extend_schema(request=None, responses=s.IntegrationCreatedSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-token")
    def rotate_token(self, request: Request, pk: str) -> Response:
        integration, token = services.integration_rotate_token(
            integration=self.get_object(), actor=Actor.of(request.user)
        )
        return self._created(integration, token, status.HTTP_200_OK)

    @extend_schema(request=s.IntegrationEnabledSerializer, responses=s.IntegrationSerializer)
    @action(detail=True, methods=["post"])
    def enabled(self, request: Request, pk: str) -> Response:
        data = _valid(s.IntegrationEnabledSerializer, request)
        integration = services.integration_set_enabled(
            integration=self.get_object(), enabled=data["enabled"], actor=Actor.of(request.user)
        )
        return Response(s.IntegrationSerializer(integration).data)

    @extend_schema(
        responses=s.DeliverySerializer(many=True),
        parameters=[
            OpenApiParameter(
                "failed", bool, description="Only deliveries that failed after every retry"
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request: Request, pk: str) -> Response:
        """Recent deliveries and what processing made of them."""
        integration = self.get_object()
        if request.query_params.get("failed", "").lower() in ("1", "true", "yes"):
            queryset = selectors.deliveries_failed(user=request.user, integration=integration)
        else:
            queryset = selectors.delivery_list(user=request.user, integration=integration)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(s.DeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses=s.DeliverySerializer)
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>\d+)/replay")
    def replay(self, request: Request, pk: str, delivery_id: str) -> Response:
        """Process a failed delivery again."""
        delivery = (
            selectors.delivery_list(user=request.user, integration=self.get_object())
            .filter(pk=int(delivery_id))
            .first()
        )
        if delivery is None:
            raise Http404
        delivery = services.delivery_replay(delivery=delivery, actor=Actor.of(request.user))
        delivery.refresh_from_db()
        return Response(s.DeliverySerializer(delivery).data)


class IncidentMetricsView(APIView):
    """MTTD, MTTA and MTTR (seconds) with percentiles, overall, by service and by severity."""

    @extend_schema(
        parameters=[
            OpenApiParameter("since", str, description="ISO 8601; incidents started at or after"),
            OpenApiParameter("until", str, description="ISO 8601; incidents started before"),
        ],
        responses=s.IncidentMetricsSerializer,
    )
    def get(self, request: Request) -> Response:
        query = s.MetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = selectors.incident_metrics(user=request.user, **query.validated_data)
        return Response(s.IncidentMetricsSerializer(data).data)
