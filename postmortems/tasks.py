"""Celery tasks for postmortems: drafts on resolution, PDFs, reminders. Ids in; idempotent.

Each task imports its service when it runs: the services queue these tasks, so the import
at module level would run in a circle."""

import logging
from datetime import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.actors import Actor
from incidents import selectors as incidents_selectors
from postmortems.models import Postmortem

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def draft_postmortem(incident_id: int) -> int | None:
    """Draft (or refresh) the postmortem of an incident; a missing incident is a no-op."""
    incident = incidents_selectors.incident_by_id(user=None, incident_id=incident_id)
    if incident is None:
        return None
    from postmortems.services.drafts import postmortem_draft

    return postmortem_draft(incident=incident, actor=Actor.system()).pk


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5)
def refresh_postmortem(incident_id: int) -> int | None:
    """Refresh the facts of the incident's unpublished postmortem; no postmortem, no-op."""
    from postmortems.services.drafts import postmortem_refresh_unpublished

    postmortem = postmortem_refresh_unpublished(incident_id=incident_id, actor=Actor.system())
    return None if postmortem is None else postmortem.pk


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3)
def render_postmortem_pdf(postmortem_id: int, version: int | None = None, paper: str = "a4") -> str:
    """Render the PDF of a version (or the current draft); cached by content hash."""
    from postmortems.services.documents import postmortem_pdf_render

    postmortem = Postmortem.objects.select_related("incident").get(pk=postmortem_id)
    return postmortem_pdf_render(postmortem=postmortem, version=version, paper=paper).content_hash


@shared_task
def postmortem_reminders() -> dict:
    """Periodic: remind the people behind overdue postmortems and action items."""
    from postmortems.services.reminders import reminders_send

    sent = reminders_send()
    if any(sent.values()):
        logger.info("postmortem reminders: %s", sent)
    return sent


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=3)
def notify_postmortem_reviewers(postmortem_id: int, requested_at: str) -> int:
    """Email the reviewers of one review round (a later round or approval makes it a no-op)."""
    from postmortems.services.review import postmortem_review_notify

    return postmortem_review_notify(
        postmortem_id=postmortem_id, requested_at=datetime.fromisoformat(requested_at)
    )


# The names these tasks had before postmortems became an app of their own: messages queued
# under them before an upgrade still run after it.
for _task in (draft_postmortem, render_postmortem_pdf, postmortem_reminders):
    shared_task(name=f"incidents.tasks_postmortems.{_task.__name__}")(_task.run)
shared_task(name="incidents.tasks_postmortems.notify_postmortem_reviewers")(
    notify_postmortem_reviewers.run
)
