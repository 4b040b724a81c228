"""Errors the slos services raise for requests that cannot be carried out as asked."""

from incidents.errors import IncidentError


class SloError(IncidentError):
    """Bad input for an SLO, a push of events, a correction or a gate bypass; the message
    says what to fix and `field` names the offending field (the API answers 400 with both)."""
