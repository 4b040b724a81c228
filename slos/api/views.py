"""REST API for services, SLOs, pushed SLI counts, ledgers, impacts and the deployment gate."""

from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsResponder
from catalog import api as catalog_api
from catalog.models import Service
from core.actors import Actor
from slos.models import SLO, GateBypass, IncidentImpact

from .. import selectors, services
from ..errors import SloError
from ..services.gate import GateReport
from . import serializers as s


# The catalog's serializer, with the error-budget policy override checked.
class ServiceSerializer(catalog_api.ServiceSerializer):
    budget_policy = serializers.JSONField(required=False, validators=[s.policy_field])

    class Meta(catalog_api.ServiceSerializer.Meta):
        pass


class ServiceViewSet(catalog_api.ServiceViewSet):
    """Services: everyone reads; admins create, edit and tidy discovered ones."""

    # The catalog's viewset, with the corrections of the service's SLOs.

    serializer_class = ServiceSerializer

    @extend_schema(request=s.CorrectionSerializer, responses={201: s.CorrectionSerializer})
    @action(detail=True, methods=["get", "post"])
    def corrections(self, request: Request, slug: str | None = None) -> Response:
        """Periods excluded from every SLO of the service (maintenance, drills)."""
        service = self.get_object()
        if request.method == "GET":
            return Response(s.CorrectionSerializer(service.corrections.all(), many=True).data)
        serializer = s.CorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        correction = services.correction_create(
            actor=Actor.of(request.user), service=service, **serializer.validated_data
        )
        return Response(s.CorrectionSerializer(correction).data, status=status.HTTP_201_CREATED)


