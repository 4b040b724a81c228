"""One huge incident: 100,000 alerts and 100,000+ timeline entries on PostgreSQL, and what
its room and its API detail cost.

Run with `make bench-big-incident` or `.venv/bin/python bench/big_incident.py [--reseed]
[--alerts 100000] [--requests 20]`. Seeds the database named in DATABASE_URL (default
keel_bench_big_incident; the name must contain "bench") with COPY, once; later runs reuse
the data unless --reseed or another --alerts. Incident 1 holds the alerts (a third of them
firing) and one timeline entry per alert plus notes, every 10,000th pinned; incident 2 is
a small one (3 alerts, 10 entries) for comparison. Then measures, server side (Django's
test client in this process: routing, middleware, views, queries, templates; no network),
each page's status, size in bytes, query count and p50/p95/max ms over --requests
requests. The first request of each page is counted (queries, bytes) and timed
alone; a page that does not answer 200 is reported with its status and not timed again.
--statement-timeout MS cancels slow SQL as a production database would.
"""

import argparse
import logging
import os
import statistics
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import copy_rows, log, percentile, reset_sequences, setup_database  # noqa: E402

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keel_bench_big_incident")
os.environ.setdefault("DJANGO_SECRET_KEY", "keel-bench")
os.environ.setdefault("REDIS_URL", "")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("KEEL_LOG_LEVEL", "ERROR")
os.environ.setdefault("KEEL_TASKS_EAGER", "1")

NOTES_EVERY = 50  # a note after every 50 alerts
PINNED_EVERY = 10_000  # every 10,000th entry pinned
SMALL_ALERTS = 3
SMALL_ENTRIES = 10


