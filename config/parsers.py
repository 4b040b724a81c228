"""The API's JSON parser. A module of its own: DRF imports DEFAULT_PARSER_CLASSES while it
defines APIView, so this module must not import rest_framework.views (core.api_errors does)."""

import codecs
from typing import Any

from rest_framework import exceptions, parsers
from rest_framework.utils import json

from core.bounds import json_depth_problem


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
    cannot store it in text or jsonb, so it is a 400 here rather than a failure later.
    Bodies nested deeper than `core.bounds.JSON_DEPTH_MAX` are refused before parsing
    (Python's parser would run out of stack on them)."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            text = codecs.getreader(encoding)(stream).read()
        except ValueError as exc:  # UnicodeDecodeError
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        problem = json_depth_problem(text)
        if problem is not None:
            raise exceptions.ParseError(problem)
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from exc
        if _has_nul(data):
            raise exceptions.ParseError(
                "JSON strings and keys may not contain the NUL character (\\u0000)."
            )
        return data
