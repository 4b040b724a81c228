"""`/mcp`: the MCP server over streamable HTTP, for the owner of a Keel API token."""

from typing import Any

from asgiref.sync import async_to_sync
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.views import APIView

from accounts.authentication import ApiTokenAuthentication

from .bridge import asgi_scope, exchange
from .context import acting_as
from .servers import server_for

# Set by the server per answer, or meaningless once the answer is whole.
SKIPPED_HEADERS = {"content-length", "connection", "transfer-encoding"}


class AnyAccept(BaseContentNegotiation):
    """The MCP transport answers JSON or an event stream itself; errors before it (401,
    429) are JSON whatever the client accepts."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


@extend_schema(exclude=True)
class McpView(APIView):
    """The MCP endpoint. Only API tokens (`Authorization: Bearer ...`) are taken: a browser
    session cannot reach it, so no page can make a signed-in browser call tools. Requests
    count against the token's API rate limit like any API call."""

    authentication_classes = [ApiTokenAuthentication]
    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAccept

    def post(self, request: Request) -> HttpResponse:
        return self.serve(request)

    def get(self, request: Request) -> HttpResponse:
        return self.serve(request)

    def delete(self, request: Request) -> HttpResponse:
        return self.serve(request)

    def serve(self, request: Request) -> HttpResponse:
        django_request = request._request
        server = server_for(request.user)
        with acting_as(request.user):
            status, headers, body = async_to_sync(exchange)(
                server, asgi_scope(django_request), django_request.body
            )
        response = HttpResponse(body, status=status)
        for name, value in headers:
            if name.lower() not in SKIPPED_HEADERS:
                response[name] = value
        return response
