"""On-call pages, mounted at /oncall/."""

from django.urls import path

from . import views

app_name = "oncall"

urlpatterns = [
    path("", views.home, name="home"),
    path("me/", views.mine, name="mine"),
    path(
        "me/contact-methods/<int:pk>/delete/",
        views.contact_method_remove,
        name="contact-method-delete",
    ),
    path("health/", views.health, name="health"),
    path("teams/new/", views.team_edit, name="team-new"),
    path("teams/<slug:slug>/", views.team_detail, name="team"),
    path("teams/<slug:slug>/edit/", views.team_edit, name="team-edit"),
    path("teams/<slug:slug>/policies/new/", views.policy_edit, name="policy-new"),
    path("teams/<slug:slug>/policies/<int:pk>/", views.policy_edit, name="policy-edit"),
    path("schedules/<int:pk>/", views.schedule_detail, name="schedule"),
    path("schedules/<int:pk>/layers/", views.layer_save, name="layer-save"),
    path(
        "schedules/<int:pk>/layers/<int:layer_pk>/delete/", views.layer_remove, name="layer-delete"
    ),
    path("schedules/<int:pk>/overrides/", views.override_add, name="override-add"),
    path(
        "schedules/<int:pk>/overrides/<int:override_pk>/delete/",
        views.override_remove,
        name="override-delete",
    ),
    path("handoffs/<int:pk>/", views.handoff_detail, name="handoff"),
    path(
        "incidents/<int:number>/acknowledge-pages/",
        views.incident_pages_acknowledge,
        name="incident-pages-acknowledge",
    ),
    path("feeds/", views.feed_new, name="feed-new"),
    path("feeds/<int:pk>/revoke/", views.feed_remove, name="feed-revoke"),
    path("ical/<str:token>.ics", views.ical_feed, name="ical"),
    path("pages/ack/<str:token>/", views.page_acknowledge_link, name="page-acknowledge"),
]
