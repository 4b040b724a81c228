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

from core import outbound

from .models import SLO, IncidentImpact, WeeklyReport

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
    impacts = (
        IncidentImpact.objects.filter(period_end__gte=since, period_start__lt=at)
        .select_related("incident", "slo", "slo__service")
        .order_by("incident__number")
    )
    for impact in impacts:
        found = services.get(impact.slo.service.slug)
        if found is None:
            continue
        entry = found
        incident = entry["incidents"].setdefault(
            impact.incident.reference,
            {"incident": impact.incident.reference, "title": impact.incident.title, "debits": []},
        )
        incident["debits"].append(
            {
                "slo": impact.slo.name,
                "fraction": None if impact.fraction is None else str(impact.fraction),
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
            debits = ", ".join(f"{d['slo']} {_pct(d['fraction'])}" for d in incident["debits"])
            lines.append(f"• {incident['incident']} {incident['title']}: {debits}")
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
    url = settings.KEEL_SLO_REPORT_WEBHOOK_URL
    if url:
        try:
            response = outbound.post_json(
                url, {"text": text, "report": report}, **outbound.configured_options()
            )
            if not response.ok:
                logger.error("weekly SLO report: the webhook answered HTTP %s", response.status)
        except outbound.OutboundError as exc:
            logger.error("weekly SLO report: webhook not delivered: %s", exc.message)
    return record


def weekly_report_send_if_due(at: datetime | None = None) -> bool:
    at = at or timezone.now()
    if not is_due(at):
        return False
    return weekly_report_send(at=at) is not None
