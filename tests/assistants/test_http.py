"""The MCP server at /mcp, driven by the SDK's own client against a live Keel."""

import pytest

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


def test_the_budget_an_assistant_reads_is_the_apis(mcp_url, viewer, keel_data):
    token = token_for(viewer)

    async def ask():
        async with http_client(mcp_url, token) as client:
            tools = await client.list_tools()
            result = await client.call_tool("get_error_budget", {"service": "checkout"})
            return tools, result

    tools, result = run(ask)
    assert {t.name for t in tools.tools} == READ_TOOLS
    assert all(t.output_schema for t in tools.tools)
    assert not result.is_error, result.content
    api = rest(viewer).get("/api/v1/slos/?service__slug=checkout").json()["results"][0]
    budget = result.structured_content["slos"][0]
    assert budget["remaining"] == api["status"]["remaining"]
    assert budget["tier"] == api["status"]["tier"]
    assert budget["burn_rates"] == api["status"]["burn_rates"]
    assert "checkout" in result.content[0].text
