"""Models of the slos app: services, SLOs, their data, impacts and the gate."""

from .data import Correction, SliBucket, SliDay
from .gate import GateBypass
from .impact import IncidentImpact
from .report import WebhookState, WeeklyReport
from .slo import SLO, SloStatus

__all__ = [
    "SLO",
    "Correction",
    "GateBypass",
    "IncidentImpact",
    "SliBucket",
    "SliDay",
    "SloStatus",
    "WebhookState",
    "WeeklyReport",
]
