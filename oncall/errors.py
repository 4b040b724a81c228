"""Errors on-call services raise for requests that cannot be carried out as asked."""


class OncallError(Exception):
    """A change the on-call configuration does not allow; the message says why."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