class SloViewSet(viewsets.ModelViewSet):
    """SLOs: everyone reads; admins define them. Pushed counts, the ledger and corrections
    hang off each SLO."""

    serializer_class = s.SloSerializer
    filterset_fields = ["service__slug", "source"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SLO.objects.none()
        return selectors.slo_list(user=self.request.user)

    @property
    def actor(self) -> Actor:
        return Actor.of(self.request.user)

    def perform_create(self, serializer: Any) -> None:
        data = dict(serializer.validated_data)
        serializer.instance = services.slo_create(
            actor=self.actor, service=data.pop("service"), **data
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.slo_update(
            actor=self.actor, slo=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: SLO) -> None:
        services.slo_delete(actor=self.actor, slo=instance)

    @extend_schema(request=s.EventsSerializer, responses={202: s.EventsResultSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="events",
        permission_classes=[IsResponder],
    )
    def events(self, request: Request, pk: str | None = None) -> Response:
        """Push counts: `{"events": [{"at", "good", "total"}, ...]}` (or the bare list).
        All or nothing: one bad event refuses the batch."""
        slo = self.get_object()
        body = request.data
        events = body.get("events") if isinstance(body, dict) else body
        if events is None:
            raise SloError('Send {"events": [{"at", "good", "total"}, ...]}.', field="events")
        minutes = services.events_push(actor=self.actor, slo=slo, events=events)
        return Response({"minutes": minutes}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses=s.LedgerSerializer)
    @action(detail=True, methods=["get"])
    def ledger(self, request: Request, pk: str | None = None) -> Response:
        """The budget as an account over the window in force."""
        view = selectors.slo_ledger(user=request.user, slo=self.get_object())
        return Response(ledger_body(view))

    @extend_schema(request=s.CorrectionSerializer, responses={201: s.CorrectionSerializer})
    @action(detail=True, methods=["get", "post"])
    def corrections(self, request: Request, pk: str | None = None) -> Response:
        """Periods excluded from this SLO (maintenance, drills)."""
        slo = self.get_object()
        if request.method == "GET":
            return Response(s.CorrectionSerializer(slo.corrections.all(), many=True).data)
        serializer = s.CorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        correction = services.correction_create(
            actor=self.actor, slo=slo, **serializer.validated_data
        )
        return Response(s.CorrectionSerializer(correction).data, status=status.HTTP_201_CREATED)


class ImpactViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Budget impact of incidents on SLOs; filter with `?incident=<number>`."""

    serializer_class = s.ImpactSerializer
    filterset_fields = ["slo", "frozen"]

    def get_queryset(self):
        queryset = IncidentImpact.objects.select_related("incident", "slo", "slo__service")
        number = self.request.query_params.get("incident", "")
        if number:
            if not number.upper().removeprefix("INC-").isdigit():
                raise SloError("incident is an incident number.", field="incident")
            queryset = queryset.filter(incident__number=int(number.upper().removeprefix("INC-")))
        return queryset.order_by("-computed_at", "id")


def _bypass_body(bypass: GateBypass) -> dict[str, Any]:
    return {
        "id": bypass.pk,
        "kind": bypass.kind,
        "reason": bypass.reason,
        "by": bypass.created_by.get_username(),
        "created_at": bypass.created_at.isoformat(),
        "expires_at": bypass.expires_at.isoformat(),
    }


def ledger_body(view: selectors.LedgerView) -> dict[str, Any]:
    """The ledger's answer (`GET /api/v1/slos/<id>/ledger/`; the MCP server's too)."""
    account = view.account
    return {
        "slo": view.slo.pk,
        "window_start": view.window_start,
        "window_end": view.window_end,
        "method": view.slo.budgeting_method,
        "allowance": None if view.allowance is None else f"{float(view.allowance):.6f}",
        "lines": [
            {
                "label": row.label,
                "bad": f"{float(row.bad):.6f}",
                "share": f"{float(row.share):.6f}",
                "balance": f"{float(row.balance):.6f}",
                "debit": None if row.debit is None else ledger_debit(row.debit, view),
            }
            for row in view.rows
        ],
        "remaining": None if account is None else f"{float(account.remaining):.6f}",
        "budget_minutes_left": view.budget_minutes_left,
        "corrections": s.CorrectionSerializer(view.corrections, many=True).data,
    }


def ledger_debit(debit: Any, view: Any) -> dict[str, Any]:
    """An incident line's debit: the figure every surface shows, with its own window."""
    return {
        "incident": debit.number,
        "fraction": None if debit.share is None else f"{float(debit.share):.8f}",
        "percent": debit.percent,
        "text": debit.sentence(view.window),
        "window_start": debit.window_start,
        "window_end": debit.window_end,
        "period_start": debit.period_start,
        "period_end": debit.period_end,
        "period_source": debit.period_source,
        "shared": debit.shared,
    }


def gate_body(report: GateReport) -> dict[str, Any]:
    def number(value: Any) -> float | None:
        return None if value is None else round(float(value), 6)

    bypass = report.bypass
    return {
        "service": report.service.slug,
        "decision": report.decision.decision,
        "decided": report.decision.decided,
        "tier": report.decision.tier,
        "reasons": report.decision.reasons,
        "slos": [
            {
                "name": f.slo.name,
                "remaining": number(f.remaining),
                "burn_1h": number(f.gate_input().burn_1h),
                "burn_5m": number(f.gate_input().burn_5m),
                "data_age_s": number(f.data_age_s),
                "error": f.error,
            }
            for f in report.figures
        ],
        "bypass": None if bypass is None else _bypass_body(bypass),
        "bypasses": [_bypass_body(b) for b in report.bypasses],
    }


class GateView(APIView):
    """May this service deploy now? Fails closed on missing, stale or broken data."""

    @extend_schema(
        parameters=[OpenApiParameter("service", str, required=True, description="Service slug")],
        responses=s.GateSerializer,
    )
    def get(self, request: Request) -> Response:
        slug = request.query_params.get("service", "")
        if not slug or "\x00" in slug:
            raise SloError("Name the service: ?service=<slug>.", field="service")
        try:
            service = selectors.service_get(user=request.user, slug=slug)
        except Service.DoesNotExist:
            raise Http404 from None
        return Response(gate_body(services.gate_check(service=service)))


class BypassView(generics.GenericAPIView):
    """Bypasses of the gate: everyone lists them (`?service=<slug>`, `?active=true` for those
    in force); responders and admins record one (a hotfix or a security fix)."""

    serializer_class = s.BypassSerializer
    queryset = GateBypass.objects.none()

    def get_permissions(self) -> Any:
        if self.request.method == "POST":
            return [IsResponder()]
        return super().get_permissions()

    @extend_schema(
        parameters=[
            OpenApiParameter("service", str, description="Service slug"),
            OpenApiParameter("active", bool, description="Only the bypasses in force now"),
        ],
        responses=s.BypassSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        service = None
        slug = request.query_params.get("service", "")
        if slug:
            try:
                service = selectors.service_get(user=request.user, slug=slug)
            except Service.DoesNotExist:
                raise SloError(f"No service {slug!r}.", field="service") from None
        active = request.query_params.get("active", "").lower()
        if active not in ("", "true", "false", "1", "0"):
            raise SloError("active is true or false.", field="active")
        rows = selectors.bypass_list(
            user=request.user,
            service=service,
            active_at=timezone.now() if active in ("true", "1") else None,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.BypassSerializer(page, many=True).data)

    @extend_schema(request=s.BypassSerializer, responses={201: s.BypassSerializer})
    def post(self, request: Request) -> Response:
        serializer = s.BypassSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        bypass = services.gate_bypass_create(
            actor=Actor.of(request.user), **serializer.validated_data
        )
        return Response(s.BypassSerializer(bypass).data, status=status.HTTP_201_CREATED)


class BypassRevokeView(APIView):
    """End a bypass before its expiry (responders and admins); it stays on the history. The
    answer says what the gate decides now (`message`, `gate`): other bypasses in force still
    let deployments through."""

    permission_classes = [IsResponder]

    @extend_schema(request=None, responses={200: s.BypassRevokedSerializer})
    def post(self, request: Request, pk: int) -> Response:
        try:
            bypass = selectors.bypass_get(user=request.user, pk=pk)
        except GateBypass.DoesNotExist:
            raise Http404 from None
        bypass = services.gate_bypass_revoke(actor=Actor.of(request.user), bypass=bypass)
        report = services.gate_check(service=bypass.service)
        return Response(
            {
                **s.BypassSerializer(bypass).data,
                "message": services.gate_revoked_text(report),
                "gate": gate_body(report),
            }
        )
