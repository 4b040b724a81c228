"""Grafana dashboards and Sloth-compatible rules: the names and labels match what Sloth's own
generator writes for the same file, promtool loads both rule files, and every dashboard
query reads only series the matching rules file records."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from slos.grafana import DATASOURCE_INPUT, SCHEMA_VERSION, dashboard_uid, panel_queries
from slos.rule_names import KEEL, SCHEMES
from tests.factories import SLOFactory

pytestmark = pytest.mark.django_db

SLOTH = Path(__file__).parent / "data" / "sloth"
# Recorded series are named with colons; a metric name followed by its selector.
SERIES = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\{")


def _rules(tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / f"rules{'-'.join(args)}.yml"
    call_command("export_prometheus_rules", "--output", str(out), *args)
    return yaml.safe_load(out.read_text())["groups"]


def _boards(tmp_path: Path, *args: str) -> dict[str, dict]:
    out = tmp_path / f"boards{'-'.join(args)}"
    call_command("export_grafana_dashboards", "--out", str(out), *args)
    return {path.stem: json.loads(path.read_text()) for path in sorted(out.glob("*.json"))}


def _prometheus_slos(checkout):
    SLOFactory(
        service=checkout,
        name="availability",
        source="prometheus",
        bad_query='http_requests_total{code=~"5.."}',
        total_query="http_requests_total",
    )
    SLOFactory(
        service=checkout,
        name="latency",
        objective="99.5",
        window_days=28,
        source="prometheus",
        good_query='sum(rate(http_request_duration_seconds_bucket{le="0.3"}[{{.window}}]))',
        total_query="sum(rate(http_request_duration_seconds_count[{{.window}}]))",
        alerting={"page": {"disabled": True}},
    )


def test_sloth_compat_names_and_labels_are_those_sloth_generates(tmp_path):
    call_command("import_slos", str(SLOTH / "getting-started.yml"))
    ours = _rules(tmp_path, "--compat", "sloth")
    theirs = yaml.safe_load((SLOTH / "generated" / "getting-started.yml").read_text())["groups"]
    assert [g["name"] for g in ours] == [g["name"] for g in theirs]

    def recordings(groups):
        # Sloth's example was generated with an extra label cmd; its version is Sloth's own.
        return [
            (
                r["record"],
                {k: v for k, v in r["labels"].items() if k not in {"cmd", "sloth_version"}},
            )
            for g in groups
            for r in g["rules"]
            if "record" in r
        ]

    assert len(recordings(theirs)) == 15  # 8 error ratios, 7 metadata series
    assert recordings(ours) == recordings(theirs)
    # The same metadata figures: objective, budget, period.
    exprs = {r["record"]: r["expr"] for g in ours for r in g["rules"] if "record" in r}
    assert exprs["slo:objective:ratio"] == "vector(0.999)"
    assert exprs["slo:time_period:days"] == "vector(30)"
    # Alerts still route back to Keel's SLO, and say their Sloth severity.
    alerts = [r for g in ours for r in g["rules"] if "alert" in r]
    assert {(a["labels"]["severity"], a["labels"]["sloth_severity"]) for a in alerts} == {
        ("page", "page"),
        ("ticket", "ticket"),
    }
    assert {a["labels"]["service"] for a in alerts} == {"myservice"}
    assert {a["labels"]["slo"] for a in alerts} == {"requests-availability"}


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
@pytest.mark.parametrize("compat", [[], ["--compat", "sloth"]], ids=["keel", "sloth"])
def test_both_rule_files_pass_promtool(tmp_path, compat):
    files = ("getting-started.yml", "home-wifi.yml", "no-alerts.yml", "multifile.yml")
    call_command("import_slos", *[str(SLOTH / name) for name in files])
    out = tmp_path / "rules.yml"
    call_command("export_prometheus_rules", "--output", str(out), *compat)
    checked = subprocess.run(
        ["promtool", "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout


@pytest.mark.parametrize("compat", [[], ["--compat", "sloth"]], ids=["keel", "sloth"])
def test_every_dashboard_query_reads_series_the_rules_record(tmp_path, checkout, compat):
    _prometheus_slos(checkout)
    recorded = {r["record"] for g in _rules(tmp_path, *compat) for r in g["rules"] if "record" in r}
    (board,) = _boards(tmp_path, *compat).values()
    queries = panel_queries(board)
    assert len(queries) > 10
    for title, expr in queries:
        read = set(SERIES.findall(expr))
        assert read and read <= recorded, (title, expr, read - recorded)
        assert "$" not in expr  # nothing left for Grafana to fill in
    if compat:
        assert any("slo:period_error_budget_remaining:ratio" in e for _, e in queries)
        assert all("sloth_id=" in e for _, e in queries)
    else:
        assert all("keel:slo_errors:ratio_rate" in e for _, e in queries)


def test_a_dashboard_imports_with_a_datasource_chosen_at_import(tmp_path, checkout):
    _prometheus_slos(checkout)
    (name, board), = _boards(tmp_path).items()  # fmt: skip
    assert name == "checkout"
    assert board["schemaVersion"] == SCHEMA_VERSION
    assert board["title"] == "Keel SLOs: Checkout"
    assert [i["name"] for i in board["__inputs"]] == [DATASOURCE_INPUT]
    (variable,) = board["templating"]["list"]
    assert (variable["type"], variable["query"]) == ("datasource", "prometheus")
    assert variable["current"]["value"] == "${DS_PROMETHEUS}"
    panels = [p for p in board["panels"] if p["type"] != "row"]
    for panel in panels:
        assert panel["datasource"]["uid"] == "${datasource}"
        assert all(t["datasource"]["uid"] == "${datasource}" for t in panel["targets"])
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    assert len(board["uid"]) <= 40
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == ["availability: 99.90000% over 30 days", "latency: 99.50000% over 28 days"]


def test_burn_panels_draw_each_alert_thresholds(tmp_path, checkout):
    _prometheus_slos(checkout)
    (board,) = _boards(tmp_path).values()
    burns = {
        p["title"]: p
        for p in board["panels"]
        if p["type"] == "timeseries" and p["title"].startswith("Burn rate")
    }
    # availability: the four default pairs; latency (28 days) the same pairs, its own factors.
    assert len(burns) == 8
    page_fast = burns["Burn rate page-fast: page over 14.4x"]
    steps = page_fast["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert steps[-1] == {"color": "red", "value": 14.4}
    assert [t["legendFormat"] for t in page_fast["targets"]] == ["1h", "5m"]
    ticket = burns["Burn rate ticket-slow: ticket over 1x"]
    assert ticket["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]["color"] == "orange"
    assert "Burn rate page-fast: page over 13.44x" in burns  # 28 days: 2% x 28 x 24 / 100


def test_one_file_per_service_and_the_service_filter(tmp_path, checkout):
    _prometheus_slos(checkout)
    SLOFactory(name="pushed-only")  # pushed SLOs have no rules to draw
    search = SLOFactory(source="prometheus", bad_query="x_total", total_query="y_total").service
    assert sorted(_boards(tmp_path)) == sorted(["checkout", search.slug])
    assert list(_boards(tmp_path / "one", "--service", "checkout")) == ["checkout"]
    with pytest.raises(CommandError, match="no SLO of nosuch reads its SLI from Prometheus"):
        call_command("export_grafana_dashboards", "--out", str(tmp_path), "--service", "nosuch")


def test_uids_are_grafana_sized_and_tell_services_and_schemes_apart():
    long_a, long_b = "a" * 60 + "-payments", "a" * 60 + "-checkout"
    uids = {
        dashboard_uid(service, names)
        for service in ("checkout", long_a, long_b)
        for names in (KEEL, SCHEMES["sloth"])
    }
    assert len(uids) == 6
    assert all(len(uid) <= 40 and re.fullmatch(r"[a-zA-Z0-9_-]+", uid) for uid in uids)
    assert dashboard_uid("checkout") == "keel-slos-checkout"
