"""DRF permission classes for Keel's roles."""

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from core.roles import Role, role_of


class _RolePermission(BasePermission):
    read_role = Role.VIEWER
    write_role = Role.ADMIN

    def has_permission(self, request: Request, view: Any) -> bool:
        needed = self.read_role if request.method in SAFE_METHODS else self.write_role
        if role_of(request.user) >= needed:
            return True
        if role_of(request.user) >= Role.VIEWER:
            self.message = f"This needs the {needed.name.lower()} role."
        return False


class IsViewer(_RolePermission):
    """Signed-in users read; only admins write (the safe default for any endpoint)."""


class IsResponder(_RolePermission):
    """Viewers read; responders and admins act."""

    write_role = Role.RESPONDER


class IsAdmin(_RolePermission):
    """Only admins, for reading and writing (configuration that holds secrets)."""

    read_role = Role.ADMIN
