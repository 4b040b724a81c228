"""Reading SLO files (pure): the seed articles' files as printed, Sloth's and OpenSLO's own
examples, and the variants users write; every query is checked as Keel runs it."""

from decimal import Decimal
from pathlib import Path

import pytest

from slos import promql
from slos.slo_files import SloFileError, read

DATA = Path(__file__).parent / "data"
SLOTH = DATA / "sloth"


def _read(path: Path):
    return read(str(path), path.read_text(encoding="utf-8"))


def _refusal(path: Path) -> str:
    with pytest.raises(SloFileError) as refused:
        _read(path)
    return str(refused.value)


# --- queries -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "stored"),
    [
        ("sum(rate(x[{{.window}}]))", "sum(rate(x[{{.window}}]))"),
        ('http_requests_total{code=~"5.."}', 'http_requests_total{code=~"5.."}'),
        # a counter rate with a fixed range: rewritten to the window (exact)
        ('sum(rate(x{a="b"}[5m]))', 'sum(rate(x{a="b"}[{{.window}}]))'),
        (
            "sum(increase(x[1h])) - sum(increase(y[1h]))",
            "sum(increase(x[{{.window}}])) - sum(increase(y[{{.window}}]))",
        ),
        (
            "sum_over_time((count(u < 0.75))[{{.window}}:]) OR on() vector(0)",
            "sum_over_time((count(u < 0.75))[{{.window}}:]) OR on() vector(0)",
        ),
    ],
)
def test_queries_keel_can_run_are_kept_or_rewritten_exactly(query, stored):
    assert promql.check_events_query(query).query == stored


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("requests with status < 500", "a description, not a PromQL query"),
        ("1 - histogram_share(0.2, sum(rate(r[{{.window}}])))", "MetricsQL"),
        ("vector(1)[{{.window}}]", "ranges only allowed for vector selectors"),
        ("x[{{.window}}]", "range vector"),
        ("sum(irate(x[{{.window}}]))", "irate"),
        (
            "sum(rate(x[{{.window}}])) + sum(increase(y[{{.window}}]))",
            "mixes rate() and increase()",
        ),
        ("sum(rate(x[5m])) + sum(rate(y[{{.window}}]))", "fixed range [5m]"),
        ("max(rate(x[5m]))", "cannot read it over an arbitrary window"),
        ("sum(rate(x[5m]", "is not valid PromQL"),
        ("nosuchfn(x)", "nosuchfn() is not a Prometheus function"),
        ("sum(rate(x[{{.window}}] offset 1h))", "moves the counted window"),
        ("sum(rate(x[{{.window}}])) - 1d", "a duration (5m, 1h) stands only in"),
        ("offset - 1", "offset is followed by a duration"),
        ("-{{.window}}", "{{.window}} stands only for a range"),
        ("1e309 * sum(rate(x[{{.window}}]))", "out of the range of a number"),
        ("+y", "is neither a counter selector"),
        ("scalar(sum(rate(x[{{.window}}])))", "returns a scalar"),
    ],
)
def test_queries_keel_cannot_run_are_refused_with_the_reason(query, reason):
    with pytest.raises(promql.QueryError) as refused:
        promql.check_events_query(query)
    assert reason in str(refused.value)


# --- the seed articles' files as printed -----------------------------------------------------


def test_seed_plain_file_with_prose_slis_is_refused_at_each_field():
    message = _refusal(DATA / "seed" / "plain-checkout-api.yaml")
    lines = message.splitlines()
    assert len(lines) == 3
    assert (
        "document 1: slos[0].sli.numerator: 'requests with status < 500' is a description"
        in (lines[0])
    )
    assert "slos[1].sli.metric: 'p95 latency for POST /api/checkout' is a description" in lines[1]
    assert "slos[2].sli.numerator" in lines[2]


@pytest.mark.parametrize("name", ["sloth-api-availability.yaml", "sloth-tr-web.yaml"])
def test_seed_sloth_files_with_snake_case_keys_are_read_and_the_spelling_is_said(name):
    reading = _read(DATA / "seed" / name)
    assert reading.specs
    for spec in reading.specs:
        assert "{{.window}}" in spec.bad_query and "{{.window}}" in spec.total_query
    spelling = [n for n in reading.notes if "spelling" in n]
    assert len(spelling) == 1
    assert "read error_query, total_query" in spelling[0]
    assert "as errorQuery, totalQuery" in spelling[0]


def test_seed_tr_web_alerting_is_taken():
    specs = {s.name: s for s in _read(DATA / "seed" / "sloth-tr-web.yaml").specs}
    alerting = specs["requests-availability"].alerting
    assert alerting["name"] == "TrWebHighErrorRate"
    assert alerting["labels"] == {"team": "platform"}
    assert alerting["annotations"] == {"summary": "High error rate on tr-web"}
    assert specs["requests-latency"].alerting["name"] == "TrWebHighLatency"


