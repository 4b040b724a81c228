"""Every state change in the incidents app, one service each."""

from .deliveries import (
    deliveries_replay_failed,
    deliveries_requeue,
    delivery_process,
    delivery_receive,
    delivery_replay,
)
from .details import incident_update_details
from .incidents import (
    incident_acknowledge,
    incident_add_note,
    incident_close,
    incident_declare,
    incident_record,
    incident_reopen,
    incident_resolve,
    incident_set_severity,
    incident_set_status,
    timeline_entry_set_pinned,
)
from .ingestion import alerts_resolve_quiet
from .integrations import (
    integration_authenticate,
    integration_create,
    integration_rotate_token,
    integration_set_enabled,
    integration_update,
)
from .roles import incident_add_responder, incident_assign_commander, incident_remove_responder
from .times import incident_correct_time

__all__ = [
    "alerts_resolve_quiet",
    "deliveries_replay_failed",
    "deliveries_requeue",
    "delivery_process",
    "delivery_receive",
    "delivery_replay",
    "incident_acknowledge",
    "incident_add_note",
    "incident_add_responder",
    "incident_assign_commander",
    "incident_close",
    "incident_correct_time",
    "incident_declare",
    "incident_record",
    "incident_remove_responder",
    "incident_reopen",
    "incident_resolve",
    "incident_set_severity",
    "incident_set_status",
    "incident_update_details",
    "integration_authenticate",
    "integration_create",
    "integration_rotate_token",
    "integration_set_enabled",
    "integration_update",
    "timeline_entry_set_pinned",
]
