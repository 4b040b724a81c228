"""Incident models, one module per noun."""

from .alert import Alert
from .delivery import Delivery
from .incident import Incident, NumberSequence
from .integration import Integration
from .postmortem import (
    ActionItem,
    Postmortem,
    PostmortemPdf,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemTemplate,
    PostmortemVersion,
)
from .timeline import TimelineEntry

__all__ = [
    "ActionItem",
    "Alert",
    "Delivery",
    "Incident",
    "Integration",
    "NumberSequence",
    "Postmortem",
    "PostmortemPdf",
    "PostmortemReviewer",
    "PostmortemSection",
    "PostmortemTemplate",
    "PostmortemVersion",
    "TimelineEntry",
]
