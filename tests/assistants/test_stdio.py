"""`manage.py mcp`: the SDK's stdio client starts it and reads the same figures as the API."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection
from mcp import Client, StdioServerParameters

from tests.assistants.conftest import rest, run, token_for

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database, for the server process (it sees what the test committed)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def server(token: str | None) -> StdioServerParameters:
    env = {**os.environ, "DATABASE_URL": database_url(), "KEEL_TASKS_EAGER": "1"}
    env.pop("KEEL_API_TOKEN", None)
    if token is not None:
        env["KEEL_API_TOKEN"] = token
    return StdioServerParameters(
        command=sys.executable, args=["manage.py", "mcp"], env=env, cwd=str(ROOT)
    )


def test_stdio_answers_with_the_apis_figures(viewer, keel_data):
    params = server(token_for(viewer))

    async def ask():
        async with Client(params, cache=None) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            budget = await client.call_tool("get_error_budget", {"service": "checkout"})
            gate = await client.call_tool("check_deploy_risk", {"service": "checkout"})
            return tools, budget, gate

    tools, budget, gate = run(ask)
    assert "get_error_budget" in tools
    assert "declare_incident" not in tools
    api = rest(viewer).get("/api/v1/slos/?service__slug=checkout").json()["results"][0]
    assert budget.structured_content["slos"][0]["remaining"] == api["status"]["remaining"]
    api_gate = rest(viewer).get("/api/v1/gate/?service=checkout").json()
    assert gate.structured_content["decision"] == api_gate["decision"]
    assert gate.structured_content["reasons"] == api_gate["reasons"]


@pytest.mark.parametrize("token", [None, "keel_api_00000000_wrong"])
def test_stdio_refuses_to_start_without_a_good_token(db, token):
    params = server(token)
    done = subprocess.run(
        [params.command, *params.args],
        cwd=params.cwd,
        env=params.env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "KEEL_API_TOKEN" in done.stderr or "Invalid API token" in done.stderr
