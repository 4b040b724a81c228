"""Errors the slos services raise for requests that cannot be carried out as asked."""

from core.errors import KeelError


class SloError(KeelError):
    """Bad input for an SLO, a push of events, a correction or a gate bypass; the message
    says what to fix and `field` names the offending field (the API answers 400 with both)."""
