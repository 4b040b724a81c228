"""The write tools: offered only with KEEL_MCP_WRITE to responders and admins, and two-step
(a draft and a confirmation token first; only the second call changes anything)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from tests.assistants.conftest import http_client, rest, run, token_for

pytestmark = pytest.mark.django_db(transaction=True)

WRITE_TOOLS = {"declare_incident", "acknowledge_incident", "add_note", "request_gate_bypass"}


def tools_of(url, token):
    async def ask():
        async with http_client(url, token) as client:
            return {t.name for t in (await client.list_tools()).tools}

    return run(ask)


def calls(url, token, *steps):
    """Call (name, arguments) one after another in one client; each result."""

    async def ask():
        async with http_client(url, token) as client:
            return [await client.call_tool(name, arguments) for name, arguments in steps]

    return run(ask)


@pytest.fixture
def writes_on(settings):
    settings.KEEL_MCP_WRITE = True


def test_a_viewer_never_sees_the_write_tools(mcp_url, viewer, writes_on):
    token = token_for(viewer)
    assert not tools_of(mcp_url, token) & WRITE_TOOLS
    (result,) = calls(mcp_url, token, ("declare_incident", {"title": "x", "severity": "SEV1"}))
    assert result.is_error
    assert not Incident.objects.exists()


def test_without_the_setting_no_one_sees_them(mcp_url, responder, admin_user, settings):
    settings.KEEL_MCP_WRITE = False
    assert not tools_of(mcp_url, token_for(responder)) & WRITE_TOOLS
    assert not tools_of(mcp_url, token_for(admin_user)) & WRITE_TOOLS


def test_declare_is_a_draft_until_confirmed_once(mcp_url, responder, checkout, writes_on):
    token = token_for(responder)
    assert tools_of(mcp_url, token) >= WRITE_TOOLS
    arguments = {"title": "Checkout down", "severity": "SEV1", "services": ["checkout"]}
    (draft,) = calls(mcp_url, token, ("declare_incident", arguments))
    assert not draft.is_error, draft.content
    assert draft.structured_content["status"] == "draft"
    assert "SEV1" in draft.structured_content["preview"]
    assert rest(responder).get("/api/v1/incidents/").json()["count"] == 0

    confirmation = draft.structured_content["confirmation_token"]
    other_arguments = {**arguments, "severity": "SEV4"}
    changed, done, again = calls(
        mcp_url,
        token,
        ("declare_incident", {**other_arguments, "confirmation_token": confirmation}),
        ("declare_incident", {**arguments, "confirmation_token": confirmation}),
        ("declare_incident", {**arguments, "confirmation_token": confirmation}),
    )
    assert changed.is_error
    assert "another draft" in changed.content[0].text
    assert not done.is_error, done.content
    assert done.structured_content["status"] == "done"
    assert again.is_error
    assert "already used" in again.content[0].text
    listed = rest(responder).get("/api/v1/incidents/?service=checkout").json()["results"]
    assert [(i["title"], i["severity"], i["commander"]) for i in listed] == [
        ("Checkout down", "SEV1", "rita")
    ]
    assert done.structured_content["result"]["incident"] == listed[0]["reference"]


def test_a_token_is_bound_to_its_user(mcp_url, responder, admin_user, checkout, writes_on):
    arguments = {"title": "Checkout down", "severity": "SEV2"}
    (draft,) = calls(mcp_url, token_for(responder), ("declare_incident", arguments))
    confirmation = draft.structured_content["confirmation_token"]
    (stolen,) = calls(
        mcp_url,
        token_for(admin_user),
        ("declare_incident", {**arguments, "confirmation_token": confirmation}),
    )
    assert stolen.is_error
    assert not Incident.objects.exists()


def two_steps(url, token, name, arguments):
    (draft,) = calls(url, token, (name, arguments))
    assert not draft.is_error, draft.content
    confirmation = draft.structured_content["confirmation_token"]
    (done,) = calls(url, token, (name, {**arguments, "confirmation_token": confirmation}))
    assert not done.is_error, done.content
    return draft, done


def test_acknowledge_and_note(mcp_url, responder, keel_data, writes_on):
    token = token_for(responder)
    reference = keel_data["incident"].reference
    draft, _ = two_steps(mcp_url, token, "acknowledge_incident", {"incident": reference})
    assert reference in draft.content[0].text
    two_steps(mcp_url, token, "add_note", {"incident": reference, "text": "Rolled back 1.42"})
    detail = rest(responder).get(f"/api/v1/incidents/{reference}/").json()
    assert detail["acknowledged_by"] == "rita"
    assert detail["timeline"][-1]["kind"] == "note"
    assert detail["timeline"][-1]["text"] == "Rolled back 1.42"


def test_a_gate_bypass_lets_deployments_through(mcp_url, responder, keel_data, writes_on):
    token = token_for(responder)
    expires = (timezone.now() + timedelta(hours=2)).isoformat()
    arguments = {
        "service": "checkout",
        "kind": "hotfix",
        "reason": "Fix for the payment outage",
        "expires_at": expires,
    }
    two_steps(mcp_url, token, "request_gate_bypass", arguments)
    gate = rest(responder).get("/api/v1/gate/?service=checkout").json()
    assert gate["bypass"]["reason"] == "Fix for the payment outage"
    assert gate["bypass"]["by"] == "rita"
    (risk,) = calls(mcp_url, token, ("check_deploy_risk", {"service": "checkout"}))
    assert risk.structured_content["bypass"] == gate["bypass"]
    assert "hotfix bypass by rita" in risk.content[0].text


def test_keel_refuses_bad_arguments_at_the_draft(mcp_url, responder, writes_on):
    (draft,) = calls(
        mcp_url, token_for(responder), ("declare_incident", {"title": "x", "severity": "SEV9"})
    )
    assert draft.is_error
    assert "severity" in draft.content[0].text
