"""Shared helpers of the on-call services."""

from datetime import datetime
from typing import Any

from django.utils import timezone

from core.roles import Role, require_role


def now(at: datetime | None) -> datetime:
    return at or timezone.now()


def require(user: Any, role: Role) -> None:
    """Check a user's role; None is the system (tasks, signals), which is trusted."""
    if user is not None:
        require_role(user, role)
