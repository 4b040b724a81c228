"""The error every service raises for a request that cannot be carried out as asked.

Faces turn it into an answer the same way everywhere: the API's handler
(`core.api_errors.exception_handler`) into a JSON body with the message (400, or 409 for a
conflict), the HTML views into a form error on the named field or a message.
"""

from typing import Any


class KeelError(Exception):
    """A change the current state or the input does not allow; the message says why, and
    `field` names the input it is about, if one."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def body(self) -> dict[str, Any]:
        """The JSON answer of the API."""
        body: dict[str, Any] = {"message": self.message}
        if self.field:
            body["errors"] = {self.field: [self.message]}
        return body


class KeelConflict(KeelError):
    """A change based on an older state, refused because what it depends on changed since;
    `changes` are the changes since (as JSON objects), `version` the current version."""

    status = 409

    def __init__(
        self,
        message: str,
        *,
        changes: list[dict[str, Any]],
        version: int,
        field: str | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.changes = changes
        self.version = version

    def body(self) -> dict[str, Any]:
        return {"message": self.message, "version": self.version, "changes": self.changes}
