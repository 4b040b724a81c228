"""One burn seen by both paths, end to end: a real Prometheus scrapes counters this test
serves (1,000 requests a second; half of them errors during a burst), runs the rules
`export_prometheus_rules` writes and sends their alerts to a real Alertmanager, which posts
them to a live Keel; meanwhile Keel's own evaluation reads the same Prometheus. The burst
gives one incident, one severity, and one debit equal to the bad events computed by hand."""

import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from core.actors import Actor
from incidents.choices import EntryKind, ResolvePolicy, Status
from incidents.models import Alert, Incident
from incidents.services import integration_create
from slos.models import IncidentImpact, SloStatus
from slos.prometheus import PrometheusClient, PrometheusError
from slos.services import slo_evaluate
from tests.factories import SLOFactory
from tests.incidents.test_alertmanager_e2e import ALERTMANAGER, _free_port, _http

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        shutil.which("prometheus") is None or ALERTMANAGER is None,
        reason="needs Debian's prometheus and prometheus-alertmanager",
    ),
]

RATE = 1000  # requests a second
BURST_SHARE = 0.5  # of them errors during the burst, none outside it
BURST_SECONDS = 40
SCRAPE_SECONDS = 1
TIMEOUT = 120.0


class Traffic:
    """Counters as a pure function of wall time, so any window's events are known exactly."""

    def __init__(self) -> None:
        self.started = time.time()
        self.burst: tuple[float, float] | None = None

    def errors_between(self, start: float, end: float) -> float:
        if self.burst is None or end <= start:
            return 0.0
        overlap = min(end, self.burst[1]) - max(start, self.burst[0])
        return RATE * BURST_SHARE * max(0.0, overlap)

    def render(self) -> bytes:
        now = time.time()
        errors = self.errors_between(self.started, now)
        ok = RATE * (now - self.started) - errors
        return (
            "# TYPE keel_burst_requests_total counter\n"
            f'keel_burst_requests_total{{code="200"}} {ok:.3f}\n'
            f'keel_burst_requests_total{{code="500"}} {errors:.3f}\n'
        ).encode()


def _wait(condition: Callable[[], Any], what: str, tick: Callable[[], None] | None = None) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if tick is not None:
            tick()
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    incidents = list(Incident.objects.values("number", "status", "severity"))
    alerts = list(Alert.objects.values("labels__burn_window", "status", "incident_id"))
    pytest.fail(f"timed out waiting for {what}; incidents {incidents}, alerts {alerts}")


@pytest.fixture
def traffic() -> Iterator[Traffic]:
    yield Traffic()


@pytest.fixture
def exporter(traffic: Traffic) -> Iterator[int]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = traffic.render()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield int(server.server_address[1])
    server.shutdown()


def _start(command: list[str], log: Path, ready: str) -> subprocess.Popen:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{command[0]} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if _http("GET", ready)[0] == 200:
                return process
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"{command[0]} did not become ready:\n{log.read_text(errors='replace')[-3000:]}")


def test_one_burst_seen_by_alertmanager_and_keel_is_one_incident_with_one_debit(
    live_server, settings, tmp_path, traffic, exporter, checkout, viewer
):
    from config.celery import app as celery_app

    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    processes: list[subprocess.Popen] = []
    try:
        _run(live_server, settings, tmp_path, traffic, exporter, checkout, processes, viewer)
    finally:
        celery_app.conf.task_always_eager = eager
        for process in processes:
            process.kill()
            process.wait(timeout=10)


