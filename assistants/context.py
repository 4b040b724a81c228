"""Who an MCP request acts for, and how a tool reaches Keel's synchronous code."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from mcp.server.mcpserver.exceptions import ToolError

from core.errors import KeelError

T = TypeVar("T")

_user: ContextVar[Any] = ContextVar("keel_mcp_user")


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Every tool called inside acts for `user` (the API token's owner)."""
    token = _user.set(user)
    try:
        yield
    finally:
        _user.reset(token)


def current_user() -> Any:
    try:
        return _user.get()
    except LookupError:
        raise ToolError("No Keel user: this server needs an API token.") from None


def _refusal(error: Exception) -> str:
    if isinstance(error, KeelError | KeelError):
        return error.message
    return str(error) or "Not allowed."


async def keel(fn: Callable[..., T], **kwargs: Any) -> T:
    """Run `fn(user=<the caller>, **kwargs)` in Django's request thread (the ORM is
    synchronous); what Keel refuses comes back as the tool's error, in Keel's words."""
    user = current_user()
    try:
        return await sync_to_async(fn, thread_sensitive=True)(user=user, **kwargs)
    except (PermissionDenied, KeelError, ObjectDoesNotExist) as error:
        raise ToolError(_refusal(error)) from error
