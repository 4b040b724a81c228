"""URL configuration."""

from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from incidents.hooks import alertmanager_webhook


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("", RedirectView.as_view(url="/api/docs/", permanent=False)),
    path("hooks/alertmanager/", alertmanager_webhook, name="alertmanager-webhook"),
    path(
        "hooks/alertmanager/<str:token>/", alertmanager_webhook, name="alertmanager-webhook-token"
    ),
    path("api/v1/", include("incidents.api.urls")),
    path("api/v1/", include("slos.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
]

handler404 = "config.api.json_not_found"
handler500 = "config.api.json_server_error"