def test_both_spellings_of_one_key_are_refused_as_ambiguous(tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text(
        (DATA / "sloth-k8s.yaml")
        .read_text()
        .replace(
            "          errorQuery: sum(rate(http_request_duration_seconds_count",
            "          error_query: sum(rate(x[{{.window}}]))\n"
            "          errorQuery: sum(rate(http_request_duration_seconds_count",
        )
    )
    assert "spec.slos[0].sli.events.errorQuery: given twice" in _refusal(path)


# --- plain form ------------------------------------------------------------------------------


def test_latency_threshold_in_ms_is_the_histogram_bucket_in_seconds():
    specs = {s.name: s for s in _read(DATA / "variants" / "plain-checkout-api-queries.yaml").specs}
    latency = specs["checkout_latency"]
    assert latency.good_query == (
        'http_request_duration_seconds_bucket{route="/api/checkout",method="POST", le="2"}'
    )
    assert latency.total_query == (
        'http_request_duration_seconds_count{route="/api/checkout",method="POST"}'
    )
    assert specs["checkout_availability"].objective == Decimal("99.9")


@pytest.mark.parametrize(
    ("threshold", "metric", "le"),
    [
        ("300ms", "http_request_duration_seconds_bucket", "0.3"),
        ("2s", "http_request_duration_seconds", "2"),
        ("0.25", "http_request_duration_seconds_bucket", "0.25"),
        ("1500ms", "rpc_latency_milliseconds_bucket", "1500"),
    ],
)
def test_threshold_units(tmp_path, threshold, metric, le):
    path = tmp_path / "p.yaml"
    path.write_text(
        f"service: s\nslos:\n  - name: l\n    target: 99%\n"
        f"    sli: {{metric: '{metric}{{job=\"a\"}}', threshold: '{threshold}'}}\n"
    )
    (spec,) = _read(path).specs
    assert spec.good_query.endswith(f'le="{le}"}}')


def test_the_owner_is_located_at_owner_not_at_an_slo():
    spec_reading = read(
        str(DATA / "variants" / "plain-owner-unknown.yaml"),
        (DATA / "variants" / "plain-owner-unknown.yaml").read_text(),
    )
    assert spec_reading.specs[0].owner_location.endswith("document 1: owner")


# --- OpenSLO ---------------------------------------------------------------------------------


def test_openslo_rate_with_a_fixed_range_is_rewritten_to_the_window_and_said():
    reading = _read(DATA / "variants" / "openslo-rate.yaml")
    (spec,) = reading.specs
    assert spec.good_query == (
        'sum(rate(http_requests_total{service="orders",code!~"5.."}[{{.window}}]))'
    )
    assert spec.total_query == 'sum(rate(http_requests_total{service="orders"}[{{.window}}]))'
    assert sum("rewrote" in n for n in reading.notes) == 2


def test_openslo_v1alpha_is_read_as_sloth_reads_it():
    reading = _read(SLOTH / "openslo-kubernetes-apiserver.yml")
    specs = {s.name: s for s in reading.specs}
    # one SLO per objective, `<metadata.name>-<index>`, as in Sloth's generated rules
    assert set(specs) == {
        "requests-availability-openslo-0",
        "requests-latency-openslo-0",
        "requests-latency-openslo-1",
    }
    latency = specs["requests-latency-openslo-1"]
    assert latency.service == "k8s-apiserver" and latency.objective == Decimal("99.9")
    assert 'le="5"' in latency.good_query and latency.window_days == 30
    assert latency.alerting == {"page": {"disabled": True}, "ticket": {"disabled": True}}
    assert any("read as Sloth reads it" in n for n in reading.notes)


def test_openslo_threshold_metrics_and_other_sources_are_refused_clearly():
    assert "thresholdMetric: only ratioMetric SLIs" in _refusal(
        DATA / "openslo" / "budgeting-method-occurences-slo.yaml"
    )
    assert "metricSource.type: Any is not supported" in _refusal(
        DATA / "openslo" / "budgeting-method-timeslices-slo.yaml"
    )


# --- Sloth's own examples --------------------------------------------------------------------

REFUSED = {
    "plugin-getting-started.yml": "slos[0].sli.plugin: SLI plugins run inside Sloth",
    "plugin-k8s-getting-started.yml": "spec.slos[0].sli.plugin: SLI plugins run inside Sloth",
    "victoria-metrics.yml": "slos[0].sli.events.error_query: histogram_share() is a MetricsQL",
}


def test_sloth_examples_import_except_plugins_and_metricsql():
    examples = sorted(p for p in SLOTH.glob("*.y*ml"))
    assert len(examples) == 18
    read_ok = []
    for path in examples:
        if path.name in REFUSED:
            assert REFUSED[path.name] in _refusal(path)
        else:
            assert _read(path).specs, path
            read_ok.append(path.name)
    assert len(read_ok) == 15


def test_sloth_ignored_parts_are_said():
    notes = _read(SLOTH / "slo-plugin-k8s-getting-started.yml").notes
    assert any("spec.sloPlugins: ignored" in n for n in notes)
    assert any("spec.slos[0].plugins: ignored" in n for n in notes)
    assert any("severity=pageteam not applied" in n for n in notes)
    no_alerts = _read(SLOTH / "no-alerts.yml")
    assert no_alerts.specs[0].alerting == {"page": {"disabled": True}, "ticket": {"disabled": True}}
    assert any("page alerts disabled" in n for n in no_alerts.notes)


def test_sloth_labels_owner_is_the_owner_and_errors_carry_the_spec_path(tmp_path):
    (spec,) = _read(SLOTH / "k8s-getting-started.yml").specs
    assert spec.service_owner == "myteam"
    assert spec.owner_location.endswith("document 1: spec.labels.owner")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (SLOTH / "k8s-getting-started.yml").read_text().replace("objective: 99.9", "objective: 100")
    )
    assert "document 1: spec.slos[0].objective: an objective is a percent" in _refusal(bad)
