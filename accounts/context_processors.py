"""Template context: what the signed-in user's role lets them do."""

from typing import Any

from django.http import HttpRequest

from core.roles import Role, role_of


def roles(request: HttpRequest) -> dict[str, Any]:
    role = role_of(getattr(request, "user", None))
    return {
        "keel_role": role.name.lower(),
        "keel_can_act": role >= Role.RESPONDER,
        "keel_is_admin": role >= Role.ADMIN,
    }
