"""Pages for SLOs and services."""

from django.urls import path

from . import views

app_name = "slos"

urlpatterns = [
    path("", views.slo_list_view, name="list"),
    path("new/", views.slo_create_view, name="create"),
    path("<int:pk>/", views.slo_detail_view, name="detail"),
    path("<int:pk>/edit/", views.slo_edit_view, name="edit"),
    path("services/<slug:slug>/", views.service_view, name="service"),
    path(
        "services/<slug:slug>/corrections/new/",
        views.correction_create_view,
        name="correction-create",
    ),
    path("services/<slug:slug>/bypasses/new/", views.bypass_create_view, name="bypass-create"),
    path(
        "services/<slug:slug>/bypasses/<int:pk>/revoke/",
        views.bypass_revoke_view,
        name="bypass-revoke",
    ),
    path("report/", views.report_view, name="report"),
]
