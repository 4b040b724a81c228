"""Roles: viewer (read), responder (act on incidents), admin (configure).

A role is a Django group of the same name; superusers are admins. Roles are ordered, so
an admin can do whatever a responder can.
"""

from enum import IntEnum
from typing import Any

from django.core.exceptions import PermissionDenied


class Role(IntEnum):
    NONE = 0
    VIEWER = 1
    RESPONDER = 2
    ADMIN = 3


ROLE_GROUPS = {"viewer": Role.VIEWER, "responder": Role.RESPONDER, "admin": Role.ADMIN}


def role_of(user: Any) -> Role:
    """The highest role a user holds; any active signed-in user can at least view."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Role.NONE
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_keel_role", None)
    if cached is not None:
        return Role(cached)
    names = set(user.groups.values_list("name", flat=True))
    role = max((ROLE_GROUPS[n] for n in names if n in ROLE_GROUPS), default=Role.VIEWER)
    user._keel_role = role
    return role


def require_role(user: Any, role: Role) -> None:
    """Raise PermissionDenied unless `user` holds `role` or higher."""
    if role_of(user) < role:
        raise PermissionDenied(f"This needs the {role.name.lower()} role.")
