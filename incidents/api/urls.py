from django.urls import path

from core.routers import Router

from . import views

router = Router()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("integrations", views.IntegrationViewSet, basename="integration")

urlpatterns = [
    path("metrics/incidents/", views.IncidentMetricsView.as_view(), name="incident-metrics"),
    *router.urls,
]
