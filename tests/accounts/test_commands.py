"""Management command create_api_token: a working API token, printed last."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken
from incidents.models import Incident
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


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
