"""Property test of the whole REST API from its own OpenAPI schema: whatever a client
sends, Keel answers with a deliberate status (a JSON error for bad input), never a 500."""

import json

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from accounts.services import api_token_create
from tests.incidents import payloads

pytestmark = pytest.mark.django_db

_document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(public=True)))
schema = schemathesis.openapi.from_dict(_document)


def _wsgi_app(environ, start_response):
    """Django in-process, on the test database; a new handler per request, because
    middleware reads settings (changed by the test) when it is created."""
    return WSGIHandler()(environ, start_response)


schema.app = _wsgi_app


@pytest.fixture
def known(settings, admin_user, integration_and_token, django_capture_on_commit_callbacks):
    """An admin's API token and the ids of real objects, so requests reach past the 404s."""
    from django.test import Client

    from incidents.models import Delivery, Incident

    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    # The fuzzer sends thousands of requests with one token: no rate limit here.
    settings.KEEL_API_RATE_LIMIT = "off"
    integration, token = integration_and_token
    body = payloads.body(payloads.notification([payloads.alert()]))
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(
            "/hooks/alertmanager/",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    incident = Incident.objects.get()
    # As Django's test client does: keep the test's connection (and its transaction) open
    # across requests instead of closing it when each request finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield {
        "token": api_token_create(user=admin_user, name="fuzz")[1],
        "path": {
            "number": str(incident.number),
            "id": str(integration.pk),
            "slug": "checkout",
            "username": admin_user.username,
            "entry_id": str(incident.timeline.first().pk),
            "delivery_id": str(Delivery.objects.get().pk),
        },
    }
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_makes_the_api_fail(case, known):
    # Alert ids are fuzzed as generated; everything else points at a real object.
    for name in case.path_parameters or {}:
        if name in known["path"] and not (name == "id" and "/alerts/" in case.path):
            case.path_parameters[name] = known["path"][name]
    response = case.call(headers={"Authorization": f"Bearer {known['token']}"})
    case.validate_response(response, checks=(not_a_server_error,))
    if response.status_code >= 400:
        assert "message" in response.json(), response.text
