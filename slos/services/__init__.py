"""Every state change in the slos app, one service each."""

from .burns import burn_incident_previous, burn_incident_to_join, slo_burn_incident_link
from .evaluation import slo_evaluate, slos_evaluate_all
from .events import events_push
from .figures import SloFigures, slo_figures
from .gate import (
    GateReport,
    gate_bypass_create,
    gate_bypass_revoke,
    gate_check,
    gate_revoked_text,
)
from .impact import incident_budget_follow, incident_impacts_update
from .slos import correction_create, slo_create, slo_delete, slo_update, slo_upsert

__all__ = [
    "GateReport",
    "SloFigures",
    "burn_incident_previous",
    "burn_incident_to_join",
    "correction_create",
    "events_push",
    "gate_bypass_create",
    "gate_bypass_revoke",
    "gate_check",
    "gate_revoked_text",
    "incident_budget_follow",
    "incident_impacts_update",
    "slo_burn_incident_link",
    "slo_create",
    "slo_delete",
    "slo_evaluate",
    "slo_figures",
    "slo_update",
    "slo_upsert",
    "slos_evaluate_all",
]
