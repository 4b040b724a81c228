"""The web UI's pages, mounted at the root."""

from django.urls import path

from .views import integrations, pages, room

app_name = "ui"

urlpatterns = [
    path("", pages.dashboard, name="dashboard"),
    path("incidents/", pages.incident_list_view, name="incident-list"),
    path("incidents/declare/", room.declare, name="incident-declare"),
    path("incidents/<int:number>/", room.incident_room, name="incident-room"),
    path("incidents/<int:number>/live/", room.incident_live, name="incident-live"),
    path("incidents/<int:number>/head/", room.incident_head_live, name="incident-head"),
    path("incidents/<int:number>/acknowledge/", room.acknowledge, name="incident-acknowledge"),
    path("incidents/<int:number>/status/", room.set_status, name="incident-status"),
    path("incidents/<int:number>/severity/", room.set_severity, name="incident-severity"),
    path("incidents/<int:number>/command/", room.take_command, name="incident-command"),
    path(
        "incidents/<int:number>/responders/add/", room.add_responder, name="incident-responder-add"
    ),
    path(
        "incidents/<int:number>/responders/remove/",
        room.remove_responder,
        name="incident-responder-remove",
    ),
    path("incidents/<int:number>/notes/", room.add_note, name="incident-note"),
    path("incidents/<int:number>/details/", room.edit_details, name="incident-details"),
    path("incidents/<int:number>/correct-time/", room.correct_time, name="incident-correct"),
    path("incidents/<int:number>/resolve/", room.resolve, name="incident-resolve"),
    path("incidents/<int:number>/reopen/", room.reopen, name="incident-reopen"),
    path("incidents/<int:number>/close/", room.close, name="incident-close"),
    path(
        "incidents/<int:number>/timeline/<int:entry_id>/pin/", room.pin_entry, name="incident-pin"
    ),
    path("alerts/", pages.alert_list_view, name="alert-list"),
    path("metrics/", pages.metrics_view, name="metrics"),
    path("integrations/", integrations.integration_list_view, name="integration-list"),
    path("integrations/<int:pk>/", integrations.integration_detail, name="integration-detail"),
    path(
        "integrations/<int:pk>/enabled/",
        integrations.integration_enabled,
        name="integration-enabled",
    ),
    path(
        "integrations/<int:pk>/rotate/", integrations.integration_rotate, name="integration-rotate"
    ),
    path(
        "integrations/<int:pk>/deliveries/<int:delivery_id>/replay/",
        integrations.delivery_replay,
        name="delivery-replay",
    ),
    path(
        "integrations/<int:pk>/deliveries/replay-failed/",
        integrations.deliveries_replay_failed,
        name="deliveries-replay-failed",
    ),
]
