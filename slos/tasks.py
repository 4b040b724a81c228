"""Celery tasks for error budgets: ids in, then one service call; safe to run twice.

Each task imports its service when it runs: the services queue these tasks, so the import
at module level would run in a circle."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def evaluate_all() -> int:
    """Every minute (beat): evaluate each SLO, then refresh the live impact of open incidents."""
    from .services.evaluation import slos_evaluate_all
    from .services.impact import impacts_refresh_open

    count = slos_evaluate_all()
    impacts_refresh_open()
    return count


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def incident_impacts_update(incident_id: int, change: str) -> None:
    from .services.impact import incident_impacts_update as update

    update(incident_id=incident_id, change=change)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    max_retries=5,
)
def incident_budget_follow(incident_id: int, change: str) -> None:
    """After an incident change (slos/receivers.py): a new incident holding page-level burn
    alerts becomes its SLOs' burn incident, and the budget impact of an incident touching
    an SLO is brought up to date. Re-reads everything; safe to run twice."""
    from .services.impact import incident_budget_follow as follow

    follow(incident_id=incident_id, change=change)


@shared_task(ignore_result=True)
def notify_ticket_burn(slo_id: int, text: str) -> int:
    from .services.burns import ticket_burn_notify

    return ticket_burn_notify(slo_id=slo_id, text=text)


@shared_task(ignore_result=True)
def weekly_report_if_due() -> bool:
    from .report import weekly_report_send_if_due

    return weekly_report_send_if_due()


@shared_task(ignore_result=True)
def demo_sli_push() -> int:
    """Every minute in the demo (`KEEL_DEMO_SLI`, on in `make run`): the demo SLO's traffic."""
    from .demo import demo_sli_push as push

    return push()


@shared_task(ignore_result=True)
def report_webhook_deliver(report_id: int) -> None:
    """First delivery of a weekly report to its webhook; beat retries what fails."""
    from .report_webhook import report_webhook_deliver as deliver

    deliver(report_id=report_id)
