"""Error-budget burns and their incident: one SLO burn has at most one open incident,
whichever path reports it (Keel's own evaluation or a `KeelErrorBudgetBurn` alert through
Alertmanager), with one severity; a new burn's incident links to the previous one, and the
end of a burn goes on the timeline and follows the resolve policy."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from core.actors import Actor
from incidents import selectors as incidents_selectors
from incidents.choices import AlertStatus, EntryKind, ResolvePolicy, Status
from incidents.models import Incident
from incidents.services import (
    incident_declare,
    incident_record,
    incident_resolve,
    incident_set_status,
)

from .. import burns, durations
from ..models import SLO, SloStatus
from .figures import SloFigures, dec

logger = logging.getLogger(__name__)


def _percent(figures: SloFigures) -> str:
    remaining = figures.remaining
    return "unknown" if remaining is None else f"{float(remaining) * 100:.1f}%"


def burn_text(figures: SloFigures) -> str:
    pairs = ", ".join(
        f"{w.name} ({durations.duration_text(w.long)} {float(figures.burn(w.long) or 0):.1f}x / "
        f"{durations.duration_text(w.short)} {float(figures.burn(w.short) or 0):.1f}x > "
        f"{float(w.factor):.1f}x)"
        for w in figures.firing
    )
    return (
        f"Error budget of {figures.slo} burning fast: {pairs}. "
        f"Budget remaining {_percent(figures)}."
    )


def burn_data(figures: SloFigures) -> dict[str, object]:

    return {
        "slo": figures.slo.pk,
        "slo_name": figures.slo.name,
        "service": figures.slo.service.slug,
        "firing": [w.as_dict() for w in figures.firing],
        "burn_rates": figures.burn_rates_json(),
        "remaining": None if figures.remaining is None else str(dec(figures.remaining, 4)),
    }


def burn_incident_open(status: SloStatus) -> Incident | None:
    """The SLO's open burn incident: the linked one, else an open incident that holds a page-
    level burn alert of this SLO (opened through Alertmanager before any link was made)."""

    linked = status.burn_incident
    if linked is not None and linked.is_open:
        return linked
    return incidents_selectors.incident_open_holding_alert(
        labels={"service": status.slo.service.slug, "slo": status.slo.name},
        alertname=burns.BURN_ALERT_NAME,
        or_label_key=burns.BURN_WINDOW_LABEL,
    )


def burn_page(status: SloStatus, figures: SloFigures) -> Incident:
    """Keel's evaluation sees a page-level burn: join the SLO's open burn incident (back to
    investigating if it was being monitored), or open one linked to the previous burn's."""

    actor = Actor.system()
    incident = burn_incident_open(status)
    if incident is None:
        incident = incident_declare(
            actor=actor,
            title=f"Error budget burn: {figures.slo}",
            severity=burns.BURN_SEVERITY,
            summary=burn_text(figures),
            services=[figures.slo.service],
            started_at=figures.at - min(w.short for w in figures.firing),
            previous=status.burn_incident,
            at=figures.at,
        )
    elif incident.status == Status.MONITORING:
        incident = incident_set_status(
            incident=incident,
            status=Status.INVESTIGATING,
            actor=actor,
            note="The error budget burn is back.",
            at=figures.at,
        )
    if status.burn_incident_id != incident.pk:
        status.burn_incident = incident
        status.save(update_fields=["burn_incident"])
    incident_record(
        incident=incident,
        kind=EntryKind.SLO_BURN,
        actor=actor,
        text=burn_text(figures),
        data=burn_data(figures),
        at=figures.at,
    )
    return incident


def _resolve_policy(incident: Incident) -> str:
    """The resolve policy of the integration the burn came through (the incident's, else
    that of its latest alert); the integrations' default (monitoring) for a burn only Keel's
    own evaluation saw."""

    integration = incident.integration
    if integration is None:
        alert = (
            incidents_selectors.incident_alerts(incident=incident).order_by("-last_seen_at").first()
        )
        integration = alert.integration if alert is not None else None
    return integration.resolve_policy if integration is not None else ResolvePolicy.MONITORING


