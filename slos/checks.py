"""System checks for the SLO settings: the weekly report webhook must be a URL Keel sends to."""

from typing import Any

from django.conf import settings
from django.core import checks

from core.outbound import configured_allowlist
from core.outbound_policy import Refused, check_url


def report_webhook_allowed(**kwargs: Any) -> list[checks.CheckMessage]:
    url = settings.KEEL_SLO_REPORT_WEBHOOK_URL
    if not url:
        return []
    try:
        check_url(url, configured_allowlist())
    except Refused as exc:
        return [
            checks.Error(
                f"KEEL_SLO_REPORT_WEBHOOK_URL is refused: {exc.message}",
                hint="Use a public https URL, or list the host in KEEL_OUTBOUND_ALLOW.",
                id="slos.E001",
            )
        ]
    return []
