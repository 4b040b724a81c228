"""Management command seed_demo: run twice, it leaves incidents in every state, someone on
call and a budget the outage spent."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from incidents.choices import Kind, Status
from incidents.models import Incident, Integration
from oncall.models import Page
from slos.models import SLO
from tests.incidents import payloads

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def webhook(token: str):
    return Client().post(
        "/hooks/alertmanager/",
        data=payloads.body(payloads.notification([payloads.alert()])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def _printed_token(out: str) -> str:
    match = re.search(r"^\s*Token:\s+(\S+)$", out, re.MULTILINE)
    assert match, out
    return match.group(1)


def _printed_api_token(out: str) -> str:
    match = re.search(r"admin's API token: (\S+)\)", out)
    assert match, out
    return match.group(1)


def test_seed_demo_runs_twice_and_leaves_incidents_in_every_state(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        first_out, _ = run("seed_demo")
    with django_capture_on_commit_callbacks(execute=True):
        second_out, _ = run("seed_demo")

    statuses = set(Incident.objects.values_list("status", flat=True))
    assert statuses >= {Status.INVESTIGATING, Status.MONITORING, Status.RESOLVED, Status.CLOSED}
    assert Incident.objects.filter(kind=Kind.DRILL).count() == 1
    assert Incident.objects.count() == 4  # the second run adds no duplicates
    closed = Incident.objects.get(status=Status.CLOSED)
    assert closed.resolved_at is not None and closed.closed_at is not None
    assert closed.timeline.count() >= 4
    assert Integration.objects.filter(name="alertmanager-demo").count() == 1

    # The second run rotated the demo integration's token: only the newest one works.
    old_token, new_token = _printed_token(first_out), _printed_token(second_out)
    assert old_token != new_token
    assert webhook(old_token).status_code == 401
    assert webhook(new_token).status_code == 200

    # The printed admin API token works and sees the demo incidents.
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {_printed_api_token(second_out)}")
    listed = client.get("/api/v1/incidents/?open=true")
    assert listed.status_code == 200
    assert listed.json()["count"] == 2  # monitoring, and the drill
    old_api = APIClient()
    old_api.credentials(HTTP_AUTHORIZATION=f"Bearer {_printed_api_token(first_out)}")
    assert old_api.get("/api/v1/incidents/").status_code == 401


def test_seed_demo_has_someone_on_call_and_a_budget_the_outage_spent(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        run("seed_demo")

    # Someone is on call for the demo services' team, and the open incidents paged them.
    viewer = APIClient()
    viewer.force_authenticate(get_user_model().objects.get(username="viewer"))
    now = viewer.get("/api/v1/oncall/now/?team=sre")
    assert now.status_code == 200, now.json()
    assert "alice" in str(now.json()) or "bob" in str(now.json())
    assert Page.objects.exists()

    # The payment-provider outage is a debit on checkout's availability budget.
    slo = SLO.objects.get(service__slug="checkout", name="availability")
    outage = Incident.objects.get(title="Payment provider timeouts")
    impact = outage.budget_impacts.get(slo=slo)
    assert impact.frozen
    # 50 failed requests a minute for an hour: the whole burst, from the minute the SLI turned
    # bad, plus at most the one background failure of the minute it was resolved in
    assert 3000 <= impact.bad <= 3001, impact.bad
    assert impact.period_source == "sli"
    assert impact.fraction is not None and impact.fraction > 0
    assert slo.status.evaluated_at is not None
