"""Ingestion benchmark: Alertmanager webhook storms against gunicorn + one Celery worker.

Run with `make bench-ingest` or `.venv/bin/python bench/ingest.py [--pools prefork,threads]`.
See bench/README.md for what is measured and how to read the numbers.

Everything listens on 127.0.0.1, every child process runs in its own process group and is
killed on exit (also on Ctrl-C, errors and the hard timeout).
"""

import argparse
import http.client
import json
import math
import os
import platform
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/keel_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/1"
AIM = {"alerts_per_s": 2000, "p99_ms": 50, "floor_ratio": 5}


class BenchError(RuntimeError):
    pass


class HardTimeout(BaseException):
    pass


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- child processes ------------------------------------------------------------------


class Children:
    """Child processes, each in its own process group, all stopped by `stop_all`."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log_file = (self.logdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()
        self.procs[name] = proc
        return proc

    def tail(self, name: str, chars: int = 3000) -> str:
        path = self.logdir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise BenchError(f"{name} exited with {proc.returncode}:\n{self.tail(name)}")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)  # the child's own session: only what we started
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.stop(name)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tool(name: str) -> str:
    path = BIN / name
    if path.exists():
        return str(path)
    found = shutil.which(name)
    if not found:
        raise BenchError(f"{name} not found next to {sys.executable} nor on PATH")
    return found


# --- database -------------------------------------------------------------------------


def recreate_database(database_url: str, *, force: bool) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if "bench" not in name and not force:
        raise BenchError(
            f"refusing to drop database {name!r}: its name does not contain 'bench' "
            "(pass --force to drop it anyway)"
        )
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        ident = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


def create_integration(env: dict[str, str], name: str) -> tuple[int, str]:
    token = manage(env, "create_integration", name).strip().splitlines()[-1].strip()
    with psycopg.connect(env["DATABASE_URL"]) as conn:
        row = conn.execute("SELECT id FROM incidents_integration WHERE name = %s", [name])
        found = row.fetchone()
    if found is None:
        raise BenchError(f"integration {name!r} was not created")
    return found[0], token


# --- payloads -------------------------------------------------------------------------


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def build_bodies(
    tag: str, webhooks: int, alerts_per_webhook: int, services: int = 10
) -> list[bytes]:
    """Alertmanager v4 bodies; each webhook is its own alert group, every alert distinct."""
    base = datetime.now(UTC) - timedelta(minutes=5)
    bodies = []
    for w in range(webhooks):
        service = f"{tag}-svc-{w % services}"  # a few services, as in real life
        group_labels = {"alertname": f"Bench{tag.upper()}{w:04d}", "service": service}
        alerts = []
        for a in range(alerts_per_webhook):
            labels = {
                **group_labels,
                "severity": "critical" if a % 3 == 0 else "warning",
                "instance": f"10.{w // 250}.{w % 250}.{a}:9100",
                "job": "node",
            }
            alerts.append(
                {
                    "status": "firing",
                    "labels": labels,
                    "annotations": {
                        "summary": f"{service} error rate above threshold",
                        "description": f"Instance {labels['instance']} returns 5xx",
                        "runbook_url": "https://runbooks.example/bench",
                    },
                    "startsAt": _ts(base + timedelta(microseconds=w * 1000 + a)),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus:9090/graph?g0.expr=rate",
                    "fingerprint": secrets.token_hex(8),
                }
            )
        payload = {
            "receiver": "keel",
            "status": "firing",
            "alerts": alerts,
            "groupLabels": group_labels,
            "commonLabels": group_labels,
            "commonAnnotations": {},
            "externalURL": "http://alertmanager:9093",
            "version": "4",
            "groupKey": "{}:{"
            + ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items()))
            + "}",
            "truncatedAlerts": 0,
        }
        bodies.append(json.dumps(payload, separators=(",", ":")).encode())
    return bodies


# --- load generator -------------------------------------------------------------------


def fire(
    port: int, token: str, bodies: list[bytes], concurrency: int, deadline: float
) -> tuple[list[float], float, float]:
    """POST every body with `concurrency` threads on keep-alive connections.

    Returns per-request latencies (ms), and the wall-clock start and end (monotonic).
    """
    work: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    for body in bodies:
        work.put(body)
    for _ in range(concurrency):
        work.put(None)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
        "User-Agent": "Alertmanager/0.25.0 (keel bench)",
    }

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        try:
            while (body := work.get()) is not None:
                if time.monotonic() > deadline:
                    errors.append("hard timeout while sending")
                    return
                for attempt in range(2):  # the server may close an idle keep-alive connection
                    start = time.perf_counter()
                    try:
                        conn.request("POST", "/hooks/alertmanager/", body=body, headers=headers)
                        response = conn.getresponse()
                        data = response.read()
                    except (ConnectionError, http.client.HTTPException) as exc:
                        conn.close()
                        if attempt:
                            errors.append(f"{type(exc).__name__}: {exc}")
                            return
                        continue
                    mine.append((time.perf_counter() - start) * 1000)
                    if response.status != 200:
                        errors.append(f"HTTP {response.status}: {data[:300]!r}")
                        return
                    break
        finally:
            conn.close()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    ended = time.monotonic()
    if ended > deadline:
        raise BenchError(f"hard timeout while sending ({len(latencies)} of {len(bodies)} done)")
    if errors:
        raise BenchError(f"{len(errors)} webhook errors, first: {errors[0]}")
    if len(latencies) != len(bodies):
        raise BenchError(f"only {len(latencies)} of {len(bodies)} webhooks answered in time")
    return latencies, started, ended


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[rank]


def wait_processed(
    dsn: str,
    integration_id: int,
    *,
    deliveries: int,
    alerts: int,
    incidents: int,
    deadline: float,
    children: Children,
) -> tuple[float, dict]:
    """Poll until every delivery is processed and every alert stored and grouped."""
    sql = """
        SELECT
          (SELECT count(*) FROM incidents_delivery WHERE integration_id = %(i)s
             AND state = 'processed'),
          (SELECT count(*) FROM incidents_delivery WHERE integration_id = %(i)s
             AND state = 'failed'),
          (SELECT count(*) FROM incidents_alert WHERE integration_id = %(i)s),
          (SELECT count(*) FROM incidents_alert WHERE integration_id = %(i)s
             AND incident_id IS NULL),
          (SELECT count(*) FROM incidents_incident WHERE integration_id = %(i)s)
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        state: dict = {}
        while True:
            row = conn.execute(sql, {"i": integration_id}).fetchone()
            assert row is not None
            now = time.monotonic()
            processed, failed, stored, ungrouped, opened = row
            state = {
                "processed": processed,
                "failed": failed,
                "alerts": stored,
                "ungrouped": ungrouped,
                "incidents": opened,
            }
            if failed:
                error = conn.execute(
                    "SELECT error FROM incidents_delivery WHERE integration_id = %s "
                    "AND state = 'failed' LIMIT 1",
                    [integration_id],
                ).fetchone()
                raise BenchError(f"{failed} deliveries failed: {error}")
            if (processed, stored, ungrouped, opened) == (deliveries, alerts, 0, incidents):
                return now, state
            if now > deadline:
                raise BenchError(f"hard timeout waiting for processing; state {state}")
            children.check_alive()
            time.sleep(0.02)


