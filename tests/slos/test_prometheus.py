"""The Prometheus SLI source end to end: a real Prometheus scraping an exporter this test
serves with known counters (1,000 requests a second, 1% of them errors)."""

import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from core.actors import Actor
from incidents.services import incident_declare, incident_resolve
from slos.models import IncidentImpact
from slos.prometheus import PrometheusClient, PrometheusError
from slos.services import gate_check, slo_figures
from tests.factories import SLOFactory

pytestmark = pytest.mark.skipif(
    shutil.which("prometheus") is None, reason="the prometheus binary is not installed"
)

RATE = 1000  # requests a second
ERROR_SHARE = 0.01


class Counters:
    """Counters that grow at a known rate; errors can be switched off at a moment."""

    def __init__(self) -> None:
        self.started = time.time()
        self.errors_stop_at: float | None = None

    def render(self) -> bytes:
        now = time.time()
        elapsed = now - self.started
        error_elapsed = min(elapsed, (self.errors_stop_at or now) - self.started)
        errors = RATE * ERROR_SHARE * error_elapsed
        ok = RATE * elapsed - errors
        return (
            "# TYPE keel_test_requests_total counter\n"
            f'keel_test_requests_total{{code="200"}} {ok:.3f}\n'
            f'keel_test_requests_total{{code="500"}} {errors:.3f}\n'
        ).encode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def counters() -> Counters:
    return Counters()


@pytest.fixture(scope="module")
def prometheus_url(counters: Counters) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = counters.render()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    exporter = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=exporter.serve_forever, daemon=True).start()
    workdir = Path(tempfile.mkdtemp(prefix="keel-prom-"))
    config = workdir / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: app\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter.server_address[1]}']}}]\n"
    )
    port = _free_port()
    process = subprocess.Popen(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        client = PrometheusClient(url, timeout=2)
        deadline = time.monotonic() + 30
        while True:  # ten scrapes, so every lookback below has data
            try:
                found = client.instant(
                    "count_over_time(keel_test_requests_total{code='200'}[1m])",
                    at=datetime.now(UTC),
                )
                if found is not None and found.value >= 10:
                    break
            except PrometheusError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("Prometheus did not scrape the exporter within 30 s")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        exporter.shutdown()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def prom_slo(settings, prometheus_url, checkout):
    settings.KEEL_PROMETHEUS_URL = prometheus_url
    return SLOFactory(
        service=checkout,
        source="prometheus",
        bad_query='keel_test_requests_total{code="500"}',
        total_query="keel_test_requests_total",
    )


def test_no_data_is_none_and_a_real_zero_is_zero(prometheus_url):
    client = PrometheusClient(prometheus_url)
    now = datetime.now(UTC)
    assert client.instant('keel_test_requests_total{code="404"}', at=now) is None
    zero = client.instant('sum(keel_test_requests_total{code="500"}) * 0', at=now)
    assert zero is not None and zero.value == 0
    with pytest.raises(PrometheusError, match="NaN"):
        client.instant("0/0", at=now)
    with pytest.raises(PrometheusError, match="400"):
        client.instant("sum(", at=now)


def test_unreachable_prometheus_is_a_clear_error():
    with pytest.raises(PrometheusError, match="unreachable"):
        PrometheusClient(f"http://127.0.0.1:{_free_port()}", timeout=1).instant(
            "up", at=datetime.now(UTC)
        )


@pytest.mark.django_db
def test_burn_rates_and_budget_match_hand_computed_values(prom_slo):
    figures = slo_figures(prom_slo, at=datetime.now(UTC) - timedelta(seconds=1))
    assert not figures.error
    # 1% errors against a 0.1% budget: burn 10 over any lookback; the window is all errors
    # at the same share, so 10 budgets are spent and -9 remain.
    assert float(figures.burn(timedelta(minutes=5))) == pytest.approx(10, rel=1e-3)
    assert float(figures.burn(timedelta(hours=1))) == pytest.approx(10, rel=1e-3)
    assert float(figures.remaining) == pytest.approx(-9, rel=1e-3)
    assert figures.tier == "freeze"
    # burn 10 stays under the 14.4 of page-fast but passes 6, 3 and 1 on both windows
    assert {w.name for w in figures.firing} == {"page-slow", "ticket-fast", "ticket-slow"}


@pytest.mark.django_db
def test_incident_impact_from_prometheus(
    prom_slo, counters, responder, django_capture_on_commit_callbacks
):
    actor = Actor.of(responder)
    started = datetime.fromtimestamp(counters.started, UTC) - timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=actor,
            title="Errors",
            severity="SEV3",
            services=[prom_slo.service],
            started_at=started,
        )
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(
            incident=incident, actor=actor, at=datetime.now(UTC) - timedelta(seconds=1)
        )
    impact = IncidentImpact.objects.get(incident=incident, slo=prom_slo)
    assert impact.frozen and not impact.error
    # The incident covers every error so far: bad / (0.001 x total) = 0.01 / 0.001 = 10.
    assert float(impact.fraction) == pytest.approx(10, rel=2e-2)
    assert float(impact.bad) == pytest.approx(float(impact.allowed) * 10, rel=2e-2)


@pytest.mark.django_db
def test_gate_fails_closed_on_no_series_nan_and_prometheus_down(settings, prom_slo):
    report = gate_check(service=prom_slo.service)
    assert report.decision.decision == "block"  # -900% remaining: freeze

    prom_slo.total_query = 'keel_test_requests_total{code="418"}'
    prom_slo.save()
    report = gate_check(service=prom_slo.service)
    assert report.decision.decision == "block"
    assert report.decision.reasons == [f"{prom_slo.name}: no data"]

    prom_slo.total_query = "sum(rate(keel_test_requests_total[{{.window}}])) / 0 * 0"
    prom_slo.save()
    report = gate_check(service=prom_slo.service)
    assert report.decision.decision == "block"
    assert "NaN" in report.decision.reasons[0]

    prom_slo.total_query = "keel_test_requests_total"
    prom_slo.save()
    settings.KEEL_PROMETHEUS_URL = f"http://127.0.0.1:{_free_port()}"
    report = gate_check(service=prom_slo.service)
    assert report.decision.decision == "block"
    assert "unreachable" in report.decision.reasons[0]
    prom_slo.service.gate_warn_only = True
    prom_slo.service.save()
    assert gate_check(service=prom_slo.service).decision.decision == "warn"
