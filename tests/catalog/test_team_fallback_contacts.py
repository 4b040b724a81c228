"""A team's fallback contacts: set on the team form and in the API, responders only."""

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import KeelError
from oncall.services import team_update
from tests.factories import person


def test_an_admin_sets_fallback_contacts_on_the_team_form(admin_user, team, ann, cat):
    client = Client()
    client.force_login(admin_user)
    url = reverse("oncall:team-edit", args=[team.slug])

    response = client.post(
        url,
        {
            "name": "Payments",
            "time_zone": "Europe/Berlin",
            "members": [ann.pk, cat.pk],
            "fallback_contacts": [cat.pk],
            "working_days": ["0", "1", "2", "3", "4"],
            "working_start": "09:00",
            "working_end": "18:00",
        },
    )

    assert response.status_code == 302
    assert list(team.fallback_contacts.all()) == [cat]
    page = client.get(response["Location"]).content.decode()
    assert "Fallback contacts" in page and "cat" in page.split("Fallback contacts", 1)[1]


def test_a_viewer_cannot_be_a_fallback_contact(admin_user, team):
    vera = person("vera", role="viewer")

    with pytest.raises(KeelError, match="vera is a viewer") as refused:
        team_update(user=admin_user, team=team, fallback_contacts=[vera])

    assert refused.value.field == "fallback_contacts"
    assert not team.fallback_contacts.exists()


def test_the_team_api_sets_and_shows_fallback_contacts(admin_api, team, cat):
    person("vera", role="viewer")

    response = admin_api.patch(
        f"/api/v1/oncall/teams/{team.slug}/", {"fallback_contacts": ["cat"]}, format="json"
    )
    refused = admin_api.patch(
        f"/api/v1/oncall/teams/{team.slug}/", {"fallback_contacts": ["vera"]}, format="json"
    )

    assert response.status_code == 200 and response.json()["fallback_contacts"] == ["cat"]
    assert refused.status_code == 400
    assert "viewer" in refused.json()["errors"]["fallback_contacts"][0]
    assert list(team.fallback_contacts.values_list("username", flat=True)) == ["cat"]
