"""Keel's figures as the REST API writes them: the same serializers, the same JSON."""

import json
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from rest_framework.renderers import JSONRenderer


def as_json(data: Any) -> Any:
    """`data` as the API's JSON renderer writes it (decimals and times as the API's strings)."""
    return json.loads(JSONRenderer().render(data))


def incident_number(value: str | int) -> int:
    """`42`, `"42"` or `"INC-42"`."""
    text = str(value).strip().upper().removeprefix("INC-")
    if not text.isdigit() or len(text) > 18:
        raise ToolError(f"{value!r} is not an incident: give its number, e.g. INC-42.")
    return int(text)


def plural(count: int, word: str, many: str = "") -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"
