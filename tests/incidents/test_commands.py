"""Management commands: create_integration, create_api_token and seed_demo."""

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import ApiToken
from incidents.choices import Kind, Status
from incidents.models import Delivery, Incident, Integration
from incidents.services import integration_authenticate
from tests.incidents import payloads
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def webhook(token: str):
    return Client().post(
        "/hooks/alertmanager/",
        data=payloads.body(payloads.notification([payloads.alert()])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_create_integration_prints_a_working_token_last(checkout):
    out, err = run("create_integration", "am-prod", "--service", "checkout")

    token = last_line(out)
    integration = Integration.objects.get(name="am-prod")
    assert integration.default_service == checkout
    assert token.startswith(f"keel_am_{integration.token_prefix}_")
    assert token not in err
    assert "/hooks/alertmanager/" in err
    found = integration_authenticate(token=token)
    assert found is not None and found.id == integration.pk
    response = webhook(token)
    assert response.status_code == 200
    assert Delivery.objects.get(pk=response.json()["delivery"]).integration == integration


def test_create_integration_with_policy_and_quiet_period(checkout):
    run(
        "create_integration",
        "am-quiet",
        "--service",
        "checkout",
        "--resolve-policy",
        "resolved",
        "--quiet-minutes",
        "30",
    )
    integration = Integration.objects.get(name="am-quiet")
    assert integration.resolve_policy == "resolved"
    assert integration.quiet_period.total_seconds() == 1800


def test_create_integration_with_unknown_service_fails(checkout):
    with pytest.raises(CommandError, match=r"No service with slug 'nope'\."):
        run("create_integration", "am-prod", "--service", "nope")
    assert not Integration.objects.exists()


def test_create_integration_with_a_taken_name_fails(integration):
    with pytest.raises(CommandError, match=r"An integration named 'am-test' exists already\."):
        run("create_integration", "am-test")
    assert Integration.objects.count() == 1


def test_create_api_token_prints_a_working_token_last(responder):
    out, err = run("create_api_token", "rita", "--name", "laptop")

    token = last_line(out)
    row = ApiToken.objects.get(user=responder)
    assert row.name == "laptop"
    assert token.startswith(f"keel_api_{row.prefix}_")
    assert token not in err
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = client.post(
        "/api/v1/incidents/", {"title": "From CLI", "severity": "SEV3"}, format="json"
    )
    assert response.status_code == 201
    assert Incident.objects.get().commander == responder


def test_create_api_token_for_an_unknown_user_fails(db):
    UserFactory(username="someone")
    with pytest.raises(CommandError, match=r"No user named 'ghost'\."):
        run("create_api_token", "ghost")
    assert not ApiToken.objects.exists()


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
    from oncall.models import Page
    from slos.models import SLO

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
