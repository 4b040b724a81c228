"""Page latency at scale: the web UI over 100,000 incidents, 1,000,000 timeline entries and
300,000 alerts on PostgreSQL.

Run with `make bench-pages` or `.venv/bin/python bench/pages.py [--reseed] [--requests 50]`.
Seeds the database named in DATABASE_URL (default keel_bench_pages; the name must contain
"bench") with COPY, once; later runs reuse the data unless --reseed. Then measures, server
side (Django's test client in this process: URL routing, middleware, views, queries and
templates, no network), p50/p95 per page. See README.md, "Web UI".
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keel_bench_pages")
os.environ.setdefault("DJANGO_SECRET_KEY", "keel-bench")
os.environ.setdefault("REDIS_URL", "")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("KEEL_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.core.management.color import no_style  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import connection, models, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import Service  # noqa: E402
from incidents.choices import EntryKind, Severity, Status  # noqa: E402
from incidents.models import Alert, Incident, Integration, NumberSequence, TimelineEntry  # noqa: E402

INCIDENTS = 100_000
ENTRIES_PER_INCIDENT = 10  # 1,000,000 timeline entries
ALERTS_PER_INCIDENT = 3  # 300,000 alerts
OPEN_INCIDENTS = 300
SERVICES = 40
USERS = 60
AIM_P95_MS = 50.0
WORDS = (
    "database",
    "latency",
    "timeout",
    "checkout",
    "payments",
    "search",
    "cache",
    "queue",
    "disk",
    "dns",
    "certificate",
    "deploy",
    "memory",
    "cpu",
    "replica",
    "login",
    "api",
    "gateway",
    "storage",
    "kafka",
)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def copy_rows(model: type[models.Model], rows: Iterable[models.Model]) -> int:
    """Write unsaved model instances (primary keys set) with one COPY."""
    fields = [f for f in model._meta.concrete_fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in rows:
                copy.write_row(
                    [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                )
                count += 1
    return count


def reset_sequences(*model_list: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(statement)


def seed(rng: random.Random) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_timelineentry, incidents_alert, incidents_incident_services, "
            "incidents_incident_responders, incidents_incident, incidents_delivery, "
            "incidents_integration CASCADE"
        )
    services = [
        Service.objects.update_or_create(
            slug=f"svc-{n:02d}", defaults={"name": f"Service {n:02d}"}
        )[0]
        for n in range(SERVICES)
    ]
    users = [User.objects.get_or_create(username=f"user{n:02d}")[0] for n in range(USERS)]
    integration = Integration.objects.create(
        name="bench-am", token_prefix="benchpg1", token_digest="0" * 64
    )
    now = datetime.now(UTC)
    span = timedelta(days=730).total_seconds()
    severities = [s.value for s in Severity]
    started: dict[int, datetime] = {}

    def incidents() -> Iterator[Incident]:
        for pk in range(1, INCIDENTS + 1):
            start = now - timedelta(seconds=span * (1 - pk / INCIDENTS) + rng.uniform(0, 600))
            started[pk] = start
            detected = start + timedelta(seconds=rng.uniform(10, 900))
            is_open = pk > INCIDENTS - OPEN_INCIDENTS
            acked = (
                None
                if (is_open and rng.random() < 0.3)
                else detected + timedelta(seconds=rng.uniform(30, 1800))
            )
            resolved = None if is_open else detected + timedelta(seconds=rng.uniform(600, 20000))
            status = rng.choice(
                [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING]
                if is_open
                else [Status.RESOLVED, Status.CLOSED, Status.CLOSED]
            )
            words = rng.sample(WORDS, 3)
            yield Incident(
                id=pk,
                number=pk,
                title=f"{words[0].capitalize()} {words[1]} on svc-{pk % SERVICES:02d}",
                summary=f"Symptoms: {words[2]} errors for some customers.",
                severity=rng.choice(severities),
                status=status,
                kind="alert" if pk % 5 else "manual",
                commander_id=rng.choice(users).pk,
                started_at=start,
                detected_at=detected,
                acknowledged_at=acked,
                last_acknowledged_at=acked,
                acknowledged_by_id=rng.choice(users).pk if acked else None,
                resolved_at=resolved,
                closed_at=(resolved + timedelta(days=2)) if status == Status.CLOSED else None,
                integration_id=integration.pk if pk % 5 else None,
                group_key=f'{{}}:{{alertname="A{pk}"}}' if pk % 5 else "",
                group_hash=f"{pk:064x}" if pk % 5 else "",
                previous_id=None,
                created_at=detected,
                updated_at=resolved or detected,
            )

    log(f"copying {INCIDENTS:,} incidents")
    copy_rows(Incident, incidents())
    through = Incident.services.through
    log("copying incident services")
    copy_rows(
        through,
        (
            through(id=n, incident_id=pk, service_id=services[(pk + k * 7) % SERVICES].pk)
            for n, (pk, k) in enumerate(
                ((pk, k) for pk in range(1, INCIDENTS + 1) for k in range(1 + pk % 2)), start=1
            )
        ),
    )
    kinds = [
        EntryKind.ALERT_FIRED,
        EntryKind.NOTE,
        EntryKind.STATUS,
        EntryKind.NOTE,
        EntryKind.PAGED,
    ]

    def entries() -> Iterator[TimelineEntry]:
        pk = 0
        for incident in range(1, INCIDENTS + 1):
            base = started[incident]
            for n in range(ENTRIES_PER_INCIDENT):
                pk += 1
                kind = EntryKind.OPENED if n == 0 else kinds[n % len(kinds)]
                user = users[(incident + n) % USERS]
                yield TimelineEntry(
                    id=pk,
                    incident_id=incident,
                    at=base + timedelta(minutes=3 * n),
                    kind=kind,
                    actor_user_id=user.pk if kind == EntryKind.NOTE else None,
                    actor_integration_id=None,
                    actor_name=user.username if kind == EntryKind.NOTE else "system",
                    text=f"Step {n}: checked the {WORDS[(incident + n) % len(WORDS)]} "
                    "dashboards, **no change** yet.",
                    data={},
                    pinned=n == 3,
                    created_at=base + timedelta(minutes=3 * n),
                )

    log(f"copying {INCIDENTS * ENTRIES_PER_INCIDENT:,} timeline entries")
    copy_rows(TimelineEntry, entries())

    def alerts() -> Iterator[Alert]:
        pk = 0
        for incident in range(1, INCIDENTS + 1):
            base = started[incident]
            is_open = incident > INCIDENTS - OPEN_INCIDENTS
            for n in range(ALERTS_PER_INCIDENT):
                pk += 1
                firing = is_open and n == 0
                yield Alert(
                    id=pk,
                    integration_id=integration.pk,
                    fingerprint=f"{pk:016x}",
                    starts_at=base + timedelta(seconds=n),
                    ends_at=None if firing else base + timedelta(hours=1),
                    status="firing" if firing else "resolved",
                    labels={
                        "alertname": f"A{incident}",
                        "service": f"svc-{incident % SERVICES:02d}",
                        "instance": f"web-{n}",
                        "severity": "critical",
                    },
                    annotations={
                        "summary": "5xx above threshold",
                        **({"runbook_url": "https://runbooks.example/5xx"} if n else {}),
                    },
                    generator_url="http://prometheus:9090/graph",
                    group_hash=f"{incident:064x}",
                    first_seen_at=base,
                    last_seen_at=base + timedelta(minutes=5),
                    times_seen=1,
                    incident_id=incident,
                )

    log(f"copying {INCIDENTS * ALERTS_PER_INCIDENT:,} alerts")
    copy_rows(Alert, alerts())
    reset_sequences(Incident, TimelineEntry, Alert, through)
    NumberSequence.objects.update_or_create(name="incident", defaults={"value": INCIDENTS})
    log("analyze")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seeded() -> bool:
    try:
        return (
            Incident.objects.count() == INCIDENTS
            and TimelineEntry.objects.count() >= INCIDENTS * ENTRIES_PER_INCIDENT
        )
    except Exception:  # no tables yet
        connection.close()
        return False


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q / 100))]


def page_queries(client: Client, url: str) -> list[tuple[float, str]]:
    """Each query one request of the page runs: (ms, SQL), slowest first."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return sorted(((float(q["time"]) * 1000, q["sql"]) for q in queries), reverse=True)


