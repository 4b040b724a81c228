"""Whatever Keel's checks accept, the exported rules file loads: random queries and alerting
settings, those the checks let through all exported into one file for the real promtool."""

import contextlib
import random
import shutil
import subprocess
from decimal import Decimal

import pytest
import yaml

from slos import burn_rates, promql
from slos.rules import RuleSlo, alerting_problem, rules_yaml

QUERY_PARTS = [
    'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
    "sum(rate(http_requests_total[5m]))",
    'http_requests_total{job="a"}',
    "sum(increase(x_total[1h]))",
    "histogram_share(0.2, y)",
    "requests with status < 500",
    "vector(1)[{{.window}}]",
    "x[{{.window}}]",
    "sum(irate(x[{{.window}}]))",
    "sum_over_time((count(u < 0.75))[{{.window}}:]) OR on() vector(0)",
    "max(rate(x[5m]))",
    "sum(rate(x[{{.window}}])) -",
    'sum(rate(a{le="0.3"}[{{.window}}])) - sum(rate(b[{{.window}}]))',
    '"text"',
    "sum by (code) (rate(x[{{.window}}]))",
]
TEXTS = [
    "ok",
    "ok",
    "ok",
    "{{ $labels.service }} burns",
    "{{ $labels.slo }}",
    "{{ $nosuch }}",
    "{{ oops",
    "a }} b",
    "{{ $value | humanize }}",
    "{{ nosuch $value }}",
    'quote " inside',
    "new\nline",
    '{{ printf "%.2f" $value }}',
]
NAMES = ["team", "team", "category", "severity", "__x", "9bad", "routing_key", "ok-not", "slo"]
ALERT_NAMES = ["", "CheckoutBurn", "slo_foo-bar_fail", "bad{name}", "tab\tname"]


def _alerting(rng: random.Random) -> dict:
    def mapping() -> dict:
        return {rng.choice(NAMES): rng.choice(TEXTS) for _ in range(rng.randint(0, 2))}

    alerting: dict = {"name": rng.choice(ALERT_NAMES), "labels": mapping(),
                      "annotations": mapping()}  # fmt: skip
    for level in ("page", "ticket"):
        if rng.random() < 0.5:
            alerting[level] = {"labels": mapping(), "annotations": mapping(),
                               "disabled": rng.random() < 0.2}  # fmt: skip
    return alerting


@pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")
def test_rules_of_whatever_the_checks_accept_pass_promtool(tmp_path):
    rng = random.Random(20261201)
    accepted, refused = [], 0
    for i in range(4000):
        try:
            bad = promql.check_events_query(rng.choice(QUERY_PARTS)).query
            total = promql.check_events_query(rng.choice(QUERY_PARTS)).query
        except promql.QueryError:
            refused += 1
            continue
        alerting = _alerting(rng)
        if alerting_problem(alerting):
            refused += 1
            continue
        days = rng.choice([7, 28, 30])
        accepted.append(
            RuleSlo(
                service="svc",
                name=f"slo-{i}",
                objective=Decimal(rng.choice(["90", "99", "99.9", "99.95", "99.999"])),
                window_days=days,
                bad_query=bad,
                good_query="",
                total_query=total,
                windows=burn_rates.default_alert_windows(days),
                alerting=alerting,
            )
        )
    assert len(accepted) > 50 and refused > 1000
    path = tmp_path / "rules.yml"
    path.write_text(rules_yaml(accepted))
    checked = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]


@pytest.mark.parametrize(
    ("alerting", "problem"),
    [
        ({"labels": {"severity": "critical"}}, "labels.severity: Keel sets severity"),
        ({"page": {"annotations": {"summary": "{{ $nosuch }}"}}}, "$nosuch is not a variable"),
        ({"ticket": {"labels": {"x": "{{ oops"}}}, "ticket.labels.x: an unclosed"),
        ({"labels": {"__name__": "x"}}, "reserved by Prometheus"),
        ({"page": {"disabled": "yes"}}, "page.disabled: expected true or false"),
        ({"pages": {}}, "unknown keys: pages"),
        ([], "expected an object"),
    ],
)
def test_alerting_settings_that_would_break_the_rules_file_are_refused(alerting, problem):
    assert problem in (alerting_problem(alerting) or "")


