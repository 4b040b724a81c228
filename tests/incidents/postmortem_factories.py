"""A realistic incident to write postmortems about: opened from two alerts, acknowledged,
escalated, noted, resolved — each step through the services, at known times."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.actors import Actor
from incidents.models import Incident
from incidents.services import (
    delivery_process,
    delivery_receive,
    incident_acknowledge,
    incident_add_note,
    incident_add_responder,
    incident_resolve,
    incident_set_severity,
    incident_set_status,
)
from tests.incidents import payloads

FIRST_ALERT = datetime(2026, 11, 21, 16, 20, tzinfo=UTC)
DETECTED = datetime(2026, 11, 21, 16, 23, tzinfo=UTC)
ACKNOWLEDGED = DETECTED + timedelta(minutes=4)
ESCALATED = DETECTED + timedelta(minutes=10)
IDENTIFIED = DETECTED + timedelta(minutes=15)
RESOLVED = FIRST_ALERT + timedelta(hours=1, minutes=12)


@dataclass
class Story:
    incident: Incident
    pinned_note: str
    unpinned_note: str


def realistic_incident(integration: Any, responder: Any, *, severity_to: str = "SEV1") -> Story:
    """INC opened by Alertmanager (first alert 16:20, detected 16:23), acknowledged after
    4 min, raised to `severity_to`, identified, resolved 1 h 12 min after it started."""
    alerts = [
        payloads.alert(
            fingerprint="aaaa00000000000a",
            alertname="HighErrorRate",
            severity="critical",
            starts_at=payloads.ts(FIRST_ALERT),
        ),
        payloads.alert(
            fingerprint="bbbb00000000000b",
            alertname="HighLatencyP99",
            severity="warning",
            starts_at=payloads.ts(FIRST_ALERT + timedelta(minutes=2)),
        ),
    ]
    body = payloads.body(payloads.notification(alerts))
    delivery = delivery_receive(
        integration_id=integration.pk, body=body, user_agent="Alertmanager/0.27.0", at=DETECTED
    )
    delivery_process(delivery_id=delivery.pk, at=DETECTED)
    incident = Incident.objects.get()
    actor = Actor.of(responder)
    incident_acknowledge(incident=incident, actor=actor, at=ACKNOWLEDGED)
    incident_add_responder(incident=incident, user=responder, actor=actor, at=ACKNOWLEDGED)
    pinned = "Rolled back checkout to v41; error rate falling."
    incident_add_note(incident=incident, text=pinned, actor=actor, pinned=True, at=IDENTIFIED)
    unpinned = "Looking at dashboards."
    incident_add_note(incident=incident, text=unpinned, actor=actor, at=ESCALATED)
    incident_set_severity(incident=incident, severity=severity_to, actor=actor, at=ESCALATED)
    incident_set_status(incident=incident, status="identified", actor=actor, at=IDENTIFIED)
    incident_resolve(incident=incident, actor=actor, at=RESOLVED)
    incident.refresh_from_db()
    return Story(incident=incident, pinned_note=pinned, unpinned_note=unpinned)


def report_large_budget_impact(monkeypatch: Any) -> None:
    """Have the SLO part of Keel report that the incident consumed 32.6% of checkout's
    30-day budget (68 minutes remain): enough to require a P0 action."""
    from postmortems.draft import ImpactFact
    from postmortems.services import drafts

    impact = ImpactFact(
        slo="checkout-availability",
        service="Checkout",
        fraction=0.326,
        window="30-day",
        remaining_minutes=68,
    )
    monkeypatch.setattr(drafts, "incident_budget_impacts", lambda incident: [impact])
