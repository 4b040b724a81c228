"""Postmortems through a real Celery worker on Redis: resolving drafts, publishing renders."""

import pytest
from django.contrib.auth.models import Group

from core.actors import Actor
from incidents.services import incident_declare, incident_resolve
from postmortems import services as pm
from postmortems.models import Postmortem, PostmortemPdf
from tests.celery_worker import needs_redis, wait_for
from tests.factories import UserFactory

pytestmark = needs_redis

RENDER_SECONDS = 60  # a PDF render in the worker, on a busy 2-core machine


@pytest.mark.timeout(180)
def test_resolving_drafts_and_publishing_renders_the_pdf_in_the_worker(worker, responder):
    actor = Actor.of(responder)
    incident = incident_declare(actor=actor, title="Search times out", severity="SEV2")
    incident_resolve(incident=incident, actor=actor)

    wait_for(
        lambda: Postmortem.objects.filter(incident=incident).exists(),
        "the worker drafted no postmortem after the incident resolved",
        seconds=RENDER_SECONDS,
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
        seconds=RENDER_SECONDS,
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
        seconds=RENDER_SECONDS,
    )
    second = client.get(url)
    assert second.status_code == 200 and second.content.startswith(b"%PDF-")
