"""Errors services raise for requests that cannot be carried out as asked."""


class IncidentError(Exception):
    """A change that the incident's current state does not allow; the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class IncidentConflict(IncidentError):
    """A change based on an older state of the incident, refused because what it depends
    on changed since; `changes` are the timeline entries that changed it."""

    def __init__(self, message: str, *, changes: list, version: int, field: str | None = None):
        super().__init__(message, field=field)
        self.changes = changes
        self.version = version
