"""Confirmation tokens for the two-step write tools: signed, short-lived, single-use, and
bound to the user and to the exact arguments of the draft they confirm."""

import hashlib
import json
from typing import Any

from django.core.cache import cache
from django.core.signing import BadSignature, SignatureExpired, TimestampSigner
from mcp.server.mcpserver.exceptions import ToolError

SALT = "keel.assistants.confirm"
MAX_AGE_SECONDS = 300


def _digest(action: str, arguments: dict[str, Any]) -> str:
    text = json.dumps([action, arguments], sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _claim(user: Any, action: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {"user": user.pk, "action": action, "arguments": _digest(action, arguments)}


def issue(*, user: Any, action: str, arguments: dict[str, Any]) -> str:
    return TimestampSigner(salt=SALT).sign_object(_claim(user, action, arguments))


def redeem(*, user: Any, action: str, arguments: dict[str, Any], token: str) -> None:
    """Accept `token` once, for this user, action and arguments; else refuse saying why."""
    try:
        claim = TimestampSigner(salt=SALT).unsign_object(token, max_age=MAX_AGE_SECONDS)
    except SignatureExpired:
        raise ToolError(
            f"That confirmation token has expired ({MAX_AGE_SECONDS // 60} minutes); call "
            f"{action} without a token for a new draft."
        ) from None
    except BadSignature:
        raise ToolError("That is not a confirmation token Keel issued.") from None
    if claim != _claim(user, action, arguments):
        raise ToolError(
            "That confirmation token is for another draft (another user, tool or arguments); "
            f"call {action} without a token for a draft of these arguments."
        )
    used = "assistants-confirm:" + hashlib.sha256(token.encode()).hexdigest()
    if not cache.add(used, True, timeout=MAX_AGE_SECONDS + 60):
        raise ToolError("That confirmation token was already used; nothing was done again.")