def seed(alert_total: int) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from catalog.models import Service
    from incidents.choices import EntryKind, Severity, Status
    from incidents.models import Alert, Incident, Integration, NumberSequence, TimelineEntry

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE incidents_timelineentry, incidents_alert, incidents_incident_services, "
            "incidents_incident_responders, incidents_incident, incidents_delivery, "
            "incidents_integration CASCADE"
        )
    service, _ = Service.objects.update_or_create(slug="checkout", defaults={"name": "Checkout"})
    commander, _ = User.objects.get_or_create(username="bench-ic")
    integration = Integration.objects.create(
        name="bench-am", token_prefix="benchbig", token_digest="0" * 64
    )
    start = datetime.now(UTC) - timedelta(days=1)
    counts = {1: alert_total, 2: SMALL_ALERTS}
    for number in (1, 2):
        Incident(
            id=number,
            number=number,
            title="Checkout 5xx storm" if number == 1 else "Checkout latency",
            summary="Every pod of every region is failing health checks.",
            severity=Severity.SEV1,
            status=Status.INVESTIGATING,
            kind="alert",
            commander_id=commander.pk,
            started_at=start,
            detected_at=start + timedelta(seconds=30),
            integration_id=integration.pk,
            group_key=f'{{}}:{{alertname="Storm{number}"}}',
            group_hash=f"{number:064x}",
            created_at=start,
            updated_at=start,
        ).save(force_insert=True)
        Incident.objects.get(pk=number).services.add(service)

    def alerts() -> Iterator[Alert]:
        pk = 0
        for incident, total in counts.items():
            for n in range(total):
                pk += 1
                firing = n % 3 == 0
                began = start + timedelta(seconds=n * 0.5)
                yield Alert(
                    id=pk,
                    integration_id=integration.pk,
                    fingerprint=f"{pk:016x}",
                    starts_at=began,
                    ends_at=None if firing else began + timedelta(minutes=10),
                    status="firing" if firing else "resolved",
                    labels={
                        "alertname": f"Storm{incident}",
                        "service": "checkout",
                        "instance": f"web-{n:06d}",
                        "region": f"region-{n % 7}",
                        "severity": "critical",
                    },
                    annotations={
                        "summary": "5xx above threshold",
                        "runbook_url": "https://runbooks.example/5xx",
                    },
                    generator_url="http://prometheus:9090/graph",
                    group_hash=f"{incident:064x}",
                    first_seen_at=began,
                    last_seen_at=began + timedelta(minutes=5),
                    times_seen=1,
                    other_starts=[],
                    incident_id=incident,
                )

    log(f"copying {sum(counts.values()):,} alerts")
    copy_rows(Alert, alerts())

    def entries() -> Iterator[TimelineEntry]:
        pk = 0
        for incident, total in counts.items():
            size = total + total // NOTES_EVERY if incident == 1 else SMALL_ENTRIES
            for n in range(size):
                pk += 1
                if n == 0:
                    kind, actor, text = EntryKind.OPENED, "integration:bench-am", "Opened."
                elif n % (NOTES_EVERY + 1) == 0:
                    kind, actor, text = EntryKind.NOTE, "bench-ic", "Still **failing**."
                else:
                    kind, actor, text = (
                        EntryKind.ALERT_FIRED,
                        "integration:bench-am",
                        (f"Storm{incident} fired on web-{n:06d}."),
                    )
                at = start + timedelta(seconds=n * 0.5)
                yield TimelineEntry(
                    id=pk,
                    incident_id=incident,
                    at=at,
                    kind=kind,
                    actor_user_id=commander.pk if kind == EntryKind.NOTE else None,
                    actor_integration_id=None if kind == EntryKind.NOTE else integration.pk,
                    actor_name=actor,
                    text=text,
                    data={},
                    pinned=n > 0 and n % PINNED_EVERY == 0,
                    created_at=at,
                )

    log("copying timeline entries")
    copy_rows(TimelineEntry, entries())
    reset_sequences(Incident, Alert, TimelineEntry)
    NumberSequence.objects.update_or_create(name="incident", defaults={"value": 2})
    log("analyze")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def measure(client: Any, name: str, url: str, requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    begin = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        first = client.get(url)
    first_ms = (time.perf_counter() - begin) * 1000
    row: dict[str, Any] = {
        "page": name,
        "url": url,
        "status": first.status_code,
        "bytes": len(first.content),
        "queries": len(queries),
        "p50": first_ms,
        "p95": first_ms,
        "max": first_ms,
        "n": 1,
    }
    if first.status_code != 200 or requests <= 0:
        return row
    timings = []
    for _ in range(requests):
        begin = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    row.update(
        p50=statistics.median(timings),
        p95=percentile(timings, 0.95),
        max=max(timings),
        n=len(timings),
    )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="seed again even if seeded")
    parser.add_argument("--alerts", type=int, default=100_000, help="alerts in the big incident")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument(
        "--statement-timeout",
        type=int,
        default=0,
        metavar="MS",
        help="cancel any SQL statement after MS ms (0: never), as a production database "
        "would; a page whose query is cancelled is reported as its 500",
    )
    args = parser.parse_args()

    setup_database(os.environ["DATABASE_URL"])

    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from django.core.signals import request_started
    from django.db import connection, reset_queries
    from django.db.backends.signals import connection_created
    from django.test import Client

    from incidents.models import Alert, TimelineEntry

    # Static files without a collectstatic manifest (pages are measured, not assets).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    have = Alert.objects.filter(incident__number=1).count()
    if args.reseed or have != args.alerts:
        begin = time.perf_counter()
        log(f"seeding one incident with {args.alerts:,} alerts")
        seed(args.alerts)
        log(f"seeded in {time.perf_counter() - begin:.0f} s")
    else:
        log("reusing the seeded data (--reseed to start again)")
    user, _ = User.objects.get_or_create(username="bench-responder")
    user.groups.add(Group.objects.get_or_create(name="responder")[0])
    request_started.disconnect(reset_queries)  # keep each request's queries for counting
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # a 500 is a figure here
    if args.statement_timeout:

        def limit(sender: Any, connection: Any, **kwargs: Any) -> None:
            with connection.cursor() as cursor:
                cursor.execute(f"SET statement_timeout = {int(args.statement_timeout)}")

        connection_created.connect(limit)
        connection.close()
    client = Client(raise_request_exception=False)  # a 500 is a figure, not a crash
    client.force_login(user)
    pages = [
        ("room, big incident", "/incidents/1/"),
        ("room, big, alerts page 2", "/incidents/1/?alerts=2"),
        ("room, big, older timeline", "/incidents/1/?timeline=2"),
        ("room live part, big", "/incidents/1/live/"),
        ("API detail, big", "/api/v1/incidents/1/"),
        ("API alerts page 2, big", "/api/v1/incidents/1/alerts/?page=2"),
        ("API timeline page 2, big", "/api/v1/incidents/1/timeline/?page=2"),
        ("incident list (UI)", "/incidents/"),
        ("incident list (API)", "/api/v1/incidents/"),
        ("dashboard", "/"),
        ("room, small incident", "/incidents/2/"),
        ("API detail, small", "/api/v1/incidents/2/"),
    ]
    for url in ("/incidents/2/", "/api/v1/incidents/2/"):  # warm up: templates compiled
        client.get(url)
    results = [measure(client, name, url, args.requests) for name, url in pages]
    alerts = Alert.objects.filter(incident_id=1).count()
    entries = TimelineEntry.objects.filter(incident_id=1).count()
    print()
    print(
        f"incident 1: {alerts:,} alerts, {entries:,} timeline entries; "
        f"{args.requests} timed requests per page after the first"
        + (f"; statement_timeout {args.statement_timeout} ms" if args.statement_timeout else "")
    )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (other work slows every page)")
    print(
        f"{'page':28} {'status':>6} {'bytes':>11} {'queries':>7} {'p50 ms':>9} "
        f"{'p95 ms':>9} {'max ms':>9} {'n':>3}"
    )
    for row in results:
        print(
            f"{row['page']:28} {row['status']:>6} {row['bytes']:>11,} {row['queries']:>7} "
            f"{row['p50']:>9.1f} {row['p95']:>9.1f} {row['max']:>9.1f} {row['n']:>3}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
