"""Fail-safe paging through a real Celery worker on Redis: an alert opens an incident
while the schedule is broken, and the worker still pages and records it."""

import pytest
from django.core import mail
from django.test import Client

from incidents.choices import EntryKind
from incidents.models import Incident
from oncall.models import Layer, Page
from oncall.services import team_update
from tests.celery_worker import needs_redis, wait_for
from tests.factories import person
from tests.incidents import payloads

from .failsafe import add_broken_layer

pytestmark = needs_redis


@pytest.fixture(autouse=True)
def _mail(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.mark.timeout(120)
def test_the_worker_pages_the_fallback_of_a_broken_schedule_and_says_so(
    worker, policy, schedule, team, checkout, cat, integration_and_token, monkeypatch
):
    checkout.owner = team
    checkout.save(update_fields=["owner"])
    Layer.objects.filter(schedule=schedule).delete()
    add_broken_layer(schedule, [cat], monkeypatch)
    dan = person("dan")
    team_update(user=None, team=team, fallback_contacts=[dan])
    _, token = integration_and_token

    response = Client().post(
        "/hooks/alertmanager/",
        data=payloads.body(payloads.notification([payloads.alert(severity="page")])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200
    wait_for(lambda: Page.objects.filter(user=dan).exists(), "the fallback contact is paged")
    incident = Incident.objects.get()
    entry = incident.timeline.get(kind=EntryKind.PAGED)
    assert 'layer 1 "Follow the sun" of payments/Primary' in entry.text
    assert "Paged dan (the fallback contacts of Payments) instead" in entry.text
    wait_for(lambda: len(mail.outbox) == 1, "the page is sent")
    assert mail.outbox[0].to == [dan.email]
