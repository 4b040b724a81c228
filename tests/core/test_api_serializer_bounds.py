"""Every integer an API client can send (in a body or a query) is bounded by the column it
ends up in, as the OpenAPI schema shows: no value reaches PostgreSQL (or Python's datetime
arithmetic) out of range to become a 500. Walks the schema, so a new endpoint is covered."""

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

BIGINT_MAX = 2**63 - 1


@pytest.fixture(scope="module")
def document():
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))


def _resolve(document, schema):
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _unbounded(document, schema, where, seen):
    schema = _resolve(document, schema)
    if id(schema) in seen:
        return
    seen.add(id(schema))
    for part in schema.get("allOf", []) + schema.get("oneOf", []) + schema.get("anyOf", []):
        yield from _unbounded(document, part, where, seen)
    if schema.get("type") == "integer" and not schema.get("readOnly") and "enum" not in schema:
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is None or high is None or low < -BIGINT_MAX - 1 or high > BIGINT_MAX:
            yield where
    for name, prop in schema.get("properties", {}).items():
        if not _resolve(document, prop).get("readOnly") and not prop.get("readOnly"):
            yield from _unbounded(document, prop, f"{where}.{name}", seen)
    if "items" in schema:
        yield from _unbounded(document, schema["items"], f"{where}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _unbounded(document, schema["additionalProperties"], f"{where}{{}}", seen)


@pytest.mark.django_db
def test_every_integer_a_client_sends_has_column_bounds(document):
    unbounded = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(document, content["schema"], where, set())
    assert sorted(set(unbounded)) == [], "\n".join(sorted(set(unbounded)))
