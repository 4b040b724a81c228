"""MCP test fixtures: a live Keel, API tokens by role, and the SDK's own client over HTTP."""

from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import anyio
import httpx2
import pytest
from django.utils import timezone
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from rest_framework.test import APIClient

from accounts.services import api_token_create
from core.actors import Actor
from incidents.services import incident_declare
from oncall.models import Handoff
from oncall.services import layer_create, schedule_create, team_create
from slos.services import slo_evaluate
from tests.factories import SLOFactory, person, push_minutes
from tests.oncall.conftest import ANCHOR


def token_for(user: Any) -> str:
    return api_token_create(user=user, name="mcp")[1]


@asynccontextmanager
async def http_client(url: str, token: str | None):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), cache=None) as client,
    ):
        yield client


def run(fn: Callable[[], Awaitable[Any]]) -> Any:
    """Run the async client code of a test to its end (the live server serves meanwhile)."""
    return anyio.run(fn)


def rest(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    return client


@pytest.fixture
def mcp_url(base_url) -> str:
    return f"{base_url}/mcp"


@pytest.fixture
def keel_data(checkout, responder):
    """checkout's availability SLO, evaluated, with a declared incident that cost budget."""
    now = timezone.now().replace(second=0, microsecond=0)
    slo = SLOFactory(service=checkout, name="availability")
    push_minutes(
        slo,
        now - timedelta(hours=3),
        181,
        good=1000,
        total=1000,
        now=now,
        worse=(now - timedelta(hours=2), 10, 990),
    )
    incident = incident_declare(
        actor=Actor.of(responder),
        title="Checkout errors",
        severity="SEV2",
        services=[checkout],
        started_at=now - timedelta(hours=2),
        at=now - timedelta(hours=2) + timedelta(minutes=2),
    )
    slo_evaluate(slo=slo, at=now)
    return {"slo": slo, "incident": incident}


@pytest.fixture
def payments(checkout):
    """Team payments owning checkout, with a weekly rotation of ann and bob and the last
    handoff from ann to bob with notes."""
    ann, bob = person("ann"), person("bob")
    team = team_create(
        user=None, name="Payments", slug="payments", time_zone="Europe/Berlin", members=[ann, bob]
    )
    checkout.owner = team
    checkout.save(update_fields=["owner"])
    primary = schedule_create(user=None, team=team, name="Primary")
    layer_create(
        user=None, schedule=primary, name="Weekly", participants=[ann, bob], handoff_at=ANCHOR
    )
    now = timezone.now()
    Handoff.objects.create(
        schedule=primary,
        outgoing=ann,
        incoming=bob,
        outgoing_shift_start=now - timedelta(days=8),
        shift_start=now - timedelta(days=1),
        notes="Checkout's payment provider is flaky; the runbook is pinned.",
    )
    return team
