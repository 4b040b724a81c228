"""URL configuration."""

from csp.decorators import csp_update
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assistants.http import McpView
from incidents.hooks import alertmanager_webhook


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", include("incidents.urls")),
    path("", include("postmortems.urls")),
    path("", include("accounts.urls")),
    path("hooks/alertmanager/", alertmanager_webhook, name="alertmanager-webhook"),
    path(
        "hooks/alertmanager/<str:token>/", alertmanager_webhook, name="alertmanager-webhook-token"
    ),
    path("api/v1/", include("incidents.api.urls")),
    path("api/v1/", include("postmortems.api.urls")),
    path("api/v1/", include("slos.api.urls")),
    path("slos/", include("slos.urls")),
    path("api/v1/oncall/", include("oncall.api.urls")),
    path("oncall/", include("oncall.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI's page script is served as a file (the split view), so the docs need no
    # inline script; only its few inline style rules are allowed there.
    path(
        "api/docs/",
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="schema")
        ),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("mcp", McpView.as_view(), name="mcp"),
]

handler400 = "core.api_errors.bad_request"
handler403 = "core.api_errors.permission_denied"
handler404 = "core.api_errors.not_found"
handler500 = "core.api_errors.server_error"
