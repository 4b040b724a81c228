"""The MCP server at /mcp, driven by the SDK's own client against a live Keel: every read
tool answers what the REST API answers for the same data."""

import httpx2
import pytest

from accounts.models import ApiToken
from accounts.services import api_token_revoke
from core.actors import Actor
from postmortems.services import postmortem_draft
from tests.assistants.conftest import http_client, rest, run, token_for

pytestmark = pytest.mark.django_db(transaction=True)

READ_TOOLS = {
    "get_error_budget",
    "explain_budget",
    "list_slo_violations",
    "check_deploy_risk",
    "list_incidents",
    "get_incident",
    "who_is_on_call",
    "get_handoff",
    "get_postmortem",
}


def call(url, token, name, arguments):
    async def ask():
        async with http_client(url, token) as client:
            return await client.call_tool(name, arguments)

    result = run(ask)
    assert not result.is_error, result.content
    assert result.content[0].text.strip()
    return result.structured_content, result.content[0].text


def test_every_read_tool_is_listed_with_an_output_schema(mcp_url, viewer):
    token = token_for(viewer)

    async def ask():
        async with http_client(mcp_url, token) as client:
            return (await client.list_tools()).tools, client.protocol_version

    tools, version = run(ask)
    assert {t.name for t in tools} == READ_TOOLS
    assert all(t.output_schema and t.output_schema["type"] == "object" for t in tools)
    assert version == "2026-07-28"


def test_the_budget_an_assistant_reads_is_the_apis(mcp_url, viewer, keel_data):
    data, text = call(mcp_url, token_for(viewer), "get_error_budget", {"service": "checkout"})
    api = rest(viewer).get("/api/v1/slos/?service__slug=checkout").json()["results"][0]
    budget = data["slos"][0]
    assert budget["remaining"] == api["status"]["remaining"]
    assert budget["tier"] == api["status"]["tier"]
    assert budget["burn_rates"] == api["status"]["burn_rates"]
    assert budget["objective"] == api["objective"]
    ledger = rest(viewer).get(f"/api/v1/slos/{api['id']}/ledger/").json()
    assert budget["budget_minutes_left"] == ledger["budget_minutes_left"]
    assert budget["biggest_debits"][0]["incident"] == keel_data["incident"].number
    assert f"{float(api['status']['remaining']) * 100:.1f}%" in text


def test_explain_budget_is_the_ledger(mcp_url, viewer, keel_data):
    data, text = call(mcp_url, token_for(viewer), "explain_budget", {"service": "checkout"})
    ledger = rest(viewer).get(f"/api/v1/slos/{keel_data['slo'].pk}/ledger/").json()
    # the window in force ends at each request's "now"; everything else is the same
    moving = {"name", "window_start", "window_end"}
    assert {k: v for k, v in data["slos"][0].items() if k not in moving} == {
        k: v for k, v in ledger.items() if k not in moving
    }
    assert keel_data["incident"].reference in text
    assert "outside any incident" in text


def test_deploy_risk_is_the_gates_answer(mcp_url, viewer, keel_data):
    data, text = call(mcp_url, token_for(viewer), "check_deploy_risk", {"service": "checkout"})
    gate = rest(viewer).get("/api/v1/gate/?service=checkout").json()
    for key in ("decision", "tier", "reasons", "bypass"):
        assert data[key] == gate[key]
    assert [s["remaining"] for s in data["slos"]] == [s["remaining"] for s in gate["slos"]]
    assert f"answers {gate['decision']}" in text


def test_violations_name_the_burning_slo(mcp_url, viewer, keel_data):
    data, _ = call(mcp_url, token_for(viewer), "list_slo_violations", {})
    api = rest(viewer).get("/api/v1/slos/").json()["results"]
    unhealthy = {
        a["name"]
        for a in api
        if a["status"]["tier"] != "healthy" or a["status"]["alert_state"] != "ok"
    }
    assert {v["name"] for v in data["violations"]} >= unhealthy


def test_incident_list_takes_the_rest_filters(mcp_url, viewer, keel_data):
    arguments = {"open": True, "service": "checkout", "severity": ["SEV2"]}
    data, _ = call(mcp_url, token_for(viewer), "list_incidents", arguments)
    api = rest(viewer).get("/api/v1/incidents/?open=true&service=checkout&severity=SEV2").json()
    assert data["incidents"] == api["results"]
    assert data["count"] == api["count"] == 1
    none, _ = call(mcp_url, token_for(viewer), "list_incidents", {"open": False})
    assert none["count"] == 0


def test_an_incident_with_its_timeline_roles_and_budget_impact(mcp_url, viewer, keel_data):
    incident = keel_data["incident"]
    data, text = call(mcp_url, token_for(viewer), "get_incident", {"incident": incident.reference})
    api = rest(viewer).get(f"/api/v1/incidents/{incident.number}/").json()
    for key in ("reference", "status", "severity", "version", "commander", "alert_counts"):
        assert data["incident"][key] == api[key]
    assert data["incident"]["timeline"] == api["timeline"]
    assert data["roles"]["commander"] == "rita"
    impacts = rest(viewer).get(f"/api/v1/budget-impacts/?incident={incident.number}").json()
    assert data["budget_impact"] == impacts["results"]
    assert incident.reference in text


def test_on_call_and_the_last_handoff(mcp_url, viewer, payments):
    data, text = call(mcp_url, token_for(viewer), "who_is_on_call", {"service": "checkout"})
    api = rest(viewer).get("/api/v1/oncall/now/?team=payments").json()
    assert [(r["schedule_name"], r["now"], r["next"]) for r in data["schedules"]] == [
        (r["schedule_name"], r["now"], r["next"]) for r in api
    ]
    assert api[0]["now"] in text
    data, text = call(mcp_url, token_for(viewer), "get_handoff", {"team": "payments"})
    assert data["handoff"]["incoming"] == "bob"
    assert "payment provider is flaky" in text


def test_the_postmortem_is_the_markdown_download(mcp_url, viewer, responder, keel_data):
    incident = keel_data["incident"]
    postmortem_draft(incident=incident, actor=Actor.of(responder))
    data, _ = call(mcp_url, token_for(viewer), "get_postmortem", {"incident": incident.number})
    api = rest(viewer).get(f"/api/v1/incidents/{incident.number}/postmortem/markdown/")
    assert data["markdown"] == api.content.decode()


def test_unknown_names_are_errors_in_words(mcp_url, viewer):
    token = token_for(viewer)

    async def ask():
        async with http_client(mcp_url, token) as client:
            return await client.call_tool("check_deploy_risk", {"service": "nope"})

    result = run(ask)
    assert result.is_error
    assert "No service 'nope'" in result.content[0].text


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "curl", "version": "1"},
    },
}


@pytest.mark.parametrize("authorization", [None, "Bearer keel_api_00000000_wrong", "Basic x"])
def test_no_token_or_a_bad_one_is_refused(mcp_url, viewer, authorization):
    headers = {"Accept": "application/json, text/event-stream"}
    if authorization:
        headers["Authorization"] = authorization
    answer = httpx2.post(mcp_url, json=INITIALIZE, headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")

    async def ask():
        async with http_client(mcp_url, None) as client:
            await client.list_tools()

    with pytest.raises(Exception):  # noqa: B017 - the SDK raises its transport's own error
        run(ask)


def test_a_revoked_token_is_refused(mcp_url, viewer):
    token = token_for(viewer)
    api_token_revoke(token=ApiToken.objects.get(user=viewer))
    answer = httpx2.post(
        mcp_url,
        json=INITIALIZE,
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    assert answer.status_code == 401
