"""After an acknowledgement the pages say so: a page acknowledged is no longer "Sent", and
the acknowledge link's page says who has the incident."""

import pytest
from django.core import mail
from django.test import Client

from core.actors import Actor
from incidents.services import incident_acknowledge, incident_reopen, incident_resolve
from oncall.models import Page
from oncall.services.paging import acknowledge_url

from .test_paging import declare

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_acknowledged_page_is_no_longer_sent_in_the_room(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    room = f"/incidents/{incident.number}/"
    before = _signed_in(responder).get(room).content.decode()
    assert ">Sent</span>" in before.split('id="pages-heading"', 1)[1]

    page = incident.pages.get()
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(acknowledge_url(page).split("8000", 1)[-1])
    pages = _signed_in(responder).get(room).content.decode().split('id="pages-heading"', 1)[1]
    pages = pages.split("</section>", 1)[0]
    assert ">Acknowledged</span>" in pages
    assert ">Sent</span>" not in pages


def test_the_acknowledge_link_says_who_has_it_after_a_reopen(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, actor=Actor.of(responder))
        incident_resolve(incident=incident, actor=Actor.of(responder))
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, actor=Actor.of(responder), reason="It is back.")
    newest = Page.objects.order_by("-id").first()
    assert newest is not None and newest.user != responder
    path = acknowledge_url(newest).split("8000", 1)[-1]
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(path).content.decode()
    holder = newest.user.get_username()
    assert f"<strong>{holder}</strong> has it." in done

    again = client.get(path).content.decode()
    assert f"<strong>{holder}</strong> has it." in again
    assert "Acknowledge as" not in again  # nothing left to do there
    assert len(mail.outbox) >= 1
