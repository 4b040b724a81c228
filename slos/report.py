"""The weekly SLO report: per service, budget remaining, the week's incidents and their
debits, tier changes. Delivered by email and a generic JSON webhook (Slack-compatible
`text`), and readable at /slos/report/."""

import logging
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from .debits import debits
from .models import SLO, IncidentImpact, WeeklyReport
from .report_webhook import report_webhook_schedule, report_webhooks_retry
from .services.figures import dec

logger = logging.getLogger(__name__)


def _pct(value: Any) -> str:
    return "no data" if value is None else f"{float(value) * 100:.1f}%"


def weekly_report(*, at: datetime) -> dict[str, Any]:
    """The report of the seven days before `at`."""
    since = at - timedelta(days=7)
    services: dict[str, dict[str, Any]] = {}
    for slo in SLO.objects.select_related("service", "status").order_by("service__slug", "name"):
        status = getattr(slo, "status", None)
        entry = services.setdefault(
            slo.service.slug,
            {"service": slo.service.slug, "name": slo.service.name, "slos": [], "incidents": {}},
        )
        changed = bool(status and status.tier_changed_at and status.tier_changed_at >= since)
        entry["slos"].append(
            {
                "slo": slo.name,
                "objective": f"{slo.objective.normalize():f}",
                "remaining": None
                if status is None or status.remaining is None
                else str(status.remaining),
                "tier": status.tier if status else "unknown",
                "tier_change": f"{status.previous_tier} → {status.tier}"
                if status and changed
                else "",
            }
        )
    found_debits = debits(
        IncidentImpact.objects.filter(period_end__gte=since, period_start__lt=at).order_by(
            "incident__number", "slo__name"
        )
    )
    for debit in found_debits:
        found = services.get(debit.service)
        if found is None:
            continue
        entry = found
        incident = entry["incidents"].setdefault(
            debit.reference,
            {"incident": debit.reference, "title": debit.title, "debits": []},
        )
        incident["debits"].append(
            {
                "slo": debit.slo,
                "fraction": None if debit.share is None else str(dec(debit.share, 8)),
                "percent": debit.percent,
                "window": debit.window,
                "text": debit.text,
            }
        )
    rows = []
    for entry in services.values():
        entry["incidents"] = list(entry["incidents"].values())
        rows.append(entry)
    return {"since": since.isoformat(), "until": at.isoformat(), "services": rows}


def report_text(report: dict[str, Any]) -> str:
    """Plain text that Slack (and email) shows well."""
    lines = [f"*Weekly SLO report* ({report['since'][:10]} to {report['until'][:10]})"]
    for service in report["services"]:
        lines.append(f"\n*{service['name']}*")
        for slo in service["slos"]:
            change = f" (tier {slo['tier_change']})" if slo["tier_change"] else ""
            lines.append(
                f"• {slo['slo']} ({slo['objective']}%): {_pct(slo['remaining'])} of budget left, "
                f"{slo['tier']}{change}"
            )
        for incident in service["incidents"]:
            spent = ", ".join(f"{d['slo']} {d['text']}" for d in incident["debits"])
            lines.append(f"• {incident['incident']} {incident['title']}: {spent}")
        if not service["incidents"]:
            lines.append("• no incidents")
    if not report["services"]:
        lines.append("No SLOs are defined.")
    return "\n".join(lines)


def _week_start(at: datetime) -> date:
    local = at.astimezone(ZoneInfo(settings.KEEL_SLO_REPORT_TIME_ZONE))
    return (local - timedelta(days=(local.weekday() - settings.KEEL_SLO_REPORT_DAY) % 7)).date()


def is_due(at: datetime) -> bool:
    """True from the configured day and time (in the configured zone) until it is sent."""
    zone = ZoneInfo(settings.KEEL_SLO_REPORT_TIME_ZONE)
    local = at.astimezone(zone)
    hour, minute = (int(part) for part in settings.KEEL_SLO_REPORT_TIME.split(":"))
    due = datetime.combine(_week_start(at), time(hour, minute), tzinfo=zone)
    return local >= due and not WeeklyReport.objects.filter(week_start=_week_start(at)).exists()


def weekly_report_send(*, at: datetime) -> WeeklyReport | None:
    """Build, record and deliver this week's report once (a second call sends nothing)."""
    report = weekly_report(at=at)
    text = report_text(report)
    try:
        with transaction.atomic():
            record = WeeklyReport.objects.create(
                week_start=_week_start(at), sent_at=at, body=report, text=text
            )
    except IntegrityError:
        return None
    if settings.KEEL_SLO_REPORT_EMAILS:
        send_mail(
            subject=f"Weekly SLO report, week of {record.week_start}",
            message=text.replace("*", ""),
            from_email=None,
            recipient_list=settings.KEEL_SLO_REPORT_EMAILS,
        )
    with transaction.atomic():
        report_webhook_schedule(report=record, at=at)
    return record


def weekly_report_send_if_due(at: datetime | None = None) -> bool:
    """Beat: send this week's report when due; retry pending webhook deliveries first."""
    at = at or timezone.now()
    report_webhooks_retry(at=at)
    if not is_due(at):
        return False
    return weekly_report_send(at=at) is not None
