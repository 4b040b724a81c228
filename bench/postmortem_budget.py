"""Postmortem budget facts: the debit, the budget left and the burn-down around an incident,
for SLOs with 30 days of per-minute pushed buckets on PostgreSQL.

Run with `make bench-pm-budget` or `.venv/bin/python bench/postmortem_budget.py [--runs 20]`.
Uses the database named in DATABASE_URL (default keel_bench_pm_budget; the name must contain
"bench"), emptied and seeded on each run through the push service: one service with an
occurrences SLO and a timeslices SLO (99.9%, 30 days rolling), 1,000 requests a minute for
30 days and a 30-minute incident with 5% errors. Then measures in this process, warm:

1. `incident_budget_facts` for the incident (both SLOs: budget left and a ~27-point
   burn-down each), median and p95 over --runs;
2. `incident_facts`, everything a postmortem draft composes (alerts, timeline, budget).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import log, percentile, setup_database  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keel_bench_pm_budget")
os.environ.setdefault("DJANGO_SECRET_KEY", "keel-bench")
os.environ.setdefault("REDIS_URL", "")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("KEEL_LOG_LEVEL", "ERROR")
os.environ.setdefault("KEEL_TASKS_EAGER", "1")


def timed(function: object, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times


def summary(times: list[float]) -> str:
    p95 = percentile(times, 0.95)
    return f"median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms over {len(times)} runs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    setup_database(os.environ["DATABASE_URL"])

    from datetime import timedelta
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from catalog.models import Service
    from core.actors import Actor
    from incidents.models import Incident
    from incidents.services import incident_declare, incident_resolve
    from postmortems.budget_facts import incident_budget_facts
    from postmortems.services import incident_facts
    from slos.models import SLO
    from slos.services import events_push
    from slos.services.impact import incident_impacts_update

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE slos_service, incidents_incident CASCADE")
    service = Service.objects.create(slug="checkout", name="Checkout")
    slos = [
        SLO.objects.create(service=service, name="availability", objective=Decimal("99.9")),
        SLO.objects.create(
            service=service,
            name="availability-minutes",
            objective=Decimal("99.9"),
            budgeting_method="timeslices",
            slice_target=Decimal("0.99"),
        ),
    ]
    now = timezone.now().replace(second=0, microsecond=0)
    end = now - timedelta(hours=2)
    start = end - timedelta(minutes=30)
    first = now - timedelta(days=30, hours=3)
    minutes = int((now - first) / timedelta(minutes=1))
    log(f"pushing {minutes:,} minutes for each of {len(slos)} SLOs")
    system = Actor.system()
    for slo in slos:
        events = []
        for i in range(minutes):
            at = first + timedelta(minutes=i)
            good = 950 if start <= at < end else 1000
            events.append({"at": at.isoformat(), "good": good, "total": 1000})
        for offset in range(0, len(events), 10_000):
            events_push(actor=system, slo=slo, events=events[offset : offset + 10_000], at=now)
    incident = incident_declare(
        actor=system,
        title="Checkout errors",
        severity="SEV2",
        services=[service],
        started_at=start,
        at=start + timedelta(minutes=2),
    )
    incident_resolve(incident=incident, actor=system, at=end)
    incident_impacts_update(incident_id=incident.pk, change="resolved", at=end)

    facts = incident_budget_facts(incident_id=incident.pk, at=now)
    for f in facts:
        log(f"{f.slo}: {f.text} ({len(f.burn)} burn-down points)")
    incident_budget_facts(incident_id=incident.pk, at=now)  # warm
    log(
        "incident_budget_facts: "
        + summary(timed(lambda: incident_budget_facts(incident_id=incident.pk, at=now), args.runs))
    )
    fresh = Incident.objects.get(pk=incident.pk)
    log("incident_facts (whole draft): " + summary(timed(lambda: incident_facts(fresh), args.runs)))


if __name__ == "__main__":
    main()
