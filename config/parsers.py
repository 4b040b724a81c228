"""The API's JSON parser. A module of its own: DRF imports DEFAULT_PARSER_CLASSES while it
defines APIView, so this module must not import rest_framework.views (config.api does)."""

from typing import Any

from rest_framework import exceptions, parsers


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


class JSONParser(parsers.JSONParser):
    """JSON bodies, refusing the NUL character (\\u0000) in any key or string: PostgreSQL
    cannot store it in text or jsonb, so it is a 400 here rather than a failure later."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise exceptions.ParseError(
                "JSON strings and keys may not contain the NUL character (\\u0000)."
            )
        return data
