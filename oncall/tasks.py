"""Celery tasks of paging and handoffs: ids in, a service call, idempotent.

Each task imports its service when it runs: the services queue these tasks, so the import
at module level would run in a circle."""

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import transaction

from incidents import selectors as incidents_selectors

logger = logging.getLogger(__name__)


def _enqueue_step(escalation_id: int, position: int, round: int, delay: timedelta) -> None:
    """Schedule a later step. Tasks that run in-process (no broker) cannot wait, so
    there the periodic `escalations_due` runs the step when it is due."""

    if settings.CELERY_TASK_ALWAYS_EAGER and delay > timedelta(0):
        return
    escalation_step.apply_async(
        (escalation_id, position, round), countdown=max(0.0, delay.total_seconds())
    )


def _deliver_after_commit(pages: Iterable[Any]) -> None:
    """Send each page once the transaction that made it is committed."""
    for page_id in [page.pk for page in pages]:
        transaction.on_commit(partial(deliver_page.delay, page_id))


@shared_task(ignore_result=True)
def escalation_begin(incident_id: int) -> None:
    """Start the escalations of a newly opened incident and run their first steps."""
    from .services.escalation import escalation_start
    from .services.fallback import escalation_fallback

    incident = incidents_selectors.incident_by_id(user=None, incident_id=incident_id)
    if incident is None:
        return
    started = escalation_start(incident=incident)
    for escalation in started:
        escalation_step.delay(escalation.pk, 0, 0)
    if not started:
        # An incident no policy pages for pages the fallback (and says so), once.
        _deliver_after_commit(escalation_fallback(incident=incident, restart=False))


@shared_task(ignore_result=True)
def escalation_restart(incident_id: int) -> None:
    """Page a reopened incident again from the first step of each policy (a run still
    going carries on instead)."""
    from .services.escalation import escalation_start
    from .services.fallback import escalation_fallback

    incident = incidents_selectors.incident_by_id(user=None, incident_id=incident_id)
    if incident is None:
        return
    started = escalation_start(incident=incident, restart=True)
    for escalation in started:
        escalation_step.delay(escalation.pk, 0, 0)
    if not started:
        # An incident no policy pages for pages the fallback (and says so), once.
        _deliver_after_commit(escalation_fallback(incident=incident, restart=True))


@shared_task(ignore_result=True)
def escalation_step(escalation_id: int, position: int, round: int) -> None:
    """Run one step if it is still due; deliver its pages and schedule the next step."""
    from .services.escalation import escalation_run_step

    outcome = escalation_run_step(escalation_id=escalation_id, position=position, round=round)
    if outcome is None:
        return
    _deliver_after_commit(outcome.pages)
    if (
        outcome.next_position is not None
        and outcome.next_round is not None
        and outcome.next_delay is not None
    ):
        _enqueue_step(escalation_id, outcome.next_position, outcome.next_round, outcome.next_delay)


@shared_task(ignore_result=True)
def escalations_due() -> None:
    """Run steps that are overdue: a safety net for lost countdown tasks, and the clock
    of escalations when tasks run in-process."""
    from .services.escalation import escalations_overdue

    for escalation_id, position, round in escalations_overdue():
        escalation_step.delay(escalation_id, position, round)


@shared_task(ignore_result=True)
def escalation_check(incident_id: int) -> None:
    """Stop the escalation of an incident that was acknowledged or resolved."""
    from .services.escalation import escalation_stop_if_done

    incident = incidents_selectors.incident_by_id(user=None, incident_id=incident_id)
    if incident is not None:
        escalation_stop_if_done(incident=incident)


@shared_task(ignore_result=True)
def deliver_page(page_id: int) -> None:
    """Send a page; on a retryable failure, try again later with exponential backoff."""
    from .services.paging import page_deliver, retry_backoff_seconds

    page, retry = page_deliver(page_id=page_id)
    if retry and page is not None:
        deliver_page.apply_async((page_id,), countdown=retry_backoff_seconds(page.attempts))


@shared_task(ignore_result=True)
def handoffs_tick() -> None:
    """Create the handoffs of shift boundaries that are near, and remind incoming people."""
    from .services.handoffs import handoffs_prepare

    for handoff_id in handoffs_prepare():
        handoff_remind.delay(handoff_id)


@shared_task(ignore_result=True)
def handoff_remind(handoff_id: int) -> None:
    from .services.handoffs import handoff_send_reminder

    handoff_send_reminder(handoff_id=handoff_id)


@shared_task(ignore_result=True)
def deliver_handoff_reminder(reminder_id: int) -> None:
    """Post a handoff reminder to a webhook; retried with the backoff of pages."""
    from .services.handoffs import handoff_reminder_deliver
    from .services.paging import retry_backoff_seconds

    reminder, retry = handoff_reminder_deliver(reminder_id=reminder_id)
    if retry and reminder is not None:
        deliver_handoff_reminder.apply_async(
            (reminder_id,), countdown=retry_backoff_seconds(reminder.attempts)
        )
