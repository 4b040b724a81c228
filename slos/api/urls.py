from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view

from core.routers import Router

from . import flagger, views

router = Router()
router.register("services", views.ServiceViewSet, basename="service")
router.register("slos", views.SloViewSet, basename="slo")
router.register("budget-impacts", views.ImpactViewSet, basename="budget-impact")


@extend_schema_view(events=extend_schema(exclude=True))
class SloEventsWithoutSlash(views.SloViewSet):
    """`POST /api/v1/slos/<id>/events` as documented; the schema lists the slashed form."""


events = SloEventsWithoutSlash.as_view({"post": "events"}, **views.SloViewSet.events.kwargs)

urlpatterns = [
    path("slos/<int:pk>/events", events, name="slo-events-noslash"),
    path("gate/", views.GateView.as_view(), name="gate"),
    path("gate/flagger/", flagger.FlaggerGateView.as_view(), name="gate-flagger"),
    path("gate/bypass/", views.BypassView.as_view(), name="gate-bypass"),
    path(
        "gate/bypass/<int:pk>/revoke/",
        views.BypassRevokeView.as_view(),
        name="gate-bypass-revoke",
    ),
    *router.urls,
]
