"""Celery tasks for ingestion: ids in, then one service call; safe to run twice.

Each task imports its service when it runs: the services queue these tasks, so the import
at module level would run in a circle."""

import logging
from typing import Any

from celery import current_app, shared_task
from django.db import IntegrityError, InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError, IntegrityError),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def process_delivery(delivery_id: int) -> None:
    from .services.deliveries import delivery_process

    delivery_process(delivery_id=delivery_id)


def _broker_backlog() -> int:
    """Messages waiting in the default queue (0 when it cannot be told, e.g. eager mode)."""
    app = current_app
    if app.conf.task_always_eager:
        return 0
    try:
        with app.connection_for_read() as conn:
            queue = app.conf.task_default_queue
            channel: Any = conn.default_channel
            return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except Exception:
        return 0


@shared_task
def sweep() -> dict:
    """Periodic: re-enqueue deliveries left behind, and resolve alerts gone quiet."""
    from .services.deliveries import deliveries_requeue
    from .services.ingestion import alerts_resolve_quiet

    backlog = _broker_backlog()
    # Re-enqueue only when workers have caught up, so a long backlog is not doubled.
    requeued = deliveries_requeue() if backlog == 0 else 0
    resolved = alerts_resolve_quiet()
    if requeued or resolved:
        logger.info("sweep: requeued %s deliveries, resolved %s quiet alerts", requeued, resolved)
    return {"requeued": requeued, "resolved": resolved, "backlog": backlog}