def _run(live_server, settings, tmp_path, traffic, exporter, checkout, processes, viewer) -> None:
    _, token = integration_create(
        actor=Actor.system(),
        name="am-burn",
        default_service=checkout,
        resolve_policy=ResolvePolicy.RESOLVED,
    )
    # Short alert windows so that a 40-second burst starts and ends a burn within the test.
    slo = SLOFactory(
        service=checkout,
        name="availability",
        source="prometheus",
        bad_query='keel_burst_requests_total{code="500"}',
        total_query="keel_burst_requests_total",
        alert_windows=[
            {"name": "page-fast", "severity": "page", "long": "1m", "short": "10s", "factor": 14.4},
            {
                "name": "ticket-slow",
                "severity": "ticket",
                "long": "3m",
                "short": "30s",
                "factor": 1,
            },
        ],
    )
    rules = tmp_path / "rules.yml"
    call_command("export_prometheus_rules", "-o", str(rules), "--service", "checkout")

    am_port, prom_port = _free_port(), _free_port()
    hook = f"http://127.0.0.1:{live_server.thread.port}/hooks/alertmanager/"
    am_config = tmp_path / "alertmanager.yml"
    am_config.write_text(
        "route:\n  receiver: keel\n  group_by: [alertname, service, slo]\n"
        "  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\n"
        "receivers:\n  - name: keel\n    webhook_configs:\n"
        f"      - url: {hook}\n        send_resolved: true\n        max_alerts: 0\n"
        f"        http_config:\n          authorization: {{type: Bearer, credentials: {token}}}\n"
    )
    (tmp_path / "am-data").mkdir()
    processes.append(
        _start(
            [
                ALERTMANAGER,
                f"--config.file={am_config}",
                f"--storage.path={tmp_path / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            tmp_path / "alertmanager.log",
            f"http://127.0.0.1:{am_port}/-/ready",
        )
    )
    prom_config = tmp_path / "prometheus.yml"
    prom_config.write_text(
        f"global: {{scrape_interval: {SCRAPE_SECONDS}s, evaluation_interval: 1s}}\n"
        f"rule_files: [{rules}]\n"
        "alerting:\n  alertmanagers:\n"
        f"    - static_configs: [{{targets: ['127.0.0.1:{am_port}']}}]\n"
        "scrape_configs:\n  - job_name: app\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]\n"
    )
    processes.append(
        _start(
            [
                "prometheus",
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={tmp_path / 'prom-data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
            ],
            tmp_path / "prometheus.log",
            f"http://127.0.0.1:{prom_port}/-/ready",
        )
    )
    settings.KEEL_PROMETHEUS_URL = f"http://127.0.0.1:{prom_port}"
    client = PrometheusClient(settings.KEEL_PROMETHEUS_URL, timeout=2)

    def scraped() -> bool:
        try:
            found = client.instant(
                "count_over_time(keel_burst_requests_total{code='500'}[1m])",
                at=datetime.now(UTC),
            )
        except PrometheusError:
            return False
        return found is not None and found.value >= 35  # every window below has data

    _wait(scraped, "Prometheus to scrape the exporter")

    def evaluate() -> None:
        slo_evaluate(slo=slo, at=datetime.now(UTC))

    evaluate()
    assert SloStatus.objects.get(slo=slo).alert_state == "ok"

    start = time.time()
    traffic.burst = (start, start + BURST_SECONDS)
    # Both paths see the burn while it lasts: Keel's evaluation pages, and Alertmanager
    # delivers the exported page alert.
    seen = {"keel": False}

    def tick() -> None:
        evaluate()
        if SloStatus.objects.get(slo=slo).alert_state == "page":
            seen["keel"] = True

    _wait(
        lambda: (
            seen["keel"]
            and Alert.objects.filter(labels__burn_window="page-fast", status="firing").exists()
        ),
        "Keel's evaluation and Alertmanager to both report the burn",
        tick,
    )
    # The burst ends; both paths see the burn end, and the integration resolves the incident.
    _wait(
        lambda: (
            time.time() > traffic.burst[1]
            and SloStatus.objects.get(slo=slo).alert_state != "page"
            and Alert.objects.filter(labels__burn_window="page-fast", status="resolved").exists()
            and Incident.objects.filter(status=Status.RESOLVED).exists()
        ),
        "the burn to end and its incident to be resolved",
        evaluate,
    )

    incident = Incident.objects.get()  # one incident, whichever path opened it
    assert incident.severity == "SEV2"
    assert not incident.timeline.filter(kind=EntryKind.SEVERITY).exists()
    assert SloStatus.objects.get(slo=slo).burn_incident == incident
    kinds = set(incident.timeline.values_list("kind", flat=True))
    assert {EntryKind.ALERT_FIRED, EntryKind.SLO_BURN, EntryKind.RESOLVED} <= kinds
    assert incident.timeline.filter(kind=EntryKind.SLO_BURN, data__ended=True).exists()
    # The ticket-level alert came through too, and was recorded without an incident.
    tickets = Alert.objects.filter(labels__severity="ticket")
    assert tickets.exists() and not tickets.filter(incident__isnull=False).exists()
    assert set(
        Alert.objects.filter(incident=incident).values_list("labels__severity", flat=True)
    ) == {"page"}

    impact = _wait(
        lambda: IncidentImpact.objects.filter(incident=incident, slo=slo, frozen=True).first(),
        "the frozen budget impact",
    )
    assert not impact.error
    period = (incident.started_at.timestamp(), incident.resolved_at.timestamp())
    by_hand = traffic.errors_between(*period)
    assert by_hand > 0.8 * RATE * BURST_SHARE * BURST_SECONDS  # the debit covers the burst
    # Keel's debit is Prometheus's own figure for the period: the same query at the same
    # instant (Keel may cut the period finer than whole seconds; a fraction of a second of a
    # flat counter changes the extrapolated increase() by well under 1%).
    seconds = int(period[1] - period[0])
    raw = client.instant(
        f'sum(increase(keel_burst_requests_total{{code="500"}}[{seconds}s]))',
        at=incident.resolved_at,
    )
    assert raw is not None
    assert float(impact.bad) == pytest.approx(raw.value, rel=1e-2)
    # ...and the hand figure, give or take Prometheus's increase() extrapolation over a
    # period of about a minute sampled once a second (docs/slo-math.md: about 1 to 2%).
    assert float(impact.bad) == pytest.approx(by_hand, rel=0.03), (float(impact.bad), by_hand)

    # ...and that one debit is the figure every surface shows.
    pages = Client()
    pages.force_login(viewer)
    [api] = pages.get(f"/api/v1/budget-impacts/?incident={incident.number}").json()["results"]
    assert float(api["bad"]) == pytest.approx(float(impact.bad))
    for url in (f"/incidents/{incident.number}/", f"/slos/{slo.pk}/", "/slos/services/checkout/"):
        page = " ".join(pages.get(url).content.decode().split())
        assert api["percent"] in page, url
