"""What the write tools draft and then do: REST input validation, then one service each."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from rest_framework.serializers import Serializer

from core.actors import Actor
from incidents import selectors as incident_selectors
from incidents.api import serializers as incident_api
from incidents.models import Incident
from incidents.services import incident_acknowledge, incident_add_note, incident_declare
from slos.api.serializers import BypassSerializer
from slos.services.gate import gate_bypass_create

from . import confirm
from .wire import as_json, incident_number

Result = tuple[dict[str, Any], str]


def _valid(serializer_class: type[Serializer], data: dict[str, Any]) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    if not serializer.is_valid():
        problems = "; ".join(
            f"{field}: {' '.join(str(m) for m in messages)}"
            for field, messages in serializer.errors.items()
        )
        raise ToolError(f"Keel refuses these arguments: {problems}")
    return dict(serializer.validated_data)


def _incident(user: Any, value: str | int) -> Incident:
    number = incident_number(value)
    try:
        return incident_selectors.incident_find(user=user, number=number)
    except Incident.DoesNotExist:
        raise ToolError(f"No incident INC-{number}.") from None


def _declare_fields(arguments: dict[str, Any]) -> dict[str, Any]:
    return _valid(incident_api.IncidentDeclareSerializer, arguments)


def declare_preview(user: Any, arguments: dict[str, Any]) -> str:
    data = _declare_fields(arguments)
    services = ", ".join(s.slug for s in data.get("services", [])) or "no service"
    return (
        f"declare a {data['kind']} {data['severity']} incident {data['title']!r} on "
        f"{services}, with {user.get_username()} as commander; whoever is on call for it is "
        "paged"
    )


def declare_do(user: Any, arguments: dict[str, Any]) -> Result:
    incident = incident_declare(actor=Actor.of(user), **_declare_fields(arguments))
    return (
        {"incident": incident.reference, "number": incident.number},
        f"Declared {incident.reference} ({incident.severity}): {incident.title}.",
    )


def acknowledge_preview(user: Any, arguments: dict[str, Any]) -> str:
    incident = _incident(user, arguments["incident"])
    return (
        f"acknowledge {incident.reference} {incident.title!r} ({incident.status}) as "
        f"{user.get_username()}, which stops its paging"
    )


def acknowledge_do(user: Any, arguments: dict[str, Any]) -> Result:
    incident = incident_acknowledge(
        incident=_incident(user, arguments["incident"]), actor=Actor.of(user)
    )
    return (
        {
            "incident": incident.reference,
            "acknowledged_at": as_json(incident.last_acknowledged_at),
        },
        f"Acknowledged {incident.reference}.",
    )


def note_preview(user: Any, arguments: dict[str, Any]) -> str:
    incident = _incident(user, arguments["incident"])
    data = _valid(incident_api.NoteSerializer, arguments)
    pinned = "a pinned note" if data["pinned"] else "a note"
    return f"add {pinned} to {incident.reference}'s timeline: {data['text'][:200]!r}"


def note_do(user: Any, arguments: dict[str, Any]) -> Result:
    data = _valid(incident_api.NoteSerializer, arguments)
    incident = _incident(user, arguments["incident"])
    entry = incident_add_note(incident=incident, actor=Actor.of(user), **data)
    body = as_json(incident_api.TimelineEntrySerializer(entry).data)
    return {"incident": incident.reference, "entry": body}, f"Noted on {incident.reference}."


def bypass_preview(user: Any, arguments: dict[str, Any]) -> str:
    data = _valid(BypassSerializer, arguments)
    return (
        f"record a {data['kind']} bypass of the deployment gate for {data['service'].slug} "
        f"until {data['expires_at'].isoformat()}: {data['reason']!r}; the gate then lets "
        "its deployments through"
    )


def bypass_do(user: Any, arguments: dict[str, Any]) -> Result:
    bypass = gate_bypass_create(actor=Actor.of(user), **_valid(BypassSerializer, arguments))
    body = as_json(BypassSerializer(bypass).data)
    return {"bypass": body}, (
        f"Recorded a {bypass.kind} bypass for {bypass.service.slug} until {body['expires_at']}."
    )


@dataclass(frozen=True)
class Action:
    preview: Callable[[Any, dict[str, Any]], str]
    do: Callable[[Any, dict[str, Any]], Result]


ACTIONS = {
    "declare_incident": Action(declare_preview, declare_do),
    "acknowledge_incident": Action(acknowledge_preview, acknowledge_do),
    "add_note": Action(note_preview, note_do),
    "request_gate_bypass": Action(bypass_preview, bypass_do),
}


def step(*, user: Any, action: str, arguments: dict[str, Any], token: str | None) -> Result:
    """Without `token`: validate, and answer a draft with a confirmation token. With it:
    check the token (this user, these arguments, not used, not expired) and do it."""
    spec = ACTIONS[action]
    preview = spec.preview(user, arguments)
    answer: dict[str, Any] = {"action": action, "arguments": arguments, "preview": preview}
    if token is None:
        token = confirm.issue(user=user, action=action, arguments=arguments)
        return (
            {
                **answer,
                "status": "draft",
                "confirmation_token": token,
                "expires_in_seconds": confirm.MAX_AGE_SECONDS,
                "result": None,
            },
            f"Draft, nothing done yet: {preview}. To do it, call {action} again with the "
            f"same arguments and confirmation_token (valid {confirm.MAX_AGE_SECONDS // 60} "
            "minutes, once).",
        )
    confirm.redeem(user=user, action=action, arguments=arguments, token=token)
    result, text = spec.do(user, arguments)
    return (
        {
            **answer,
            "status": "done",
            "confirmation_token": None,
            "expires_in_seconds": None,
            "result": result,
        },
        text,
    )
