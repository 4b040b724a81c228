"""Every state change of the on-call app, one service each (and the catalog's team
changes, which the on-call pages make)."""

from catalog.services import team_create, team_update

from .escalation import (
    StepSpec,
    TargetSpec,
    escalation_acknowledge,
    escalation_run_step,
    escalation_start,
    escalation_stop_if_done,
    policy_create,
    policy_delete,
    policy_update,
)
from .feeds import feed_authenticate, feed_create, feed_revoke
from .handoffs import (
    handoff_acknowledge,
    handoff_send_reminder,
    handoff_update_notes,
    handoffs_prepare,
)
from .paging import (
    contact_method_create,
    contact_method_delete,
    page_acknowledge,
    page_deliver,
    page_from_token,
)
from .schedules import (
    layer_create,
    layer_delete,
    layer_update,
    override_create,
    override_delete,
    schedule_create,
    schedule_delete,
    schedule_update,
)

__all__ = [
    "StepSpec",
    "TargetSpec",
    "contact_method_create",
    "contact_method_delete",
    "escalation_acknowledge",
    "escalation_run_step",
    "escalation_start",
    "escalation_stop_if_done",
    "feed_authenticate",
    "feed_create",
    "feed_revoke",
    "handoff_acknowledge",
    "handoff_send_reminder",
    "handoff_update_notes",
    "handoffs_prepare",
    "layer_create",
    "layer_delete",
    "layer_update",
    "override_create",
    "override_delete",
    "page_acknowledge",
    "page_deliver",
    "page_from_token",
    "policy_create",
    "policy_delete",
    "policy_update",
    "schedule_create",
    "schedule_delete",
    "schedule_update",
    "team_create",
    "team_update",
]
