"""On-call models, one module per noun."""

from .escalation import Escalation, EscalationPolicy, EscalationStep, EscalationTarget
from .handoffs import CalendarFeed, Handoff, HandoffReminder
from .paging import ContactMethod, Page
from .schedules import Layer, LayerParticipant, Override, Schedule
from .teams import Team, validate_time_zone

__all__ = [
    "CalendarFeed",
    "ContactMethod",
    "Escalation",
    "EscalationPolicy",
    "EscalationStep",
    "EscalationTarget",
    "Handoff",
    "HandoffReminder",
    "Layer",
    "LayerParticipant",
    "Override",
    "Page",
    "Schedule",
    "Team",
    "validate_time_zone",
]
