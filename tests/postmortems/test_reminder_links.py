"""The links in reminder emails open the page the reminder is about."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client

from core.actors import Actor
from postmortems import services as pm
from tests.factories import RESOLVED, realistic_incident

pytestmark = pytest.mark.django_db

BASE = "https://keel.example.test"


def _link(body: str) -> str:
    return next(line for line in body.splitlines() if line.startswith(BASE))


def test_reminders_link_to_the_postmortem_and_to_the_owners_action_items(
    integration, responder, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KEEL_BASE_URL = BASE + "/"
    story = realistic_incident(integration, responder)
    actor = Actor.of(responder)
    pm.postmortem_draft(incident=story.incident, actor=actor)
    pm.action_item_create(
        incident=story.incident,
        actor=actor,
        title="Raise pool limit",
        owner=responder,
        due_on=(RESOLVED + timedelta(days=2)).date(),
    )
    mail.outbox.clear()

    pm.reminders_send(at=RESOLVED + timedelta(days=6))

    by_subject = {m.subject.split(":")[0]: _link(m.body) for m in mail.outbox}
    number = story.incident.number
    assert by_subject == {
        "Postmortem overdue": f"{BASE}/incidents/{number}/postmortem/",
        "Action item overdue": f"{BASE}/action-items/?owner=rita",
    }
    browser = Client()
    browser.force_login(responder)
    editor = browser.get(by_subject["Postmortem overdue"].removeprefix(BASE))
    assert editor.status_code == 200 and story.incident.title in editor.content.decode()
    board = browser.get(by_subject["Action item overdue"].removeprefix(BASE))
    assert board.status_code == 200 and "Raise pool limit" in board.content.decode()
