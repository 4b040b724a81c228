"""The exported dashboards against a real Prometheus: it loads the rules of both schemes
(Keel's and Sloth's), scrapes counters this test serves (1,000 requests a second, 1% of them
errors), and every query of every panel of both dashboards parses and returns a number;
the burn rates and remaining budgets are the figures that error ratio gives by hand."""

import json
import math
import shutil
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from slos.grafana import panel_queries
from tests.factories import SLOFactory
from tests.incidents.test_alertmanager_e2e import _free_port
from tests.slos.test_burn_e2e import _start

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("prometheus") is None, reason="needs Debian's prometheus"),
]

RATE = 1000  # requests a second
ERROR_SHARE = 0.01
TIMEOUT = 90.0


@pytest.fixture
def exporter() -> Iterator[int]:
    started = time.time()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            # Counters as a pure function of wall time: every window's error ratio is 1%.
            total = RATE * (time.time() - started)
            body = (
                "# TYPE keel_dash_requests_total counter\n"
                f'keel_dash_requests_total{{code="200"}} {total * (1 - ERROR_SHARE):.3f}\n'
                f'keel_dash_requests_total{{code="500"}} {total * ERROR_SHARE:.3f}\n'
            ).encode()
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


def _query(base: str, expr: str) -> list[float]:
    """The values of an instant query now; an error answer fails the test with its message."""
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # loopback only
            payload = json.loads(response.read())
    except urllib.error.HTTPError as error:
        pytest.fail(f"Prometheus refused {expr!r}: {error.read()[:500]!r}")
    assert payload["status"] == "success", payload
    assert payload["data"]["resultType"] == "vector", (expr, payload["data"]["resultType"])
    return [float(sample["value"][1]) for sample in payload["data"]["result"]]


@pytest.mark.django_db
def test_every_panel_query_of_both_dashboards_returns_data(tmp_path, checkout, exporter):
    SLOFactory(
        service=checkout,
        name="availability",
        source="prometheus",
        bad_query='keel_dash_requests_total{code="500"}',
        total_query="keel_dash_requests_total",
    )
    SLOFactory(
        service=checkout,
        name="good-ratio",
        objective="99.5",
        window_days=28,
        source="prometheus",
        good_query='sum(rate(keel_dash_requests_total{code="200"}[{{.window}}]))',
        total_query="sum(rate(keel_dash_requests_total[{{.window}}]))",
    )
    rule_files, boards = [], {}
    for scheme, compat in (("keel", []), ("sloth", ["--compat", "sloth"])):
        rules = tmp_path / f"rules-{scheme}.yml"
        call_command("export_prometheus_rules", "-o", str(rules), *compat)
        rule_files.append(str(rules))
        call_command("export_grafana_dashboards", "--out", str(tmp_path / scheme), *compat)
        boards[scheme] = json.loads((tmp_path / scheme / "checkout.json").read_text())

    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: {json.dumps(rule_files)}\n"
        "scrape_configs:\n  - job_name: app\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter}']}}]\n"
    )
    base = f"http://127.0.0.1:{port}"
    process = _start(
        [
            "prometheus",
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        tmp_path / "prometheus.log",
        f"{base}/-/ready",
    )
    try:
        queries = [
            (scheme, title, expr)
            for scheme, board in boards.items()
            for title, expr in panel_queries(board)
        ]
        assert len(queries) > 40
        # The rules need a few scrapes and evaluations before every series exists.
        deadline = time.monotonic() + TIMEOUT
        while True:
            empty = [q for q in queries if not _query(base, q[2])]
            if not empty or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert not empty, f"no data after {TIMEOUT:.0f}s for {len(empty)} queries: {empty[:3]}"
        answers = {(scheme, title, expr): _query(base, expr) for scheme, title, expr in queries}
    finally:
        process.kill()
        process.wait(timeout=10)

    for (scheme, title, expr), values in answers.items():
        assert values and all(math.isfinite(v) for v in values), (scheme, title, expr, values)
    # 1% errors: burn 10 against 99.9% (budget 0.1%), 2 against 99.5%, in both schemes; over
    # a window this young that spends the budget ten and two times over.
    for scheme in boards:
        burns, remaining = {}, {}
        for (name, title, expr), values in answers.items():
            slo = "good-ratio" if 'good-ratio"' in expr else "availability"
            if name == scheme and title.startswith("Burn rate page-fast"):
                burns.setdefault(slo, []).extend(values)
            if name == scheme and title == "Error budget remaining":
                remaining[slo] = values[0]
        assert burns["availability"] == pytest.approx([10, 10], rel=0.02), scheme
        assert burns["good-ratio"] == pytest.approx([2, 2], rel=0.02), scheme
        assert remaining["availability"] == pytest.approx(-9, rel=0.02), scheme
        assert remaining["good-ratio"] == pytest.approx(-1, rel=0.05), scheme