def measure(client: Client, name: str, urls: list[str], requests: int) -> dict[str, Any]:
    for url in urls[:5]:  # warm up: templates compiled, connection open, caches filled
        assert client.get(url).status_code == 200, url
    queries = page_queries(client, urls[0])
    timings = []
    for n in range(requests):
        url = urls[n % len(urls)]
        begin = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {
        "page": name,
        "url": urls[0],
        "queries": len(queries),
        "p50": statistics.median(timings),
        "p95": percentile(timings, 95),
        "max": max(timings),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reseed", action="store_true", help="seed again even if seeded")
    parser.add_argument("--requests", type=int, default=50, help="requests per page")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--explain", action="store_true", help="print each page's slowest SQL")
    args = parser.parse_args()
    name = settings.DATABASES["default"]["NAME"]
    if connection.vendor != "postgresql" or "bench" not in str(name):
        print(f"refusing {name!r}: use a PostgreSQL database whose name contains 'bench'")
        return 2
    # Static files without a collectstatic manifest (pages are measured, not assets).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    rng = random.Random(args.seed)
    log("migrating")
    call_command("migrate", verbosity=0, interactive=False)
    if args.reseed or not seeded():
        begin = time.perf_counter()
        seed(rng)
        log(f"seeded in {time.perf_counter() - begin:.0f} s")
    else:
        log("reusing the seeded data (--reseed to start again)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_incident")
    user, _ = User.objects.get_or_create(username="bench-commander")
    user.groups.add(Group.objects.get_or_create(name="responder")[0])
    # Keep each request's queries for counting (Django clears them when a request starts).
    request_started.disconnect(reset_queries)
    client = Client()
    client.force_login(user)
    rooms = [f"/incidents/{n}/" for n in rng.sample(range(1, INCIDENTS + 1), 50)]
    pages = [
        ("dashboard", ["/"]),
        ("list, first page", ["/incidents/"]),
        ("list, deep page (1,000 of 2,000)", ["/incidents/?page=1000"]),
        (
            "list, filtered (status+severity+service)",
            [
                "/incidents/?status=closed&severity=SEV2&service=svc-07",
            ],
        ),
        ("list, filtered (open)", ["/incidents/?status=open"]),
        ("list, text search", ["/incidents/?q=kafka+timeout"]),
        ("incident room (50 random)", rooms),
    ]
    results = [measure(client, label, urls, args.requests) for label, urls in pages]
    if args.explain:
        for label, urls in pages:
            print(f"\n== {label}")
            for ms, sql in page_queries(client, urls[0])[:3]:
                print(f"{ms:8.1f} ms  {sql[:400]}")
    print()
    print(
        f"{INCIDENTS:,} incidents, {TimelineEntry.objects.count():,} timeline entries, "
        f"{Alert.objects.count():,} alerts; {args.requests} requests per page; "
        f"aim p95 <= {AIM_P95_MS:.0f} ms"
    )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"{os.cpu_count()} CPUs, load average {load} (other work on the machine slows every page)"
    )
    print(f"{'page':44} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for row in results:
        flag = "" if row["p95"] <= AIM_P95_MS else "  (over the aim)"
        print(
            f"{row['page']:44} {row['queries']:>7} {row['p50']:>8.1f} {row['p95']:>8.1f} "
            f"{row['max']:>8.1f}{flag}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
