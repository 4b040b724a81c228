"""Incident models, one module per noun."""

from .alert import Alert
from .delivery import Delivery
from .incident import Incident, NumberSequence
from .integration import Integration
from .timeline import TimelineEntry

__all__ = [
    "Alert",
    "Delivery",
    "Incident",
    "Integration",
    "NumberSequence",
    "TimelineEntry",
]
