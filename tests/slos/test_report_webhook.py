"""The weekly report's webhook is retried when it fails, and a failure is visible on the
report page (and in the log), against a real HTTP server on loopback."""

import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from slos.models import WeeklyReport
from slos.report import weekly_report_send, weekly_report_send_if_due
from tests.catcher import webhook_catcher

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _catcher_allowed(settings):
    """The catcher listens on loopback, which the outbound client refuses by default."""
    settings.KEEL_OUTBOUND_ALLOW = ["127.0.0.1/32"]


def _page(client, viewer) -> str:
    client.force_login(viewer)
    return client.get("/slos/report/").content.decode()


def test_a_failing_webhook_is_retried_until_it_answers(
    settings, client, viewer, evaluated, django_capture_on_commit_callbacks
):
    settings.KEEL_SLO_REPORT_WEBHOOK_ATTEMPTS = 5
    settings.KEEL_SLO_REPORT_WEBHOOK_RETRY_SECONDS = 60
    now = timezone.now()
    with webhook_catcher() as catcher:
        settings.KEEL_SLO_REPORT_WEBHOOK_URL = catcher.url
        catcher.statuses = [500, 503]
        with django_capture_on_commit_callbacks(execute=True):
            record = weekly_report_send(at=now)
        assert record is not None
        record.refresh_from_db()
        assert (record.webhook_state, record.webhook_attempts) == ("pending", 1)
        assert record.webhook_error == "HTTP 500 Internal Server Error"
        page = _page(client, viewer)
        assert "attempt 1 failed: HTTP 500 Internal Server Error" in page

        # Beat's next passes: too early changes nothing; then 503, then delivered.
        weekly_report_send_if_due(now + timedelta(seconds=30))
        assert len(catcher.bodies) == 1
        weekly_report_send_if_due(now + timedelta(seconds=61))
        weekly_report_send_if_due(now + timedelta(minutes=4))
        record.refresh_from_db()
        assert record.webhook_state == "delivered" and record.webhook_attempts == 3
        assert len(catcher.bodies) == 3
        assert catcher.bodies[-1]["text"] == record.text
        assert "delivered at attempt 3" in _page(client, viewer)
        weekly_report_send_if_due(now + timedelta(hours=1))
        assert len(catcher.bodies) == 3  # once delivered, never again


def test_a_webhook_that_never_answers_is_marked_failed_and_shown(
    settings, client, viewer, evaluated, caplog, django_capture_on_commit_callbacks
):
    settings.KEEL_SLO_REPORT_WEBHOOK_ATTEMPTS = 2
    settings.KEEL_SLO_REPORT_WEBHOOK_RETRY_SECONDS = 60
    now = timezone.now()
    with webhook_catcher() as catcher:
        settings.KEEL_SLO_REPORT_WEBHOOK_URL = catcher.url
        catcher.statuses = [502, 502, 502]
        with django_capture_on_commit_callbacks(execute=True):
            weekly_report_send(at=now)
        with caplog.at_level(logging.ERROR, logger="slos.report_webhook"):
            weekly_report_send_if_due(now + timedelta(minutes=2))
    record = WeeklyReport.objects.get()
    assert (record.webhook_state, record.webhook_attempts) == ("failed", 2)
    assert "webhook failed after 2 attempts: HTTP 502 Bad Gateway" in caplog.text
    assert "failed after 2 attempts: HTTP 502 Bad Gateway" in _page(client, viewer)
    weekly_report_send_if_due(now + timedelta(hours=2))
    assert WeeklyReport.objects.get().webhook_attempts == 2  # given up: no more tries


def test_a_loopback_report_webhook_is_refused_and_nothing_is_sent(
    settings, evaluated, django_capture_on_commit_callbacks
):
    settings.KEEL_OUTBOUND_ALLOW = []
    with webhook_catcher() as catcher:
        settings.KEEL_SLO_REPORT_WEBHOOK_URL = catcher.url
        with django_capture_on_commit_callbacks(execute=True):
            record = weekly_report_send(at=timezone.now())
    assert record is not None  # the report is kept and readable all the same
    record.refresh_from_db()
    assert catcher.bodies == []
    # Refused is not worth retrying: failed at once, with the reason.
    assert record.webhook_state == "failed" and record.webhook_attempts == 1
    assert "127.0.0.1 is a loopback address" in record.webhook_error


def test_the_system_check_names_a_refused_report_webhook(settings):
    settings.KEEL_OUTBOUND_ALLOW = []
    settings.KEEL_SLO_REPORT_WEBHOOK_URL = "http://169.254.169.254/latest/"
    with pytest.raises(SystemCheckError, match=r"slos\.E001.*metadata"):
        call_command("check")
    settings.KEEL_OUTBOUND_ALLOW = ["169.254.169.254/32"]
    call_command("check")
