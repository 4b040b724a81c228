"""factory_boy factories and the helpers that build rows through Keel's services, for the
tests of every app: users (by role), services and SLOs; pushed SLI minutes; a resolved
incident with its budget impact; a realistic Alertmanager incident to write a postmortem
about."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from catalog.models import Service
from core.actors import Actor
from incidents.models import Incident
from incidents.services import (
    delivery_process,
    delivery_receive,
    incident_acknowledge,
    incident_add_note,
    incident_add_responder,
    incident_declare,
    incident_resolve,
    incident_set_severity,
    incident_set_status,
    integration_create,
)
from slos.models import SLO
from slos.services import events_push
from slos.services.impact import incident_impacts_update
from tests.incidents import payloads

# --- Users ------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ResponderFactory(UserFactory):
    """A user in the responder role (only responders and admins can hold incident roles)."""

    class Meta:
        skip_postgeneration_save = True

    @factory.post_generation
    def responder_role(self, create, extracted, **kwargs):
        if create:
            # get_or_create: a transactional test's flush removes the groups the migration made.
            self.groups.add(Group.objects.get_or_create(name="responder")[0])


def person(username: str, role: str = "responder") -> Any:
    """A user in `role` (viewer, responder or admin)."""
    user: Any = UserFactory(username=username)
    # get_or_create: a transactional test's flush removes the groups the migration made.
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


# --- Catalog ----------------------------------------------------------------------------


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"service-{n}")
    name = factory.LazyAttribute(lambda s: s.slug.title())


# --- Incidents --------------------------------------------------------------------------


def make_integration(name: str, **kwargs: Any) -> Any:
    """An Alertmanager integration (its token is not needed)."""
    integration, _ = integration_create(actor=Actor.system(), name=name, **kwargs)
    return integration


# --- SLOs -------------------------------------------------------------------------------


class SLOFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SLO

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"availability-{n}")
    objective = Decimal("99.9")
    window_days = 30
    source = "pushed"


def push_minutes(
    slo: SLO,
    start: datetime,
    minutes: int,
    *,
    good: int,
    total: int,
    now: datetime,
    worse: tuple[datetime, int, int] | None = None,
) -> None:
    """Push `minutes` consecutive per-minute counts from `start` through the service;
    `worse` = (from, minutes, good) pushes fewer good events in those minutes."""

    def good_at(at: datetime) -> int:
        if worse and worse[0] <= at < worse[0] + timedelta(minutes=worse[1]):
            return worse[2]
        return good

    events = [
        {"at": at.isoformat(), "good": good_at(at), "total": total}
        for at in (start + timedelta(minutes=i) for i in range(minutes))
    ]
    for offset in range(0, len(events), 10_000):
        events_push(actor=Actor.system(), slo=slo, events=events[offset : offset + 10_000], at=now)


def push_history(
    slo: SLO,
    *,
    first: datetime,
    start: datetime,
    minutes: int,
    now: datetime,
    earlier: tuple[datetime, int, int],
    during: tuple[int, int],
) -> None:
    """1000 requests a minute from `first` up to `start`, all good but the `earlier`
    (from, minutes, good) stretch; then `minutes` more from `start`, the first `during`
    (minutes, good) of them worse."""
    before = int((start - first) / timedelta(minutes=1))
    push_minutes(slo, first, before, good=1000, total=1000, now=now, worse=earlier)
    push_minutes(slo, start, minutes, good=1000, total=1000, now=now, worse=(start, *during))


def resolved_incident(
    service: Any,
    responder: Any,
    start: datetime,
    end: datetime,
    *,
    title: str = "Checkout errors",
    declared_after: timedelta = timedelta(minutes=1),
) -> Incident:
    """Declare and resolve an incident, then compute its impact as of its resolution."""
    actor = Actor.of(responder)
    incident = incident_declare(
        actor=actor,
        title=title,
        severity="SEV2",
        services=[service],
        started_at=start,
        at=start + declared_after,
    )
    incident_resolve(incident=incident, actor=actor, at=end)
    incident_impacts_update(incident_id=incident.pk, change="resolved", at=end)
    return incident


# --- Postmortems: a realistic incident to write one about -------------------------------
# Opened from two alerts, acknowledged, escalated, noted, resolved — each step through the
# services, at known times.

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
