"""Postmortems through a real Celery worker on Redis: resolving drafts, publishing renders."""

import time
from collections.abc import Callable, Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.contrib.auth.models import Group

from config.celery import app as celery_app
from incidents.actors import Actor
from incidents.models import Postmortem, PostmortemPdf
from incidents.services import incident_declare, incident_resolve
from incidents.services import postmortems as pm
from tests.incidents.factories import UserFactory

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs REDIS_URL: the broker of the real worker"
)

DEADLINE_SECONDS = 60


@pytest.fixture
def worker(transactional_db) -> Iterator[None]:
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        celery_app.control.purge()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            yield
    finally:
        celery_app.conf.task_always_eager = eager


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {DEADLINE_SECONDS} s: {what}")
        time.sleep(0.1)


@pytest.mark.timeout(180)
def test_resolving_drafts_and_publishing_renders_the_pdf_in_the_worker(worker, responder):
    actor = Actor.of(responder)
    incident = incident_declare(actor=actor, title="Search times out", severity="SEV2")
    incident_resolve(incident=incident, actor=actor)

    wait_for(
        lambda: Postmortem.objects.filter(incident=incident).exists(),
        "the worker drafted no postmortem after the incident resolved",
    )
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.required is True and postmortem.due_at is not None

    reviewer = UserFactory(username="rev")
    reviewer.groups.add(Group.objects.get_or_create(name="responder")[0])
    pm.postmortem_request_review(postmortem=postmortem, reviewers=[reviewer], actor=actor)
    pm.postmortem_review(postmortem=postmortem, actor=Actor.of(reviewer), approve=True)
    pm.postmortem_publish(postmortem=postmortem, actor=actor)

    wait_for(
        lambda: PostmortemPdf.objects.filter(postmortem=postmortem, version_number=1).exists(),
        "the worker rendered no PDF of version 1 after publication",
    )
    pdf = PostmortemPdf.objects.get(postmortem=postmortem, version_number=1)
    assert bytes(pdf.pdf).startswith(b"%PDF-")
    digest, cached = pm.postmortem_pdf_lookup(postmortem=postmortem, version=1)
    assert cached is not None and cached.content_hash == digest == pdf.content_hash


@pytest.mark.timeout(180)
def test_an_on_demand_pdf_is_queued_then_served(worker, responder):
    from rest_framework.test import APIClient

    from accounts.services import api_token_create

    actor = Actor.of(responder)
    incident = incident_declare(actor=actor, title="Login loop", severity="SEV3")
    postmortem = pm.postmortem_draft(incident=incident, actor=actor)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=responder, name='t')[1]}")
    url = f"/api/v1/incidents/{incident.number}/postmortem/pdf/?paper=letter"

    first = client.get(url)
    assert first.status_code == 202
    assert first["Retry-After"] == "3" and "being rendered" in first.json()["message"]
    wait_for(
        lambda: PostmortemPdf.objects.filter(postmortem=postmortem, paper="letter").exists(),
        "the worker rendered no PDF after it was asked for",
    )
    second = client.get(url)
    assert second.status_code == 200 and second.content.startswith(b"%PDF-")
