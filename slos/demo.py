"""The demo's error budget (`make run`): checkout's availability SLO and its pushed traffic,
1,000 requests a minute with 0.05% errors, kept flowing minute by minute by beat so that
the demo's gate and SLO pages stay on live data."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from catalog import selectors as catalog_selectors
from core.actors import Actor
from slos.models import SLO, SliBucket

from .choices import SliSource
from .services import events_push, slo_create

DEMO_SERVICE = "checkout"
DEMO_SLO = "availability"
REQUESTS_PER_MINUTE = 1000
BACKFILL = timedelta(days=7)  # never more than a week of minutes at once
BATCH = 1440


def demo_bad(minute: datetime, outage: tuple[datetime, datetime] | None = None) -> int:
    """Bad requests of one demo minute: one in every other minute, 5% during `outage`."""
    if outage is not None and outage[0] <= minute < outage[1]:
        return REQUESTS_PER_MINUTE // 20
    return 1 if minute.minute % 2 else 0


def demo_slo(*, actor: Actor) -> SLO:
    """checkout/availability, created if missing (other SLOs do not stand in for it)."""
    service = catalog_selectors.service_get(user=None, slug=DEMO_SERVICE)
    found = SLO.objects.filter(service=service, name=DEMO_SLO).first()
    if found is not None:
        return found
    return slo_create(
        actor=actor,
        service=service,
        name=DEMO_SLO,
        description="Checkout requests that do not fail with a 5xx.",
        objective=Decimal("99.9"),
        window_kind="rolling",
        window_days=30,
        budgeting_method="occurrences",
        source="pushed",
    )


@transaction.atomic
def demo_sli_push(
    *, at: datetime | None = None, outage: tuple[datetime, datetime] | None = None
) -> int:
    """Push the demo SLO's counts for every whole minute since its last pushed minute (at
    most a week back) up to `at`. Returns how many minutes were pushed; 0 without the demo
    SLO or when it no longer takes pushed counts."""
    now = (at or timezone.now()).replace(second=0, microsecond=0)
    slo = (
        SLO.objects.select_for_update()
        .filter(service__slug=DEMO_SERVICE, name=DEMO_SLO, source=SliSource.PUSHED)
        .first()
    )
    if slo is None:
        return 0
    last = (
        SliBucket.objects.filter(slo=slo, minute__lt=now)
        .order_by("-minute")
        .values_list("minute", flat=True)
        .first()
    )
    minute = max(now - BACKFILL, last + timedelta(minutes=1) if last else now - BACKFILL)
    pushed = 0
    while minute < now:
        batch: list[dict[str, object]] = []
        while minute < now and len(batch) < BATCH:
            bad = demo_bad(minute, outage)
            batch.append(
                {
                    "at": minute.isoformat(),
                    "good": REQUESTS_PER_MINUTE - bad,
                    "total": REQUESTS_PER_MINUTE,
                }
            )
            minute += timedelta(minutes=1)
        pushed += events_push(actor=Actor.system(), slo=slo, events=batch, at=now)
    return pushed
