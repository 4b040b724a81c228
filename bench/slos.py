"""Error budgets at scale: 1,000 SLOs with 30 days of per-minute pushed buckets
(43,200,000 rows) on PostgreSQL.

Run with `make bench-slos` or `.venv/bin/python bench/slos.py [--reseed] [--slos 1000]
[--days 30] [--requests 30]`. Seeds the database named in DATABASE_URL (default
keel_bench_slos; the name must contain "bench") once with INSERT ... SELECT over
generate_series; later runs reuse the data unless --reseed. Then measures, in this process:

1. a full evaluation pass (`slos_evaluate_all`: budget, seven burn-rate lookbacks, tier,
   alert state, stored status, for every SLO), twice (cold then warm cache);
   Pushed counts are kept per minute and summed per UTC day as they arrive (the seed fills
   both), so a 30-day budget reads ~30 daily rows plus the minutes of the two partial days;
   the pass reads those sums for all SLOs sharing a window in a few grouped queries.
2. the SLO list page (`/slos/`, Django's test client: routing, middleware, view, queries,
   templates; no network), p50/p95 over --requests requests;
3. one SLO's 30-day budget (`slo_figures`: window aggregate and burn-rate aggregate),
   p50/p95 over 50 SLOs.
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

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/keel_bench_slos")
os.environ.setdefault("DJANGO_SECRET_KEY", "keel-bench")
os.environ.setdefault("REDIS_URL", "")
os.environ["DJANGO_DEBUG"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("KEEL_LOG_LEVEL", "ERROR")
os.environ.setdefault("KEEL_TASKS_EAGER", "1")

AIM_EVALUATION_S = 10.0
AIM_LIST_P95_MS = 100.0
AIM_BUDGET_MS = 20.0
SLOS_PER_SERVICE = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--slos", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()

    setup_database(os.environ["DATABASE_URL"])

    from django.contrib.auth.models import Group, User
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from catalog.models import Service
    from slos.models import SLO, SliBucket, SliDay
    from slos.services import slo_figures, slos_evaluate_all

    have = SLO.objects.count()
    if args.reseed or have != args.slos or not SliBucket.objects.exists():
        log(f"seeding {args.slos} SLOs x {args.days} days of per-minute buckets")
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE slos_slibucket, slos_sliday, slos_slostatus, slos_slo, slos_service "
                "CASCADE"
            )
        services = Service.objects.bulk_create(
            [
                Service(slug=f"svc-{i:03d}", name=f"Service {i}")
                for i in range((args.slos + SLOS_PER_SERVICE - 1) // SLOS_PER_SERVICE)
            ]
        )
        SLO.objects.bulk_create(
            [
                SLO(
                    service=services[i // SLOS_PER_SERVICE],
                    name=f"slo-{i:04d}",
                    objective="99.9",
                    window_days=args.days,
                    source="pushed",
                )
                for i in range(args.slos)
            ]
        )
        started = time.perf_counter()
        end = timezone.now().replace(second=0, microsecond=0)
        with connection.cursor() as cursor:
            # Unique index built once after the load, not maintained row by row.
            cursor.execute(
                "ALTER TABLE slos_slibucket DROP CONSTRAINT IF EXISTS slibucket_one_per_minute"
            )
            cursor.execute(
                "ALTER TABLE slos_slibucket DROP CONSTRAINT IF EXISTS slibucket_counts_valid"
            )
            # 1,000 requests a minute; a few errors, more for every tenth SLO (so some burn).
            cursor.execute(
                """
                INSERT INTO slos_slibucket (slo_id, minute, good, total)
                SELECT s.id, m,
                       1000 - ((extract(epoch from m)::bigint / 60 + s.id) %% 3)
                            - CASE WHEN s.id %% 10 = 0 THEN 5 ELSE 0 END,
                       1000
                FROM slos_slo s
                CROSS JOIN generate_series(%s::timestamptz - %s * interval '1 day',
                                           %s::timestamptz - interval '1 minute',
                                           interval '1 minute') AS m
                """,
                [end, args.days, end],
            )
            log("building indexes")
            cursor.execute(  # as migration 0007 makes it on PostgreSQL
                "ALTER TABLE slos_slibucket ADD CONSTRAINT slibucket_one_per_minute "
                "UNIQUE (slo_id, minute) INCLUDE (good, total)"
            )
            cursor.execute(
                "ALTER TABLE slos_slibucket ADD CONSTRAINT slibucket_counts_valid "
                "CHECK (good >= 0 AND total >= 0 AND good <= total)"
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE slos_slibucket")
        log(
            f"seeded {SliBucket.objects.count():,} buckets in {time.perf_counter() - started:.0f} s"
        )

    if not SliDay.objects.exists():
        log("summing the buckets into daily rows")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO slos_sliday (slo_id, day, good, total) "
                "SELECT slo_id, date_trunc('day', minute AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', "
                "sum(good), sum(total) FROM slos_slibucket GROUP BY 1, 2"
            )
            cursor.execute("VACUUM ANALYZE slos_sliday")
        log(f"{SliDay.objects.count():,} daily rows in {time.perf_counter() - started:.0f} s")

    user, _ = User.objects.get_or_create(username="bench-viewer")
    user.groups.add(Group.objects.get_or_create(name="viewer")[0])

    now = timezone.now()
    for label in ("cold", "warm"):
        started = time.perf_counter()
        count = slos_evaluate_all(at=now)
        elapsed = time.perf_counter() - started
        log(
            f"evaluation pass ({label}): {count} SLOs in {elapsed:.2f} s "
            f"({elapsed / max(count, 1) * 1000:.1f} ms per SLO; aim <= {AIM_EVALUATION_S} s)"
        )

    slos = list(SLO.objects.select_related("service").order_by("id")[:50])
    timings = []
    for slo in slos:
        started = time.perf_counter()
        slo_figures(slo, at=now)
        timings.append((time.perf_counter() - started) * 1000)
    log(
        f"one SLO's {args.days}-day budget (slo_figures): p50 {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms (aim <= {AIM_BUDGET_MS} ms)"
    )

    from django.conf import settings

    # Static files without a collectstatic manifest (pages are measured, not assets).
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    client.force_login(user)
    client.get("/slos/")
    timings = []
    for _ in range(args.requests):
        started = time.perf_counter()
        response = client.get("/slos/")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    log(
        f"/slos/ list page ({args.slos} SLOs): p50 {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms over {args.requests} requests "
        f"(aim p95 <= {AIM_LIST_P95_MS} ms)"
    )


if __name__ == "__main__":
    main()
