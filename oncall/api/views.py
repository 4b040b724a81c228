"""On-call REST API: validate, one service, serialize. Refusals are 400 JSON with a message."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts.permissions import IsResponder, IsViewer, _RolePermission
from catalog import selectors as catalog_selectors
from core.bounds import datetime_problem
from core.errors import KeelError
from core.roles import Role, role_of
from oncall.models import (
    CalendarFeed,
    ContactMethod,
    EscalationPolicy,
    Handoff,
    Layer,
    Override,
    Page,
    Schedule,
)

from .. import rotation, selectors, services
from . import serializers as s

M = TypeVar("M", bound=Model)


class IsViewerWrites(_RolePermission):
    """Anyone signed in reads and writes their own things (the service checks whose)."""

    write_role = Role.VIEWER


def _valid(
    serializer_class: type[Serializer], request: Request, partial: bool = False
) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _fake(view: Any) -> bool:
    return bool(getattr(view, "swagger_fake_view", False))


def _visible(view: Any, model: type[M], selector: Callable[..., QuerySet[M]]) -> QuerySet[M]:
    """What the selector lets the requesting user see (nothing while the schema is built)."""
    return model._default_manager.none() if _fake(view) else selector(user=view.request.user)


def _time_param(request: Request, name: str, default: datetime) -> datetime:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = parse_datetime(raw.replace(" ", "+"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise ValidationError(
            {name: ["An ISO 8601 time with a zone, e.g. 2026-03-01T09:00:00+01:00."]}
        )
    problem = datetime_problem(value, name)
    if problem is not None:
        raise ValidationError({name: [problem]})
    return value


class ScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Schedules with their layers; `final` is the computed schedule over an interval."""

    permission_classes = [IsViewer]
    serializer_class = s.ScheduleSerializer
    filterset_fields = ["team"]

    def get_queryset(self) -> QuerySet[Schedule]:
        return _visible(self, Schedule, selectors.schedule_list)

    @extend_schema(request=s.ScheduleWriteSerializer, responses={201: s.ScheduleSerializer})
    def create(self, request: Request) -> Response:
        schedule = services.schedule_create(
            user=request.user, **_valid(s.ScheduleWriteSerializer, request)
        )
        return Response(s.ScheduleSerializer(schedule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ScheduleUpdateSerializer, responses=s.ScheduleSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        schedule = services.schedule_update(
            user=request.user,
            schedule=self.get_object(),
            **_valid(s.ScheduleUpdateSerializer, request, partial=True),
        )
        return Response(s.ScheduleSerializer(schedule).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="ISO 8601 with zone; default now."),
            OpenApiParameter(
                "end",
                str,
                description="ISO 8601 with zone; default start + 7 days; at most 366 days.",
            ),
        ],
        responses={
            200: s.ShiftSerializer(many=True),
            409: OpenApiResponse(
                description="A layer cannot be worked out: `message`, `errors` (each "
                "broken layer) and `shifts` (the schedule without it)."
            ),
        },
    )
    @action(detail=True, methods=["get"])
    def final(self, request: Request, pk: str) -> Response:
        """The final schedule (layers, restrictions and overrides) within [start, end)."""
        schedule = self.get_object()
        start = _time_param(request, "start", timezone.now())
        end = _time_param(request, "end", start + timedelta(days=7))
        if not start < end <= start + timedelta(days=366):
            raise ValidationError({"end": ["end must be after start, and at most 366 days later."]})
        final = selectors.schedule_resolve(schedule, start, end)
        shifts = rotation.merge_people(final.shifts)
        names = selectors.users_by_id([int(x.who) for x in shifts])
        body = [
            {
                "start": x.start,
                "end": x.end,
                "user": names[int(x.who)].get_username() if int(x.who) in names else None,
                "layer": x.layer,
                "override": x.is_override,
            }
            for x in shifts
        ]
        if final.errors:
            # An incomplete schedule is not answered as if it were the schedule.
            return Response(
                {
                    "message": final.errors[0].text,
                    "errors": [e.as_dict() for e in final.errors],
                    "shifts": s.ShiftSerializer(body, many=True).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        return Response(body)

    def perform_destroy(self, instance: Schedule) -> None:
        services.schedule_delete(user=self.request.user, schedule=instance)


class LayerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Layers (rotations) of schedules; a new layer goes on top."""

    permission_classes = [IsViewer]
    serializer_class = s.LayerSerializer
    filterset_fields = ["schedule"]

    def get_queryset(self) -> QuerySet[Layer]:
        if _fake(self):
            return Layer.objects.none()
        selectors.team_list(user=self.request.user)
        return Layer.objects.select_related("schedule__team").prefetch_related("participants__user")

    @extend_schema(request=s.LayerWriteSerializer, responses={201: s.LayerSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.LayerWriteSerializer, request)
        layer = services.layer_create(user=request.user, **data)
        return Response(s.LayerSerializer(layer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.LayerUpdateSerializer, responses=s.LayerSerializer)
    def update(self, request: Request, pk: str) -> Response:
        layer = services.layer_update(
            user=request.user, layer=self.get_object(), **_valid(s.LayerUpdateSerializer, request)
        )
        return Response(s.LayerSerializer(layer).data)

    def destroy(self, request: Request, pk: str) -> Response:
        services.layer_delete(user=request.user, layer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class OverrideViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Overrides: responders add and remove them; a conflict is a 400 that names the clash."""

    permission_classes = [IsResponder]
    serializer_class = s.OverrideSerializer
    filterset_fields = ["schedule", "user"]

    def get_queryset(self) -> QuerySet[Override]:
        if _fake(self):
            return Override.objects.none()
        selectors.team_list(user=self.request.user)
        return Override.objects.select_related("user", "created_by")

    @extend_schema(request=s.OverrideWriteSerializer, responses={201: s.OverrideSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.OverrideWriteSerializer, request)
        override = services.override_create(
            user=request.user,
            schedule=data["schedule"],
            person=data["user"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
        )
        return Response(s.OverrideSerializer(override).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        services.override_delete(user=request.user, override=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _steps(data: list[dict[str, Any]]) -> list[services.StepSpec]:
    return [
        services.StepSpec(
            escalate_after_minutes=step["escalate_after_minutes"],
            targets=[
                services.TargetSpec(
                    kind=t["kind"],
                    schedule=t.get("schedule"),
                    user=t.get("user"),
                    team=t.get("team"),
                )
                for t in step["targets"]
            ],
        )
        for step in data
    ]


class EscalationPolicyViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Escalation policies with their steps; writing replaces the steps."""

    permission_classes = [IsViewer]
    serializer_class = s.PolicySerializer
    filterset_fields = ["team"]

    def get_queryset(self) -> QuerySet[EscalationPolicy]:
        return _visible(self, EscalationPolicy, selectors.policy_list)

    @extend_schema(request=s.PolicyWriteSerializer, responses={201: s.PolicySerializer})
    def create(self, request: Request) -> Response:
        data = _valid(s.PolicyWriteSerializer, request)
        policy = services.policy_create(
            user=request.user,
            team=data["team"],
            name=data["name"],
            repeat=data["repeat"],
            is_default=data["is_default"],
            steps=_steps(data["steps"]),
            services=data["services"],
        )
        return Response(s.PolicySerializer(policy).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.PolicyUpdateSerializer, responses=s.PolicySerializer)
    def update(self, request: Request, pk: str) -> Response:
        data = _valid(s.PolicyUpdateSerializer, request)
        policy = services.policy_update(
            user=request.user,
            policy=self.get_object(),
            name=data["name"],
            repeat=data["repeat"],
            is_default=data["is_default"],
            steps=_steps(data["steps"]),
            services=data["services"],
        )
        return Response(
            s.PolicySerializer(selectors.policy_list(user=request.user).get(pk=policy.pk)).data
        )

    def destroy(self, request: Request, pk: str) -> Response:
        services.policy_delete(user=request.user, policy=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class OnCallNowView(APIView):
    """Who is on call now and next, per schedule; `?team=<slug>` narrows to one team."""

    permission_classes = [IsViewer]

    @extend_schema(
        parameters=[OpenApiParameter("team", str, description="Team slug.")],
        responses=s.OnCallNowSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        team = None
        slug = request.query_params.get("team")
        if slug:
            team = catalog_selectors.team_by_slug(user=request.user, slug=slug)
            if team is None:
                raise KeelError(f"No team with the slug {slug!r}.", field="team")
        rows = selectors.oncall_now(schedules=selectors.schedule_list(user=request.user, team=team))
        return Response(s.OnCallNowSerializer(rows, many=True).data)


class PageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Pages sent for incidents, newest first."""

    permission_classes = [IsViewer]
    serializer_class = s.PageSerializer
    filterset_fields = ["status", "channel", "user"]

    def get_queryset(self) -> QuerySet[Page]:
        if _fake(self):
            return Page.objects.none()
        qs = selectors.page_list(user=self.request.user)
        number = self.request.query_params.get("incident", "").upper().removeprefix("INC-")
        return qs.filter(incident__number=int(number)) if number.isdigit() else qs

    @extend_schema(parameters=[OpenApiParameter("incident", str, description="e.g. INC-42")])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)


class HandoffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Handoffs between shifts: notes by the outgoing person, "I have it" by the incoming."""

    permission_classes = [IsResponder]
    serializer_class = s.HandoffSerializer
    filterset_fields = ["schedule", "incoming", "outgoing"]

    def get_queryset(self) -> QuerySet[Handoff]:
        return _visible(self, Handoff, selectors.handoff_list)

    @extend_schema(request=None, responses=s.HandoffSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str) -> Response:
        handoff = services.handoff_acknowledge(user=request.user, handoff=self.get_object())
        return Response(s.HandoffSerializer(handoff).data)

    @extend_schema(request=s.HandoffNotesSerializer, responses=s.HandoffSerializer)
    @action(detail=True, methods=["post"])
    def notes(self, request: Request, pk: str) -> Response:
        data = _valid(s.HandoffNotesSerializer, request)
        handoff = services.handoff_update_notes(
            user=request.user, handoff=self.get_object(), notes=data["notes"]
        )
        return Response(s.HandoffSerializer(handoff).data)


class ContactMethodViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your contact methods (admins: everyone's). Webhook URLs are shown masked."""

    permission_classes: list[type[BasePermission]] = [IsViewerWrites]
    serializer_class = s.ContactMethodSerializer

    def get_queryset(self) -> QuerySet[ContactMethod]:
        if _fake(self):
            return ContactMethod.objects.none()
        qs = ContactMethod.objects.select_related("user")
        me: Any = self.request.user
        return qs if role_of(me) >= Role.ADMIN else qs.filter(user=me)

    @extend_schema(
        request=s.ContactMethodWriteSerializer, responses={201: s.ContactMethodSerializer}
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.ContactMethodWriteSerializer, request)
        method = services.contact_method_create(
            user=request.user,
            owner=data.get("user") or request.user,
            kind=data["kind"],
            address=data["address"],
            label=data["label"],
        )
        return Response(s.ContactMethodSerializer(method).data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        method = self.get_queryset().filter(pk=pk).first()
        if method is None:
            return Response({"message": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        services.contact_method_delete(user=request.user, method=method)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CalendarFeedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Secret iCal feed URLs: yours and those you created. The URL is shown once, when
    the feed is created; revoking makes it stop working."""

    permission_classes: list[type[BasePermission]] = [IsViewerWrites]
    serializer_class = s.CalendarFeedSerializer

    def get_queryset(self) -> QuerySet[CalendarFeed]:
        if _fake(self):
            return CalendarFeed.objects.none()
        me: Any = self.request.user
        qs = CalendarFeed.objects.select_related("user")
        if role_of(me) >= Role.ADMIN:
            return qs
        return qs.filter(Q(user=me) | Q(created_by=me))

    @extend_schema(
        request=s.CalendarFeedWriteSerializer, responses={201: s.CalendarFeedCreatedSerializer}
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.CalendarFeedWriteSerializer, request)
        schedule = data.get("schedule")
        feed, token = services.feed_create(
            user=request.user, schedule=schedule, person=None if schedule else request.user
        )
        body = dict(s.CalendarFeedSerializer(feed).data)
        body["url"] = request.build_absolute_uri(reverse("oncall:ical", kwargs={"token": token}))
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.CalendarFeedSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        feed = self.get_queryset().filter(pk=pk).first()
        if feed is None:
            return Response({"message": "Not found."}, status=status.HTTP_404_NOT_FOUND)
        return Response(
            s.CalendarFeedSerializer(services.feed_revoke(user=request.user, feed=feed)).data
        )
