"""factory_boy factories and helpers for the slos tests."""

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import factory

from core.actors import Actor
from incidents.models import Incident
from incidents.services import incident_declare, incident_resolve
from slos.models import SLO
from slos.services import events_push
from slos.services.impact import incident_impacts_update
from tests.incidents.factories import ServiceFactory


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