def burn_ended(status: SloStatus, figures: SloFigures) -> None:
    """Keel's evaluation sees the page-level burn end: say so on the burn incident's
    timeline and, once no alert of it fires any more, apply the resolve policy."""

    incident = status.burn_incident
    if incident is None:
        return
    actor = Actor.system()
    still = (
        f" (still {figures.alert_state}-level: {', '.join(w.name for w in figures.firing)})"
        if figures.firing
        else ""
    )
    text = (
        f"Error budget burn of {figures.slo} ended: no page-level burn-rate pair fires{still}. "
        f"Budget remaining {_percent(figures)}."
    )
    incident_record(
        incident=incident,
        kind=EntryKind.SLO_BURN,
        actor=actor,
        text=text,
        data={**burn_data(figures), "ended": True},
        at=figures.at,
    )
    firing = incidents_selectors.incident_alerts(incident=incident).filter(
        status=AlertStatus.FIRING
    )
    if not incident.is_open or firing.exists():
        return  # a firing alert's own resolve applies the policy when it comes
    note = "The error budget burn ended."
    if _resolve_policy(incident) == ResolvePolicy.RESOLVED:
        incident_resolve(incident=incident, actor=actor, note=note, at=figures.at)
    elif incident.status != Status.MONITORING:
        incident_set_status(
            incident=incident, status=Status.MONITORING, actor=actor, note=note, at=figures.at
        )


def _statuses(pairs: list[tuple[str, str]]) -> list[SloStatus]:
    query = Q(pk__in=[])
    for service, name in pairs:
        query |= Q(slo__service__slug=service, slo__name=name)
    return list(
        SloStatus.objects.select_for_update(of=("self",))
        .select_related("burn_incident", "slo__service")
        .filter(query)
        .order_by("pk")
    )


def burn_incident_to_join(*, labels: Sequence[Mapping[str, Any]]) -> Incident | None:
    """For alerts about to open an incident: the open burn incident of an SLO their page-
    level `KeelErrorBudgetBurn` alerts name, which they join instead (one burn, one open
    incident). Locks those SLOs' status rows until the caller's transaction ends, so that
    Keel's evaluation cannot open a second incident meanwhile."""
    pairs = burns.burn_alert_slos(labels)
    if not pairs:
        return None
    found = [i for i in (burn_incident_open(s) for s in _statuses(pairs)) if i is not None]
    return min(found, key=lambda i: i.number) if found else None


def burn_incident_previous(
    *, labels: Sequence[Mapping[str, Any]], group_previous: Incident | None
) -> Incident | None:
    """The incident a new one opened from these alerts follows: the alert group's last
    incident, or, when its page-level `KeelErrorBudgetBurn` alerts name an SLO whose last
    burn incident is newer (opened by Keel's evaluation), that one."""
    pairs = burns.burn_alert_slos(labels)
    if not pairs:
        return group_previous
    found = [s.burn_incident for s in _statuses(pairs) if s.burn_incident is not None]
    if group_previous is not None:
        found.append(group_previous)
    return max(found, key=lambda i: i.number) if found else None


@transaction.atomic
def slo_burn_incident_link(*, incident_id: int) -> int:
    """An incident holding page-level `KeelErrorBudgetBurn` alerts (labels `service` and
    `slo`) becomes the burn incident of each SLO they name that has no open one, so Keel's
    evaluation joins it instead of opening a second. Returns how many SLOs were linked."""

    labels = incidents_selectors.incident_alert_labels(incident_id=incident_id)
    linked = 0
    for status in _statuses(burns.burn_alert_slos(labels)):
        if status.burn_incident is None or not status.burn_incident.is_open:
            status.burn_incident_id = incident_id
            status.save(update_fields=["burn_incident"])
            linked += 1
    return linked


def ticket_burn_notify(*, slo_id: int, text: str) -> int:
    """Email the owning team of the SLO's service about a ticket-level burn (not a page)."""

    slo = SLO.objects.select_related("service__owner").filter(pk=slo_id).first()
    if slo is None or slo.service.owner is None:
        return 0
    recipients = sorted(
        {email for email in slo.service.owner.members.values_list("email", flat=True) if email}
    )
    if not recipients:
        return 0
    return send_mail(
        subject=f"[Keel] Error budget burn (ticket): {slo}",
        message=text,
        from_email=None,
        recipient_list=recipients,
    )
