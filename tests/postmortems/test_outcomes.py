"""After a review action the editor shows its outcome, and asking for a review tells the
reviewer."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from core.actors import Actor
from postmortems import services as pm
from tests.factories import UserFactory, realistic_incident

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KEEL_BASE_URL = "https://keel.example.test"


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="rev", email="rev@example.test")
    user.groups.add(Group.objects.get_or_create(name="responder")[0])
    return user


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_requesting_a_review_emails_the_reviewer_with_the_link(
    django_capture_on_commit_callbacks, integration, responder, reviewer
):
    story = realistic_incident(integration, responder)
    postmortem = pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    mail.outbox.clear()
    number = story.incident.number
    with django_capture_on_commit_callbacks(execute=True):
        answer = _client(responder).post(
            f"/incidents/{number}/postmortem/request-review/", {"reviewers": ["rev"]}
        )
    assert answer.status_code == 302
    assert [m.to for m in mail.outbox] == [["rev@example.test"]]
    message = mail.outbox[0]
    assert postmortem.reference in message.subject
    assert f"https://keel.example.test/incidents/{number}/postmortem/#review" in message.body


def test_a_later_round_or_an_approval_sends_no_stale_reminder(
    django_capture_on_commit_callbacks, integration, responder, reviewer
):
    from postmortems.services import postmortem_review_notify

    story = realistic_incident(integration, responder)
    postmortem = pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    pm.postmortem_request_review(
        postmortem=postmortem, reviewers=[reviewer], actor=Actor.of(responder)
    )
    postmortem.refresh_from_db()
    pm.postmortem_review(postmortem=postmortem, actor=Actor.of(reviewer), approve=True)
    mail.outbox.clear()
    told = postmortem_review_notify(
        postmortem_id=postmortem.pk, requested_at=postmortem.review_requested_at
    )
    assert told == 0 and mail.outbox == []


def test_the_approve_button_goes_once_approved(integration, responder, reviewer):
    story = realistic_incident(integration, responder)
    postmortem = pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    pm.postmortem_request_review(
        postmortem=postmortem, reviewers=[reviewer], actor=Actor.of(responder)
    )
    editor = f"/incidents/{story.incident.number}/postmortem/"
    client = _client(reviewer)
    assert 'value="approve"' in client.get(editor).content.decode()

    answer = client.post(editor + "review/", {"decision": "approve", "comment": "Good."})
    assert answer.status_code == 302
    page = client.get(editor).content.decode()
    review = page.split('id="review"', 1)[1].split("</section>", 1)[0]
    assert 'value="approve"' not in review
    assert "You approved this" in review