# --- the floor ------------------------------------------------------------------------

_FLOOR_TABLES = ("incidents_incident", "incidents_alert")


def snapshot_rows(dsn: str, integration_id: int) -> dict[str, tuple[list[str], list[tuple]]]:
    """The incident and alert rows Keel stored, every column as text (for COPY)."""
    out = {}
    with psycopg.connect(dsn) as conn:
        for table in _FLOOR_TABLES:
            cols = [
                r[0]
                for r in conn.execute(
                    "SELECT column_name FROM information_schema.columns "
                    "WHERE table_name = %s ORDER BY ordinal_position",
                    [table],
                )
            ]
            select = ", ".join(f'"{c}"::text' for c in cols)
            rows = conn.execute(
                f"SELECT {select} FROM {table} WHERE integration_id = %s ORDER BY id",
                [integration_id],
            ).fetchall()
            out[table] = (cols, rows)
    return out


def time_floor(dsn: str, snapshot: dict[str, tuple[list[str], list[tuple]]]) -> dict:
    """Insert the same rows straight through psycopg (COPY, one transaction) into emptied
    tables; also the alerts alone. Run after the servers are stopped."""
    results = {}
    with psycopg.connect(dsn) as conn:
        for label, tables in (
            ("alerts", ("incidents_alert",)),
            ("incidents+alerts", _FLOOR_TABLES),
        ):
            conn.execute(
                "TRUNCATE incidents_alert, incidents_timelineentry, "
                "incidents_incident_services, incidents_incident_responders, "
                "incidents_incident CASCADE"
            )
            conn.commit()
            if label == "alerts":  # alerts point at incidents: keep those in place
                cols, rows = snapshot["incidents_incident"]
                _copy(conn, "incidents_incident", cols, rows)
                conn.commit()
            conn.execute("CHECKPOINT")  # fewer surprises from a checkpoint during the timing
            start = time.perf_counter()
            for table in tables:
                cols, rows = snapshot[table]
                _copy(conn, table, cols, rows)
            conn.commit()
            results[label] = time.perf_counter() - start
    return results


