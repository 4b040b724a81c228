"""REST API views for postmortems, their review, versions, documents, and action items."""

from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.views import APIView

from accounts.permissions import IsResponder, IsViewer
from core.actors import Actor
from incidents import selectors
from incidents.models import Incident
from postmortems import blameless
from postmortems import services as pm
from postmortems.api.serializers import (
    ActionItemCreateSerializer,
    ActionItemSerializer,
    FiguresSerializer,
    LanguageCheckSerializer,
    MessageSerializer,
    PostmortemListSerializer,
    PostmortemSerializer,
    RequestReviewSerializer,
    ReviewSerializer,
    SectionConflictSerializer,
    SectionEditSerializer,
    SectionSerializer,
    SuggestionSerializer,
    TemplateSerializer,
    VersionSerializer,
    VersionSummarySerializer,
)
from postmortems.lookups import document_filename, document_version_or_404
from postmortems.models import (
    ActionItem,
    ActionPriority,
    ActionStatus,
    Postmortem,
    PostmortemVersion,
)
from postmortems.render import PAPERS, to_markdown
from postmortems.selectors import (
    action_item_list,
    postmortem_for_incident,
    postmortem_list,
    postmortem_version_get,
)


def _valid(serializer_class: type[Serializer], request: Request, **kw: Any) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, **kw)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _incident(user: Any, number: int) -> Incident:
    return selectors.incident_find(user=user, number=number)  # a missing one is a 404


def _postmortem(user: Any, number: int) -> Postmortem:
    try:
        return postmortem_for_incident(user=user, number=number)
    except Postmortem.DoesNotExist:
        raise Http404 from None


class _PostmortemView(APIView):
    permission_classes = [IsResponder]

    @property
    def actor(self) -> Actor:
        return Actor.of(self.request.user)

    def detail(self, number: int, code: int = status.HTTP_200_OK) -> Response:
        return Response(
            PostmortemSerializer(_postmortem(self.request.user, number)).data, status=code
        )


class PostmortemView(_PostmortemView):
    """The postmortem of an incident: read it, or draft it (refreshing facts if it exists)."""

    @extend_schema(responses=PostmortemSerializer)
    def get(self, request: Request, number: int) -> Response:
        return self.detail(number)

    @extend_schema(request=None, responses={200: PostmortemSerializer, 201: PostmortemSerializer})
    def post(self, request: Request, number: int) -> Response:
        incident = _incident(request.user, number)
        existed = Postmortem.objects.filter(incident=incident).exists()
        pm.postmortem_draft(incident=incident, actor=self.actor)
        return self.detail(number, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class SectionView(_PostmortemView):
    """Save one section; 409 with the current text when someone saved it in between."""

    @extend_schema(
        request=SectionEditSerializer,
        responses={200: SectionSerializer, 409: SectionConflictSerializer},
    )
    def put(self, request: Request, number: int, key: str) -> Response:
        data = _valid(SectionEditSerializer, request)
        postmortem = _postmortem(request.user, number)
        try:
            section = pm.postmortem_edit_section(
                postmortem=postmortem, key=key, actor=self.actor, **data
            )
        except pm.SectionConflict as conflict:
            return Response(
                {"message": conflict.message, "section": SectionSerializer(conflict.section).data},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(SectionSerializer(section).data)


class FiguresView(_PostmortemView):
    @extend_schema(request=FiguresSerializer, responses=PostmortemSerializer)
    def patch(self, request: Request, number: int) -> Response:
        """Impact figures: users affected, failed requests, revenue impact."""
        data = _valid(FiguresSerializer, request)
        postmortem = _postmortem(request.user, number)
        figures = {**postmortem.figures(), **data}
        pm.postmortem_set_figures(postmortem=postmortem, actor=self.actor, **figures)
        return self.detail(number)


class RequestReviewView(_PostmortemView):
    @extend_schema(request=RequestReviewSerializer, responses=PostmortemSerializer)
    def post(self, request: Request, number: int) -> Response:
        data = _valid(RequestReviewSerializer, request)
        pm.postmortem_request_review(
            postmortem=_postmortem(request.user, number),
            reviewers=data["reviewers"],
            actor=self.actor,
        )
        return self.detail(number)


class ReviewView(_PostmortemView):
    @extend_schema(request=ReviewSerializer, responses=PostmortemSerializer)
    def post(self, request: Request, number: int) -> Response:
        """Approve, or comment without approving."""
        data = _valid(ReviewSerializer, request)
        pm.postmortem_review(postmortem=_postmortem(request.user, number), actor=self.actor, **data)
        return self.detail(number)


class PublishView(_PostmortemView):
    @extend_schema(request=None, responses={201: VersionSummarySerializer})
    def post(self, request: Request, number: int) -> Response:
        """Publish: freeze the next version; its PDF is rendered in the background."""
        version = pm.postmortem_publish(
            postmortem=_postmortem(request.user, number), actor=self.actor
        )
        return Response(VersionSummarySerializer(version).data, status=status.HTTP_201_CREATED)


class VersionListView(_PostmortemView):
    @extend_schema(responses=VersionSummarySerializer(many=True))
    def get(self, request: Request, number: int) -> Response:
        postmortem = _postmortem(request.user, number)
        return Response(VersionSummarySerializer(postmortem.versions.all(), many=True).data)


class VersionView(_PostmortemView):
    @extend_schema(responses=VersionSerializer)
    def get(self, request: Request, number: int, version: int) -> Response:
        try:
            found = postmortem_version_get(user=request.user, number=number, version=version)
        except PostmortemVersion.DoesNotExist:
            raise Http404 from None
        return Response(VersionSerializer(found).data)


DOCUMENT_PARAMETERS = [
    OpenApiParameter("version", int, description="A published version (default: the draft)."),
    OpenApiParameter("paper", str, enum=["a4", "letter"], description="Paper size (a4)."),
]


def _document_args(request: Request, postmortem: Postmortem) -> dict[str, Any]:
    version = document_version_or_404(postmortem, request.query_params.get("version", ""))
    paper = request.query_params.get("paper", "a4")
    if paper not in PAPERS:
        raise serializers.ValidationError({"paper": ["Paper is a4 or letter."]})
    return {"version": version, "paper": paper}


class PdfView(_PostmortemView):
    """The document as PDF. Rendered PDFs are cached by content; when this one is not
    ready yet it is queued and the answer is 202 (retry shortly)."""

    @extend_schema(
        parameters=DOCUMENT_PARAMETERS,
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            202: MessageSerializer,
        },
    )
    def get(self, request: Request, number: int) -> HttpResponse | Response:
        postmortem = _postmortem(request.user, number)
        args = _document_args(request, postmortem)
        cached = pm.postmortem_pdf_request(postmortem=postmortem, **args)
        if cached is None:
            return Response(
                {"message": "The PDF is being rendered; try again in a few seconds."},
                status=status.HTTP_202_ACCEPTED,
                headers={"Retry-After": "3"},
            )
        response = HttpResponse(bytes(cached.pdf), content_type="application/pdf")
        name = document_filename(postmortem, args["version"], "pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["ETag"] = f'"{cached.content_hash}"'
        return response


class MarkdownView(_PostmortemView):
    @extend_schema(
        parameters=DOCUMENT_PARAMETERS[:1],
        responses={(200, "text/markdown"): OpenApiResponse(OpenApiTypes.STR)},
    )
    def get(self, request: Request, number: int) -> HttpResponse:
        postmortem = _postmortem(request.user, number)
        args = _document_args(request, postmortem)
        text = to_markdown(pm.postmortem_document(postmortem=postmortem, version=args["version"]))
        response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
        name = document_filename(postmortem, args["version"], "md")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class PostmortemListView(APIView):
    permission_classes = [IsViewer]

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, enum=["due", "overdue", "published", "draft"]),
        ],
        responses=PostmortemListSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        """Postmortems, optionally only those due, overdue, in draft, or published."""
        state = request.query_params.get("state", "")
        if state not in ("", "due", "overdue", "published", "draft"):
            raise serializers.ValidationError({"state": ["Use due, overdue, published or draft."]})
        rows = postmortem_list(user=request.user, state=state)[:500]
        return Response(PostmortemListSerializer(rows, many=True).data)


