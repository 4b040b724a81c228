"""Who did something: a user, or the system acting for an integration."""

from dataclasses import dataclass
from typing import Any, Protocol

from core.roles import Role, require_role


class Integration(Protocol):
    """What an actor needs of the alert source it acts for (an incidents Integration): core
    names no app above it."""

    pk: Any
    name: str


@dataclass(frozen=True)
class Actor:
    """The author of a change; services check a user's role, the system is trusted."""

    user: Any = None
    integration: Integration | None = None

    @classmethod
    def of(cls, user: Any) -> "Actor":
        return cls(user=user)

    @classmethod
    def system(cls, integration: Integration | None = None) -> "Actor":
        return cls(integration=integration)

    @property
    def name(self) -> str:
        if self.user is not None:
            return str(self.user.get_username())
        if self.integration is not None:
            return f"integration:{self.integration.name}"
        return "system"

    def require(self, role: Role) -> None:
        """Raise PermissionDenied when a user without `role` attempts the change."""
        if self.user is not None:
            require_role(self.user, role)

    def entry_fields(self) -> dict[str, Any]:
        return {
            "actor_user": self.user,
            "actor_integration": self.integration,
            "actor_name": self.name,
        }
