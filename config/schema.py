"""OpenAPI generation: every operation documents Keel's JSON error shape."""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

ERROR_RESPONSES = {
    "400": "Invalid input, or a change the incident's state does not allow; nothing changed.",
    "401": "No valid credentials (session or API token).",
    "403": "Signed in, but the role does not allow this.",
    "404": "Not found.",
}


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    message = serializers.CharField(help_text="What went wrong, for a person to act on.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a field, not .errors
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages by field, for invalid input.",
    )


ID_MAX = 2**63 - 1  # ids are bigint (DEFAULT_AUTO_FIELD)


class KeelAutoSchema(AutoSchema):
    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        """An object named by its id takes a bigint id: the lookup of any other number
        finds nothing (a 400 naming the field), and the schema says so."""
        result = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.PrimaryKeyRelatedField) and result.get("type") == (
            "integer"
        ):
            result = {"minimum": 1, "maximum": ID_MAX, **result}
        return result

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction == "response":
            error = self._get_response_for_code(ErrorSerializer, "400", direction=direction)
            for code, description in ERROR_RESPONSES.items():
                responses.setdefault(code, {**error, "description": description})
        return responses
