"""The MCP servers: read tools for everyone, write tools too where settings and role allow."""

from functools import cache
from typing import Any

from django.conf import settings
from mcp.server.lowlevel.server import Server
from mcp.server.mcpserver import MCPServer
from mcp.types import ToolAnnotations

from oncall.selectors import can_respond

from .tools import READ_TOOLS
from .writes import WRITE_TOOLS

INSTRUCTIONS = (
    "Keel holds a team's error budgets, the deployment gate, incidents, on-call schedules "
    "and postmortems. Name services, teams and incidents (INC-42) as Keel does. Write tools "
    "are two-step: the first call returns a draft and a confirmation token; call again with "
    "the token to carry it out."
)


@cache
def build(*, write: bool) -> MCPServer:
    server: MCPServer = MCPServer(name="keel", instructions=INSTRUCTIONS, log_level="WARNING")
    for fn in READ_TOOLS:
        server.add_tool(fn, annotations=ToolAnnotations(read_only_hint=True))
    if write:
        for fn in WRITE_TOOLS:
            server.add_tool(fn, annotations=ToolAnnotations(read_only_hint=False))
    return server


def writes_allowed(user: Any) -> bool:
    """Write tools are offered only when KEEL_MCP_WRITE is on and the user may respond
    (the services check the role again when a write is carried out)."""
    return bool(settings.KEEL_MCP_WRITE) and can_respond(user)


def server_for(user: Any) -> Server[Any]:
    """The low-level server a user's requests are served by."""
    return build(write=writes_allowed(user))._lowlevel_server
