from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("integrations", views.IntegrationViewSet, basename="integration")

urlpatterns = [
    path("metrics/incidents/", views.IncidentMetricsView.as_view(), name="incident-metrics"),
    *router.urls,
    path("", include("incidents.api.postmortems")),
]