FRAGMENTS = ['sum(', 'rate(', 'increase(', 'x[5m]', '{a="b"}', ' offset ', '@', ' by (', ')', '[',
             ']', ':', '1e309', '0x', 'inf', 'NaN', '-', ' and ', ' or ', 'bool', 'on(', '"',
             '{{.window}}', '[1y]', '[{{.window}}]', '[{{.window}}:]', '[{{.window}}:1m]',
             'histogram_quantile(', 'label_replace(', 'topk(', 'absent(', 'vector(', 'scalar(',
             '{{.seconds}}', ' offset -1d', ' @ start()', '-Inf', ' * ', ' / ', ' > ', 'count(',
             'sum_over_time(', 'y', 'x_total', ',', '0.5', '+', '^', '%', 'timestamp(', 'sort(',
             'last_over_time(', 'group(', 'limitk(', '1d', '5m']  # fmt: skip


@pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")
def test_random_queries_the_parser_accepts_are_queries_prometheus_accepts(tmp_path):
    """The Rust parser follows a later PromQL than some Prometheus releases (durations as
    numbers, offset as a metric name): Keel's own token checks close the gap."""
    rng = random.Random(7)
    accepted = set()
    for _ in range(40000):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 9)))
        with contextlib.suppress(promql.QueryError):
            accepted.add(promql.check_events_query(text).query)
    assert len(accepted) > 50
    slos = [
        RuleSlo(
            service="svc",
            name=f"q{i}",
            objective=Decimal("99.9"),
            window_days=30,
            bad_query=query,
            good_query="",
            total_query="x_total",
            windows=burn_rates.default_alert_windows(30),
        )
        for i, query in enumerate(sorted(accepted))
    ]
    path = tmp_path / "rules.yml"
    path.write_text(rules_yaml(slos))
    checked = subprocess.run(
        ["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]


@pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")
def test_exported_ratios_count_as_keel_does_in_prometheus(tmp_path):
    """promtool's rule unit tests: 1% errors give a ratio of 0.01 over each lookback, also
    when the bad query is a per-code rate and the total a bare counter (Keel sums every
    series and scales a rate by the seconds)."""
    slo = RuleSlo(
        service="svc",
        name="a",
        objective=Decimal("99.9"),
        window_days=30,
        bad_query='sum by (code) (rate(http_requests_total{code=~"5.."}[{{.window}}]))',
        good_query="",
        total_query="http_requests_total",
        windows=burn_rates.default_alert_windows(30),
    )
    (tmp_path / "rules.yml").write_text(rules_yaml([slo]))
    expected = [
        {
            "expr": f'keel:slo_errors:ratio_rate{lookback}{{service="svc",slo="a"}}',
            "eval_time": "3h",
            "exp_samples": [
                {
                    "labels": f'keel:slo_errors:ratio_rate{lookback}{{service="svc",slo="a"}}',
                    "value": 0.01,
                }
            ],
        }
        for lookback in ("5m", "30m", "1h", "2h")
    ]
    unit = {
        "rule_files": ["rules.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": 'http_requests_total{code="200"}', "values": "0+99x240"},
                    {"series": 'http_requests_total{code="500"}', "values": "0+1x240"},
                ],
                "promql_expr_test": expected,
            }
        ],
    }
    (tmp_path / "test.yml").write_text(yaml.safe_dump(unit, sort_keys=False))
    tested = subprocess.run(
        ["promtool", "test", "rules", "test.yml"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert tested.returncode == 0, tested.stdout[-3000:] + tested.stderr[-3000:]