def _copy(conn: psycopg.Connection, table: str, cols: list[str], rows: list[tuple]) -> None:
    columns = ", ".join(f'"{c}"' for c in cols)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# --- orchestration --------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    webhooks: int
    alerts_per_webhook: int
    concurrency: int

    @property
    def alerts(self) -> int:
        return self.webhooks * self.alerts_per_webhook


@dataclass
class Result:
    pool: str
    scenario: Scenario
    latencies: list[float]
    send_s: float
    total_s: float
    mode: str = "storm"  # "split": webhooks sent while the worker was paused
    loadavg: tuple[float, float, float] = (0.0, 0.0, 0.0)  # right after the scenario
    floor: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        s = self.scenario
        out: dict[str, Any] = {
            "pool": self.pool,
            "mode": self.mode,
            "scenario": s.name,
            "webhooks": s.webhooks,
            "alerts_per_webhook": s.alerts_per_webhook,
            "alerts": s.alerts,
            "concurrency": s.concurrency,
            "webhook_ms": {
                "p50": round(percentile(self.latencies, 50), 2),
                "p95": round(percentile(self.latencies, 95), 2),
                "p99": round(percentile(self.latencies, 99), 2),
                "max": round(max(self.latencies), 2),
                "mean": round(sum(self.latencies) / len(self.latencies), 2),
            },
            "send_s": round(self.send_s, 3),
            "webhooks_per_s": round(s.webhooks / self.send_s, 1),
            "total_s": round(self.total_s, 3),
            "alerts_per_s": round(s.alerts / self.total_s, 1),
            "loadavg_after": [round(x, 2) for x in self.loadavg],
        }
        if self.mode == "split":
            out["total_s_means"] = "worker drain time, from resuming the paused worker"
        if self.floor:
            out["floor_s"] = {k: round(v, 4) for k, v in self.floor.items()}
            out["floor_ratio"] = {k: round(self.total_s / v, 1) for k, v in self.floor.items()}
        return out


