"""Management command create_integration: a working token, printed last."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from incidents.models import Delivery, Integration
from incidents.services import integration_authenticate
from tests.incidents import payloads

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
