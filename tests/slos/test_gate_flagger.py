"""Flagger's webhook for the gate: 200 lets the canary go on, 403 stops it, with the same
answer as /api/v1/gate/."""

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken
from catalog.models import Service
from tests.slos.gate_states import EXPECTED, STATES

pytestmark = pytest.mark.django_db

URL = "/api/v1/gate/flagger/"


def _flagger(token: str | None = None, **metadata: str) -> dict:
    body: dict = {"name": "checkout", "namespace": "shop", "phase": "Progressing"}
    if token is not None:
        metadata["token"] = token
    body["checksum"] = "6d2f6c9b"
    body["metadata"] = metadata
    return body


@pytest.mark.parametrize("state", list(STATES))
def test_flagger_answers_as_the_gate(state, settings, checkout, viewer_api, viewer_token):
    STATES[state](checkout, settings)
    gate = viewer_api.get("/api/v1/gate/?service=checkout").json()
    response = APIClient().post(URL, _flagger(viewer_token), format="json")
    decision, decided, tier, _ = EXPECTED[state]
    assert response.status_code == (403 if decision == "block" else 200), response.json()
    body = response.json()
    assert (body["decision"], body["decided"], body["tier"]) == (decision, decided, tier)
    # the same figures as the REST gate (data_age_s moves with the clock between the two)
    assert [(x["name"], x["remaining"]) for x in body["slos"]] == [
        (x["name"], x["remaining"]) for x in gate["slos"]
    ]
    assert body["reasons"] == gate["reasons"]
    assert body["message"].startswith(
        f"{decision}{'' if decided else ' (cannot decide)'} checkout (tier {tier})"
    )
    assert viewer_token not in response.content.decode()


def test_service_from_metadata_else_the_canary_name(settings, checkout, viewer_token):
    STATES["allow"](checkout, settings)
    search = Service.objects.create(slug="search", name="Search")
    STATES["block"](search, settings)
    client = APIClient()
    # the canary is named checkout, but metadata names search: search's block stops it
    named = client.post(URL, _flagger(viewer_token, service="search"), format="json")
    assert named.status_code == 403 and named.json()["service"] == "search"
    by_name = client.post(URL, _flagger(viewer_token), format="json")
    assert by_name.status_code == 200 and by_name.json()["service"] == "checkout"


def test_the_token_in_the_authorization_header_works_too(settings, checkout, viewer_api):
    STATES["allow"](checkout, settings)
    response = viewer_api.post(URL, _flagger(), format="json")
    assert response.status_code == 200 and response.json()["decision"] == "allow"


def test_no_token_a_bad_token_or_an_unknown_service_stop_the_canary(
    settings, checkout, viewer_token
):
    STATES["allow"](checkout, settings)
    client = APIClient()
    missing = client.post(URL, _flagger(), format="json")
    assert missing.status_code == 401 and missing.json()["message"]
    bad = client.post(URL, _flagger("keel_notatoken"), format="json")
    assert bad.status_code == 401 and "token" in bad.json()["message"].lower()
    unknown = client.post(URL, _flagger(viewer_token, service="nope"), format="json")
    assert unknown.status_code == 404 and "'nope'" in unknown.json()["message"]
    nameless = client.post(URL, {"metadata": {"token": viewer_token}, "name": ""}, format="json")
    assert nameless.status_code == 400 and "metadata" in nameless.json()["errors"]
    not_json = client.post(URL, "{", content_type="application/json")
    assert not_json.status_code == 400 and not_json.json()["message"]


def test_a_revoked_token_is_refused(settings, checkout, viewer, viewer_token):
    STATES["allow"](checkout, settings)
    ApiToken.objects.filter(user=viewer).update(revoked_at=timezone.now())
    response = APIClient().post(URL, _flagger(viewer_token), format="json")
    assert response.status_code == 401


def test_the_webhook_is_in_the_openapi_schema(viewer_api):
    schema = viewer_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/gate/flagger/"]["post"]
    assert {"200", "403", "401", "404"} <= set(operation["responses"])
    assert operation["requestBody"]["content"]["application/json"]["schema"]
