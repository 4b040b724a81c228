"""Errors services raise for requests that cannot be carried out as asked."""


class IncidentError(Exception):
    """A change that the incident's current state does not allow; the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
