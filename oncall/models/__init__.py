"""On-call models, one module per noun."""

from .escalation import Escalation, EscalationPolicy, EscalationStep, EscalationTarget
from .handoffs import CalendarFeed, Handoff, HandoffReminder
from .paging import ContactMethod, Page
from .schedules import Layer, LayerParticipant, Override, Schedule

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
]