class LanguageCheckView(APIView):
    permission_classes = [IsResponder]

    @extend_schema(request=LanguageCheckSerializer, responses=SuggestionSerializer(many=True))
    def post(self, request: Request) -> Response:
        """Blameless language suggestions for a text (never blocking)."""
        data = _valid(LanguageCheckSerializer, request)
        names = get_user_model().objects.filter(is_active=True).values_list("username", flat=True)
        found = blameless.check(data["text"], names=list(names[:2000]))
        return Response(SuggestionSerializer(found, many=True).data)


class TemplateView(APIView):
    """The starting text of each section; admins change it."""

    permission_classes = [IsViewer]

    @extend_schema(responses=TemplateSerializer)
    def get(self, request: Request) -> Response:
        return Response({"sections": pm.postmortem_template_get().sections})

    @extend_schema(request=TemplateSerializer, responses=TemplateSerializer)
    def put(self, request: Request) -> Response:
        data = _valid(TemplateSerializer, request)
        template = pm.postmortem_template_update(
            actor=Actor.of(request.user), sections=data["sections"]
        )
        return Response({"sections": template.sections})


class ActionItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Action items across incidents: filter by owner, team, priority, status, overdue."""

    permission_classes = [IsResponder]
    serializer_class = ActionItemSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ActionItem.objects.none()
        q = self.request.query_params
        incident = q.get("incident", "")
        return action_item_list(
            user=self.request.user,
            owner=q.get("owner", ""),
            team=q.get("team", ""),
            priority=q.get("priority", ""),
            status=q.get("status", ""),
            overdue=q.get("overdue", "") in ("1", "true", "yes"),
            incident_number=int(incident) if incident.isdigit() else None,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("owner", str, description="Owner's username."),
            OpenApiParameter("team", str, description="Team slug (item's team or owner's)."),
            OpenApiParameter("priority", str, enum=ActionPriority.values),
            OpenApiParameter("status", str, enum=[*ActionStatus.values, "open"]),
            OpenApiParameter("overdue", bool),
            OpenApiParameter("incident", int, description="Incident number."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ActionItemCreateSerializer, responses={201: ActionItemSerializer})
    def create(self, request: Request) -> Response:
        data = _valid(ActionItemCreateSerializer, request)
        incident = _incident(request.user, data.pop("incident_number"))
        item = pm.action_item_create(incident=incident, actor=Actor.of(request.user), **data)
        return Response(ActionItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ActionItemSerializer, responses=ActionItemSerializer)
    def partial_update(self, request: Request, pk: str) -> Response:
        data = _valid(ActionItemSerializer, request, partial=True)
        item = pm.action_item_update(item=self.get_object(), actor=Actor.of(request.user), **data)
        return Response(ActionItemSerializer(item).data)

    def perform_destroy(self, instance: ActionItem) -> None:
        pm.action_item_delete(item=instance, actor=Actor.of(self.request.user))
