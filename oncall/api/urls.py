from django.urls import path

from catalog.api import TeamViewSet
from core.routers import Router

from . import views

router = Router()
router.register("teams", TeamViewSet, basename="oncall-team")
router.register("schedules", views.ScheduleViewSet, basename="oncall-schedule")
router.register("layers", views.LayerViewSet, basename="oncall-layer")
router.register("overrides", views.OverrideViewSet, basename="oncall-override")
router.register("escalation-policies", views.EscalationPolicyViewSet, basename="oncall-policy")
router.register("pages", views.PageViewSet, basename="oncall-page")
router.register("handoffs", views.HandoffViewSet, basename="oncall-handoff")
router.register("contact-methods", views.ContactMethodViewSet, basename="oncall-contact-method")
router.register("calendar-feeds", views.CalendarFeedViewSet, basename="oncall-calendar-feed")

urlpatterns = [
    path("now/", views.OnCallNowView.as_view(), name="oncall-now"),
    *router.urls,
]
