"""Flagger's webhook: the deployment gate as a canary check (200 lets the rollout go on,
403 stops it), with the same decision and figures as /api/v1/gate/."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication
from accounts.models import ApiToken
from accounts.permissions import IsViewer
from catalog.models import Service
from core.roles import Role

from .. import budget_policy, selectors, services
from ..gate_answer import verdict_line
from . import serializers as s
from .views import gate_body

SERVICE_KEY = "service"
TOKEN_KEY = "token"


class FlaggerTokenAuthentication(ApiTokenAuthentication):
    """An API token as for the REST API: in the Authorization header, or, since Flagger
    sends no headers of its own, in the webhook's metadata as `token`."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        found = super().authenticate(request)
        if found is not None:
            return found
        data = request.data
        metadata = data.get("metadata") if isinstance(data, dict) else None
        token = metadata.get(TOKEN_KEY) if isinstance(metadata, dict) else None
        if not isinstance(token, str) or not token.strip():
            return None
        return self.authenticate_plaintext(token.strip())


class FlaggerTokenScheme(OpenApiAuthenticationExtension):
    """How the schema describes the Flagger webhook's token."""

    target_class = FlaggerTokenAuthentication
    name = "flaggerToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token, in `Authorization: Bearer`, or (Flagger sends no "
            "headers of its own) in the webhook's `metadata` as `token`.",
        }


class AsksTheGate(IsViewer):
    """Flagger POSTs, but asking the gate changes nothing: whoever may read it may ask."""

    write_role = Role.VIEWER


class FlaggerWebhookSerializer(serializers.Serializer):
    """What Flagger posts to a webhook (`checksum` and the phase are not used)."""

    name = serializers.CharField(
        max_length=253, required=False, allow_blank=True, help_text="The canary's name."
    )
    namespace = serializers.CharField(max_length=253, required=False, allow_blank=True)
    phase = serializers.CharField(max_length=64, required=False, allow_blank=True)
    checksum = serializers.CharField(max_length=256, required=False, allow_blank=True)
    metadata = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=4096),
        required=False,
        help_text="The webhook's metadata: `service` (the service's slug; the canary's name "
        "when absent) and `token` (an API token, unless the Authorization header has one).",
    )


class FlaggerGateSerializer(s.GateSerializer):
    message = serializers.CharField(help_text="The gate's one line, as `deploy_gate` prints it.")


class FlaggerGateView(APIView):
    """The gate for Flagger's `pre-rollout`, `rollout` or `confirm-*` webhooks: 200 when
    the gate allows or warns, 403 when it blocks (including when it cannot decide), with
    the gate's answer and its one line as `message`."""

    authentication_classes = [FlaggerTokenAuthentication]
    permission_classes = [AsksTheGate]

    @extend_schema(
        request=FlaggerWebhookSerializer,
        responses={200: FlaggerGateSerializer, 403: FlaggerGateSerializer},
        description="Flagger's webhook for the deployment gate. The service is "
        "`metadata.service`, or the canary's name. 200 lets the rollout go on (allow or "
        "warn); 403 stops it: the gate blocks, or cannot decide (fail closed), or the "
        "token's role may not read the gate.",
        examples=[
            OpenApiExample(
                "Flagger's payload",
                request_only=True,
                value={
                    "name": "checkout",
                    "namespace": "shop",
                    "phase": "Progressing",
                    "checksum": "6d2f6c9b",
                    "metadata": {"service": "checkout", "token": "<API token>"},
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        payload = FlaggerWebhookSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        metadata = payload.validated_data.get("metadata") or {}
        slug = (metadata.get(SERVICE_KEY) or payload.validated_data.get("name") or "").strip()
        if not slug or "\x00" in slug:
            raise serializers.ValidationError(
                {"metadata": ["Name the service: metadata.service, or a canary named after it."]}
            )
        try:
            service = selectors.service_get(user=request.user, slug=slug)
        except Service.DoesNotExist:
            raise exceptions.NotFound(
                f"Keel knows no service {slug!r}; set metadata.service to its slug."
            ) from None
        body = gate_body(services.gate_check(service=service))
        blocked = body["decision"] == budget_policy.BLOCK
        return Response(
            {"message": verdict_line(body), **body},
            status=status.HTTP_403_FORBIDDEN if blocked else status.HTTP_200_OK,
        )
