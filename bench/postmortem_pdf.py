"""Postmortem PDF benchmark: render a ~10-page postmortem (long timeline, 3 charts,
20 action items) with WeasyPrint in one warm process and report the median.

Run with `make bench-pdf` or `.venv/bin/python bench/postmortem_pdf.py [--runs 15]`.
No database is touched: the document is rendered from a snapshot, as the Celery task
does once it has read the snapshot. Aim: median <= 1.5 s.
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DATABASE_URL", "sqlite://:memory:")
os.environ.setdefault("REDIS_URL", "")
os.environ.setdefault("DJANGO_DEBUG", "1")
AIM_MEDIAN_S = 1.5

PARAGRAPH = (
    "The checkout service returned errors for a share of requests while its database "
    "connection pool was saturated. Requests queued behind slow queries, timeouts grew, and "
    "retries from the mobile clients added load. The team rolled back the change that raised "
    "the query volume, drained the queue and watched the error rate return to baseline."
)


def snapshot(*, timeline_entries: int = 50, action_items: int = 20) -> dict[str, Any]:
    """A realistic large postmortem, as a published version stores it."""
    from postmortems import draft
    from postmortems.sections import SECTIONS

    t0 = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
    kinds = ["note", "status", "alert_fired", "paged", "severity", "acknowledged"]
    entries = [
        draft.EntryFact(
            at=t0 + timedelta(minutes=2 * i),
            kind=kinds[i % len(kinds)],
            actor=f"responder{i % 7}",
            text=f"Step {i}: checked pool metrics on db-{i % 4}, replica lag {i % 9} s, "
            f"p99 latency {120 + i * 3} ms; next: {'rollback' if i % 5 == 0 else 'observe'}.",
            pinned=True,
        )
        for i in range(timeline_entries)
    ]
    alerts = [
        draft.AlertFact(
            name=f"HighErrorRate{i}",
            severity="critical" if i % 2 else "warning",
            status="resolved",
            starts_at=t0 + timedelta(minutes=i),
            ends_at=t0 + timedelta(hours=3, minutes=i),
            summary="5xx rate above 2% for 5 minutes",
        )
        for i in range(12)
    ]
    burn = [(t0 + timedelta(hours=h), max(0.0, 0.9 - 0.0012 * h * h)) for h in range(0, 25)]
    impacts = [
        draft.ImpactFact(
            slo=f"checkout-{name}",
            service="Checkout",
            fraction=share,
            window="30-day",
            remaining_minutes=remaining,
            burn=[(at, value - share / 3) for at, value in burn],
        )
        for name, share, remaining in (("availability", 0.326, 68), ("latency", 0.12, 190))
    ]
    facts = draft.compose_facts(
        draft.IncidentFacts(
            number=4217,
            title="Checkout errors during the evening peak",
            severity="SEV1",
            status="resolved",
            kind="alert",
            services=["Checkout", "Payments"],
            commander="rita",
            responders=["rita", "sam", "lee", "ana"],
            started_at=t0,
            detected_at=t0 + timedelta(minutes=3),
            acknowledged_at=t0 + timedelta(minutes=7),
            resolved_at=t0 + timedelta(hours=5, minutes=20),
        ),
        alerts=alerts,
        entries=entries,
        impacts=impacts,
    )
    body = "\n\n".join(
        [
            PARAGRAPH,
            "- " + "\n- ".join(f"Observation {n}: **{PARAGRAPH[:79]}**" for n in range(2)),
        ]
    )
    return {
        "version": 1,
        "status": "published",
        "facts": facts,
        "sections": [{"key": s.key, "title": s.title, "body": body} for s in SECTIONS],
        "figures": {
            "users_affected": 48_200,
            "failed_requests": 1_250_000,
            "revenue_impact": "182000.00",
            "revenue_currency": "USD",
        },
        "action_items": [
            {
                "id": n,
                "title": f"Action {n}: alert on pool saturation for service shard {n}",
                "description": "",
                "owner": f"owner{n % 5}",
                "team": "",
                "due_on": f"2026-12-{n % 28 + 1:02d}",
                "priority": ("P0", "P1", "P2")[n % 3],
                "kind": ("prevent", "detect", "mitigate", "process")[n % 4],
                "status": "open",
                "tracker_url": f"https://tracker.example/KEEL-{n}",
                "completed_at": None,
            }
            for n in range(action_items)
        ],
        "authors": ["rita", "sam"],
        "reviewers": [{"name": "lee", "approved_at": t0.isoformat(), "comment": ""}],
        "published_at": (t0 + timedelta(days=2)).isoformat(),
        "published_by": "rita",
    }


def pages_of(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(pdf)
        handle.flush()
        info = subprocess.run(
            ["pdfinfo", handle.name], check=True, capture_output=True, text=True, timeout=60
        ).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed renders (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed renders first (2)")
    parser.add_argument("--paper", choices=["a4", "letter"], default="a4")
    parser.add_argument("--out", type=Path, help="also write the PDF here")
    args = parser.parse_args()

    import django

    django.setup()
    from postmortems.render import render_html, render_pdf

    doc = snapshot()
    for _ in range(args.warmup):
        render_pdf(render_html(doc, paper=args.paper))

    html_s: list[float] = []
    total_s: list[float] = []
    pdf = b""
    for _ in range(args.runs):
        start = time.perf_counter()
        html = render_html(doc, paper=args.paper)
        middle = time.perf_counter()
        pdf = render_pdf(html)
        end = time.perf_counter()
        html_s.append(middle - start)
        total_s.append(end - start)
    if args.out:
        args.out.write_bytes(pdf)

    median = statistics.median(total_s)
    p90 = statistics.quantiles(total_s, n=10)[-1] if len(total_s) >= 2 else total_s[0]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")  # fmt: skip
    print(
        f"document: {pages_of(pdf)} pages ({args.paper}), {len(doc['facts']['timeline'])} "
        f"timeline rows, 3 charts, {len(doc['action_items'])} action items, {len(pdf)} bytes"
    )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"runs: {args.runs} after {args.warmup} warm-up renders, one process; load {load}")
    print(f"template (HTML): median {statistics.median(html_s) * 1000:.1f} ms")
    print(
        f"HTML + PDF: median {median:.3f} s, p90 {p90:.3f} s, "
        f"min {min(total_s):.3f} s, max {max(total_s):.3f} s"
    )
    verdict = "meets" if median <= AIM_MEDIAN_S else "misses"
    print(f"aim: median <= {AIM_MEDIAN_S} s: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
