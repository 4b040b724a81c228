"""The weekly report webhook goes through the outbound client: a loopback URL is refused
(by `manage.py check` and when sending) unless KEEL_OUTBOUND_ALLOW lists it."""

import logging

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from slos.report import weekly_report_send
from tests.oncall.catcher import webhook_catcher

pytestmark = pytest.mark.django_db


def test_a_loopback_report_webhook_is_refused_and_nothing_is_sent(settings, evaluated, caplog):
    with webhook_catcher() as catcher:
        settings.KEEL_SLO_REPORT_WEBHOOK_URL = catcher.url
        with caplog.at_level(logging.ERROR, logger="slos.report"):
            record = weekly_report_send(at=timezone.now())
    assert record is not None  # the report is kept and readable all the same
    assert catcher.bodies == []
    assert "127.0.0.1 is a loopback address" in caplog.text


def test_an_allowed_report_webhook_gets_the_report(settings, evaluated):
    settings.KEEL_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with webhook_catcher() as catcher:
        settings.KEEL_SLO_REPORT_WEBHOOK_URL = catcher.url
        weekly_report_send(at=timezone.now())
    [body] = catcher.bodies
    assert "availability" in body["text"] and isinstance(body["report"], dict)


def test_the_system_check_names_a_refused_report_webhook(settings):
    settings.KEEL_SLO_REPORT_WEBHOOK_URL = "http://169.254.169.254/latest/"
    with pytest.raises(SystemCheckError, match=r"slos\.E001.*metadata"):
        call_command("check")
    settings.KEEL_OUTBOUND_ALLOW = ["169.254.169.254/32"]
    call_command("check")
