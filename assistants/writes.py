"""The write tools: two-step faces over actions.step (a draft first, then the change)."""

from collections.abc import Callable
from typing import Annotated, Any

from mcp.types import CallToolResult

from . import actions
from . import schemas as out
from .context import keel
from .tools import answer

Step = Annotated[CallToolResult, out.WriteStep]


async def _step(action: str, arguments: dict[str, Any], token: str | None) -> CallToolResult:
    return answer(await keel(actions.step, action=action, arguments=arguments, token=token))


async def declare_incident(
    title: str,
    severity: str,
    summary: str = "",
    services: list[str] | None = None,
    kind: str = "manual",
    confirmation_token: str | None = None,
) -> Step:
    """Declare an incident (severity SEV1-SEV4; kind manual or drill) on services (slugs);
    you become its commander and whoever is on call is paged. Two-step: the first call
    answers a draft and a confirmation_token; call again with it to declare."""
    arguments = {
        "title": title,
        "severity": severity,
        "summary": summary,
        "services": services or [],
        "kind": kind,
    }
    return await _step("declare_incident", arguments, confirmation_token)


async def acknowledge_incident(incident: str | int, confirmation_token: str | None = None) -> Step:
    """Acknowledge an incident (INC-42): someone is on it; its paging stops. Two-step, as
    declare_incident."""
    return await _step("acknowledge_incident", {"incident": incident}, confirmation_token)


async def add_note(
    incident: str | int, text: str, pinned: bool = False, confirmation_token: str | None = None
) -> Step:
    """Add a Markdown note to an incident's timeline. Two-step, as declare_incident."""
    arguments = {"incident": incident, "text": text, "pinned": pinned}
    return await _step("add_note", arguments, confirmation_token)


async def request_gate_bypass(
    service: str,
    kind: str,
    reason: str,
    expires_at: str,
    confirmation_token: str | None = None,
) -> Step:
    """Record a bypass of the deployment gate for a service (kind hotfix or security; the
    reason; expires_at, ISO 8601 with zone, within 7 days): the gate lets its deployments
    through until then. Two-step, as declare_incident."""
    arguments = {"service": service, "kind": kind, "reason": reason, "expires_at": expires_at}
    return await _step("request_gate_bypass", arguments, confirmation_token)


WRITE_TOOLS: list[Callable[..., Any]] = [
    declare_incident,
    acknowledge_incident,
    add_note,
    request_gate_bypass,
]
