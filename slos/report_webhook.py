"""Delivering the weekly SLO report to its webhook: tried at once, retried with backoff by
beat while it fails, and marked failed (with the error, on the report page and in the log)
after `KEEL_SLO_REPORT_WEBHOOK_ATTEMPTS` attempts."""

import logging
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core import outbound

from . import tasks
from .models import WebhookState, WeeklyReport

logger = logging.getLogger(__name__)


class _Rejected(Exception):
    """The webhook answered, but not with a 2xx."""


def _post(url: str, payload: dict[str, Any]) -> None:
    """Through Keel's one outbound client: no private or metadata address unless
    KEEL_OUTBOUND_ALLOW lists it, no redirects, bounded reads."""
    options = {
        **outbound.configured_options(),
        "timeout": float(settings.KEEL_SLO_REPORT_WEBHOOK_TIMEOUT_SECONDS),
    }
    response = outbound.post_json(url, payload, **options)
    if not response.ok:
        try:
            phrase = HTTPStatus(response.status).phrase
        except ValueError:
            phrase = ""
        raise _Rejected(f"HTTP {response.status} {phrase}".strip())


def _error_text(error: Exception) -> str:
    if isinstance(error, outbound.OutboundError):
        return error.message
    return str(error) if isinstance(error, _Rejected) else f"{type(error).__name__}: {error}"


def report_webhook_schedule(*, report: WeeklyReport, at: datetime) -> None:
    """Mark a just-recorded report for delivery to the configured webhook (if any); the
    first attempt runs after commit."""
    if not settings.KEEL_SLO_REPORT_WEBHOOK_URL:
        return
    report.webhook_state, report.webhook_next_at = WebhookState.PENDING, at
    report.save(update_fields=["webhook_state", "webhook_next_at"])
    transaction.on_commit(lambda: tasks.report_webhook_deliver.delay(report.pk))


def report_webhook_deliver(*, report_id: int, at: datetime | None = None) -> WeeklyReport | None:
    """One delivery attempt of a pending report whose next try is due. Success marks it
    delivered; a failure counts the attempt and schedules the next (backoff: base * 2^n), or
    marks it failed after the last one."""
    now = at or timezone.now()
    url = settings.KEEL_SLO_REPORT_WEBHOOK_URL
    with transaction.atomic():
        report = (
            WeeklyReport.objects.select_for_update(skip_locked=True)
            .filter(pk=report_id, webhook_state=WebhookState.PENDING, webhook_next_at__lte=now)
            .first()
        )
        if report is None:
            return None
        payload = {"text": report.text, "report": report.body}
        report.webhook_attempts += 1
        fields = ["webhook_attempts", "webhook_state", "webhook_error", "webhook_next_at"]
        try:
            if not url:
                raise ValueError("no webhook URL is configured any more")
            _post(url, payload)
        except (outbound.OutboundError, _Rejected, ValueError) as error:
            report.webhook_error = _error_text(error)
            refused = isinstance(error, outbound.OutboundRefused)  # not worth retrying
            if refused or report.webhook_attempts >= settings.KEEL_SLO_REPORT_WEBHOOK_ATTEMPTS:
                report.webhook_state, report.webhook_next_at = WebhookState.FAILED, None
                logger.error(
                    "weekly SLO report of %s: webhook failed after %s attempts: %s",
                    report.week_start,
                    report.webhook_attempts,
                    report.webhook_error,
                )
            else:
                delay = settings.KEEL_SLO_REPORT_WEBHOOK_RETRY_SECONDS * 2 ** (
                    report.webhook_attempts - 1
                )
                report.webhook_next_at = now + timedelta(seconds=delay)
                logger.warning(
                    "weekly SLO report of %s: webhook attempt %s failed (%s); next at %s",
                    report.week_start,
                    report.webhook_attempts,
                    report.webhook_error,
                    report.webhook_next_at.isoformat(),
                )
        else:
            report.webhook_state, report.webhook_next_at = WebhookState.DELIVERED, None
            report.webhook_delivered_at = now
            report.webhook_error = ""
            fields.append("webhook_delivered_at")
        report.save(update_fields=fields)
        return report


def report_webhooks_retry(*, at: datetime | None = None) -> int:
    """Beat: try again every report whose webhook delivery is pending and due."""
    now = at or timezone.now()
    due = WeeklyReport.objects.filter(
        webhook_state=WebhookState.PENDING, webhook_next_at__lte=now
    ).values_list("pk", flat=True)
    return sum(report_webhook_deliver(report_id=pk, at=now) is not None for pk in list(due))
