"""The MCP server over stdio, for an assistant on the same machine: one user, one token."""

import os
from typing import Any

import anyio
from django.http import HttpRequest
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.authentication import ApiTokenAuthentication

from .context import acting_as
from .servers import build, writes_allowed

TOKEN_VARIABLE = "KEEL_API_TOKEN"


class NoToken(Exception):
    """The stdio server cannot start: no API token, or one Keel refuses (the message says)."""


def token_owner(token: str) -> Any:
    """The user of an API token, checked exactly as the REST API checks a bearer token."""
    request = HttpRequest()
    request.META["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    try:
        found = ApiTokenAuthentication().authenticate(Request(request))
    except AuthenticationFailed as error:
        raise NoToken(str(error.detail)) from None
    if found is None:
        raise NoToken(f"Set {TOKEN_VARIABLE} to a Keel API token.")
    return found[0]


def serve(token: str | None = None) -> None:
    """Serve MCP on stdin/stdout for the owner of the token (KEEL_API_TOKEN by default)."""
    token = token if token is not None else os.environ.get(TOKEN_VARIABLE, "")
    if not token.strip():
        raise NoToken(f"Set {TOKEN_VARIABLE} to a Keel API token.")
    user = token_owner(token.strip())
    server = build(write=writes_allowed(user))
    with acting_as(user):
        anyio.run(server.run_stdio_async)