def start_servers(
    children: Children, env: dict[str, str], port: int, pool: str, args: argparse.Namespace
) -> None:
    if "gunicorn" not in children.procs:
        children.start(
            "gunicorn",
            [
                tool("gunicorn"),
                "config.wsgi",
                "-w",
                str(args.web_workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                *(
                    ["--worker-class", "gthread", "--threads", str(args.threads)]
                    if args.threads
                    else []
                ),
            ],
            env,
        )
    nice = ["nice", "-n", str(args.worker_nice)] if args.worker_nice else []
    children.start(
        "celery",
        [
            *nice,
            tool("celery"),
            "-A",
            "config",
            "worker",
            "-c",
            str(args.worker_concurrency),
            f"--pool={pool}",
            "--loglevel=WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
    )


def wait_http(port: int, children: Children, deadline: float) -> None:
    while time.monotonic() < deadline:
        children.check_alive()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise BenchError("gunicorn did not answer /healthz in time")


def warm_up(port: int, env: dict, children: Children, deadline: float, args) -> None:
    """One integration, a few webhooks: both web workers and the Celery worker are ready."""
    name = f"bench-warmup-{secrets.token_hex(3)}"
    integration_id, token = create_integration(env, name)
    bodies = build_bodies("warm", 20, 5)
    fire(port, token, bodies, 4, deadline)
    wait_processed(
        env["DATABASE_URL"],
        integration_id,
        deliveries=20,
        alerts=100,
        incidents=20,
        deadline=min(deadline, time.monotonic() + 60),
        children=children,
    )


def worker_consuming(redis_url: str, consume: bool) -> None:
    """Pause or resume the worker's consumption of the default queue (remote control)."""
    from celery import Celery

    app = Celery("keel-bench", broker=redis_url)
    try:
        control = app.control.add_consumer if consume else app.control.cancel_consumer
        replies = control("celery", reply=True, timeout=5, limit=1)  # one worker
        if not replies:
            raise BenchError("the Celery worker did not answer a remote-control command")
    finally:
        app.close()


def run_scenario(
    scenario: Scenario,
    pool: str,
    port: int,
    env: dict,
    children: Children,
    deadline: float,
    *,
    split: bool = False,
) -> tuple[Result, int]:
    mode = "split" if split else "storm"
    integration_id, token = create_integration(env, f"bench-{pool}-{mode}-{scenario.name}")
    bodies = build_bodies(scenario.name, scenario.webhooks, scenario.alerts_per_webhook)
    log(
        f"{pool}/{mode}: scenario {scenario.name}: {scenario.webhooks} webhooks x "
        f"{scenario.alerts_per_webhook} alerts, concurrency {scenario.concurrency}"
    )
    if split:
        worker_consuming(env["REDIS_URL"], False)
    latencies, started, sent = fire(port, token, bodies, scenario.concurrency, deadline)
    send_s = sent - started
    if split:
        time.sleep(0.5)  # let the machine settle
        started = time.monotonic()
        worker_consuming(env["REDIS_URL"], True)
    done, _ = wait_processed(
        env["DATABASE_URL"],
        integration_id,
        deliveries=scenario.webhooks,
        alerts=scenario.alerts,
        incidents=scenario.webhooks,
        deadline=deadline,
        children=children,
    )
    result = Result(pool, scenario, latencies, send_s, done - started, mode, os.getloadavg())
    s = result.summary()
    log(
        f"  webhook p50/p95/p99 {s['webhook_ms']['p50']}/{s['webhook_ms']['p95']}/"
        f"{s['webhook_ms']['p99']} ms; all stored and grouped after {s['total_s']} s "
        f"({s['alerts_per_s']} alerts/s)" + (" [worker drain only]" if split else "")
    )
    return result, integration_id


def print_table(results: list[Result]) -> None:
    head = (
        f"{'pool':<8} {'scenario':<24} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'send s':>7} {'total s':>8} {'alerts/s':>9} {'floor s':>8} {'x floor':>8} {'load':>5}"
    )
    print()
    print(head)
    print("-" * len(head))
    for r in results:
        s = r.summary()
        label = f"{r.scenario.name} {r.scenario.webhooks}x{r.scenario.alerts_per_webhook}"
        if r.mode == "split":
            label += " split*"
        floor = s.get("floor_s", {}).get("incidents+alerts")
        ratio = s.get("floor_ratio", {}).get("incidents+alerts")
        print(
            f"{r.pool:<8} {label:<24} {s['webhook_ms']['p50']:>7.1f} "
            f"{s['webhook_ms']['p95']:>7.1f} {s['webhook_ms']['p99']:>7.1f} "
            f"{s['send_s']:>7.2f} {s['total_s']:>8.2f} {s['alerts_per_s']:>9.0f} "
            f"{floor if floor is not None else '-':>8} {ratio if ratio is not None else '-':>8} "
            f"{r.loadavg[0]:>5.1f}"
        )
    print(f"load: 1-minute load average after the scenario ({os.cpu_count()} CPUs)")
    if any(r.mode == "split" for r in results):
        print(
            "* split: webhooks sent while the worker was paused (latency without the "
            "worker's competition);\n  total s / alerts/s are then the worker's drain alone."
        )
    print(
        f"\naim (not asserted): >= {AIM['alerts_per_s']} alerts/s end to end, "
        f"p99 webhook <= {AIM['p99_ms']} ms, <= {AIM['floor_ratio']}x the floor "
        "(COPY of the same incident and alert rows in one transaction)."
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pools", default="prefork", help="Celery pools to try, e.g. prefork,threads"
    )
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=0, help="gunicorn gthread threads (0: sync)")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="run the Celery worker under nice -n N"
    )
    parser.add_argument("--timeout", type=float, default=300, help="hard limit for the run, s")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply webhook counts")
    parser.add_argument("--force", action="store_true", help="drop a database not named *bench*")
    parser.add_argument(
        "--settings",
        default="config.settings",
        help="Django settings module for every process (to try a settings change; put its "
        "directory on PYTHONPATH)",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="also run each scenario with the worker paused while sending: webhook latency "
        "without the worker's competition, then the worker's drain time alone",
    )
    args = parser.parse_args()

    start = time.monotonic()
    deadline = start + args.timeout
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": args.settings,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "keel-bench-" + secrets.token_hex(16),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "KEEL_TASKS_EAGER": "0",
        "KEEL_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    scenarios = [
        Scenario("a", max(1, round(100 * args.scale)), 100, args.concurrency),
        Scenario("b", max(1, round(1000 * args.scale)), 1, args.concurrency),
    ]
    pools = [p.strip() for p in args.pools.split(",") if p.strip()]

    def on_alarm(signum, frame):
        raise HardTimeout(f"hard timeout of {args.timeout:.0f} s")

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGALRM, on_alarm)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):  # SIGINT may arrive ignored
        signal.signal(sig, on_term)
    signal.alarm(int(args.timeout) + 30)  # a backstop for anything that ignores `deadline`

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    logdir = RESULTS / f"ingest-{stamp}-logs"
    logdir.mkdir()
    children = Children(logdir)
    results: list[Result] = []
    snapshots: dict[str, Any] = {}
    load_before = os.getloadavg()
    if load_before[0] > 0.5 * (os.cpu_count() or 1):
        log(
            f"warning: the machine is busy (load average {load_before[0]:.1f}); figures will be low"
        )
    try:
        db_name = urlsplit(database_url).path.lstrip("/")
        log(f"recreating database {db_name} and migrating")
        recreate_database(database_url, force=args.force)
        manage(
            env, "migrate", "--no-input", "-v", "0", timeout=max(10, deadline - time.monotonic())
        )
        redis_client = redis.Redis.from_url(redis_url)
        redis_db = redis_client.connection_pool.connection_kwargs.get("db", 0)
        if not redis_db and not args.force:
            raise BenchError("refusing to flush Redis db 0 (use another db, or --force)")
        redis_client.flushdb()
        redis_client.close()

        port = free_port()
        for pool in pools:
            log(f"starting gunicorn on 127.0.0.1:{port} and a Celery worker (pool {pool})")
            start_servers(children, env, port, pool, args)
            wait_http(port, children, deadline)
            warm_up(port, env, children, deadline, args)
            for scenario in scenarios:
                result, integration_id = run_scenario(scenario, pool, port, env, children, deadline)
                results.append(result)
                snapshots.setdefault(scenario.name, (database_url, integration_id))
                if args.split:
                    split, _ = run_scenario(
                        scenario, pool, port, env, children, deadline, split=True
                    )
                    results.append(split)
            children.stop("celery")
        children.stop_all()

        log("timing the floor: COPY of the same rows into emptied tables")
        rows = {name: snapshot_rows(dsn, i) for name, (dsn, i) in snapshots.items()}
        for name, (dsn, _) in snapshots.items():
            floor = time_floor(dsn, rows[name])
            for r in results:
                if r.scenario.name == name:
                    r.floor = floor
    except (BenchError, HardTimeout, KeyboardInterrupt) as exc:
        log(f"aborted: {type(exc).__name__}: {exc}")
        return 1
    finally:
        signal.alarm(0)
        children.stop_all()

    print_table(results)
    report = {
        "started_at": stamp,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "config": {
            "database": urlsplit(database_url).path.lstrip("/"),
            "web_workers": args.web_workers,
            "gunicorn_threads": args.threads,
            "worker_concurrency": args.worker_concurrency,
            "worker_nice": args.worker_nice,
            "settings": args.settings,
            "pools": pools,
            "concurrency": args.concurrency,
            "split": args.split,
        },
        "aim": AIM,
        "results": [r.summary() for r in results],
    }
    out = RESULTS / f"ingest-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {out.relative_to(ROOT)} (server logs in {logdir.relative_to(ROOT)}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
