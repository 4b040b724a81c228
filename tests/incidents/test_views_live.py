"""The incident room's header refreshes live: what others change shows without a reload."""

import re

import pytest
from django.urls import reverse

from core.actors import Actor
from incidents.choices import Severity
from incidents.services import (
    incident_acknowledge,
    incident_add_responder,
    incident_assign_commander,
    incident_declare,
    incident_set_severity,
)
from tests.factories import ResponderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


def _head_url(page: str) -> str:
    found = re.search(r'<header class="room-head" id="room-head" hx-get="([^"]+)"', page)
    assert found, "the room's header polls for changes"
    return found.group(1).replace("&amp;", "&")


def test_room_header_shows_what_others_changed_and_stays_quiet_otherwise(as_viewer, responder):
    incident = incident_declare(actor=Actor.of(responder), title="Queue stuck", severity="SEV3")
    page = as_viewer.get(reverse("ui:incident-room", args=[incident.number])).content.decode()
    head_url = _head_url(page)
    assert "not yet" in page

    unchanged = as_viewer.get(head_url)
    assert unchanged.status_code == 204 and unchanged.content == b""

    helper = ResponderFactory(username="hana")
    incident_acknowledge(incident=incident, actor=Actor.of(responder))
    incident_set_severity(incident=incident, severity=Severity.SEV1, actor=Actor.of(responder))
    incident_assign_commander(incident=incident, commander=helper, actor=Actor.of(responder))
    incident_add_responder(incident=incident, user=helper, actor=Actor.of(responder))

    changed = as_viewer.get(head_url)
    assert changed.status_code == 200
    head = changed.content.decode()
    assert "<html" not in head and "<form" not in head
    assert 'class="badge sev sev-sev1">SEV1<' in head
    assert "SEV3" not in head
    assert "Not acknowledged" not in head and "not yet" not in head
    assert f"by {responder.get_username()}" in head
    assert "<dt>Commander</dt><dd>hana</dd>" in head
    assert "<dt>Responders</dt><dd>hana</dd>" in head

    # The new header carries the new stamp: polling it again changes nothing.
    assert as_viewer.get(_head_url(head)).status_code == 204


def test_the_header_poll_never_replaces_the_forms_below_it(client, responder):
    client.force_login(responder)
    incident = incident_declare(actor=Actor.of(responder), title="Disk full", severity="SEV2")
    page = client.get(reverse("ui:incident-room", args=[incident.number])).content.decode()
    start = page.index('<header class="room-head"')
    header = page[start : page.index("</header>", start)]
    assert "<form" not in header and "<input" not in header and "<textarea" not in header
    assert 'id="note"' in page  # the note form sits outside what the poll replaces


def test_header_poll_runs_a_bounded_number_of_queries(
    as_viewer, responder, django_assert_max_num_queries
):
    incident = incident_declare(actor=Actor.of(responder), title="Slow API", severity="SEV2")
    for n in range(30):
        incident_add_responder(
            incident=incident,
            user=ResponderFactory(username=f"helper{n}"),
            actor=Actor.of(responder),
        )
    url = reverse("ui:incident-head", args=[incident.number])
    with django_assert_max_num_queries(8):
        response = as_viewer.get(url)
    assert response.content.decode().count("helper") == 30


def test_header_of_an_unknown_incident_is_a_page_not_found(as_viewer):
    response = as_viewer.get(reverse("ui:incident-head", args=[9999]))
    assert response.status_code == 404
    assert "No incident INC-9999." in response.content.decode()


def test_header_poll_needs_sign_in(client, responder):
    incident = incident_declare(actor=Actor.of(responder), title="Disk full", severity="SEV2")
    response = client.get(reverse("ui:incident-head", args=[incident.number]))
    assert response.status_code == 302


def test_the_header_says_when_the_actions_below_are_out_of_date(client, responder, admin_user):
    incident = incident_declare(actor=Actor.of(responder), title="Disk full", severity="SEV3")
    client.force_login(responder)
    page = client.get(reverse("ui:incident-room", args=[incident.number])).content.decode()
    assert "Acknowledge</button>" in page
    head_url = _head_url(page)

    # A severity change does not change the actions offered: no notice.
    incident_set_severity(incident=incident, severity=Severity.SEV2, actor=Actor.of(responder))
    head = client.get(head_url).content.decode()
    assert "SEV2" in head and "reload" not in head
    head_url = _head_url(head)

    # Someone else acknowledges: the Acknowledge button below is stale.
    incident_acknowledge(incident=incident, actor=Actor.of(admin_user))
    head = client.get(head_url).content.decode()
    assert "Someone changed this incident since the page loaded" in head
    assert f'<a href="/incidents/{incident.number}/">reload</a>' in head
    # It stays said, without being redrawn, until the page is reloaded.
    assert client.get(_head_url(head)).status_code == 204
    fresh = client.get(reverse("ui:incident-room", args=[incident.number])).content.decode()
    assert "Acknowledge</button>" not in fresh and "Someone changed" not in fresh


def test_a_forged_actions_state_is_ignored(as_viewer, responder):
    incident = incident_declare(actor=Actor.of(responder), title="Disk full", severity="SEV3")
    url = reverse("ui:incident-head", args=[incident.number])
    head = as_viewer.get(url, {"actions": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>" not in head and "Someone changed" not in head
