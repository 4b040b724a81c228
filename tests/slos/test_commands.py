"""SLOs as code (import), Prometheus rules (export, checked by promtool) and the CLI gate."""

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Service, Team
from slos.models import SLO
from tests.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
EXAMPLES = ["sloth-k8s.yaml", "sloth-plain.yml", "openslo.yaml", "plain.yaml"]


def test_import_real_examples_then_upsert(capsys):
    Team.objects.create(name="Payments", slug="payments")
    call_command("import_slos", *[str(DATA / f) for f in EXAMPLES])
    slos = {(s.service.slug, s.name): s for s in SLO.objects.select_related("service")}
    assert len(slos) == 7
    checkout = slos[("checkout", "requests-availability")]
    assert str(checkout.objective) == "99.90000"
    assert checkout.source == "prometheus"
    assert "{{.window}}" in checkout.bad_query
    assert checkout.labels["owner"] == "payments-team"
    minutes = slos[("web-frontend", "frontend-latency-minutes")]
    assert (minutes.window_kind, minutes.time_zone) == ("calendar_month", "Europe/Berlin")
    assert (minutes.budgeting_method, str(minutes.slice_target)) == ("timeslices", "0.95000")
    assert slos[("web-frontend", "frontend-availability")].window_days == 28
    latency = slos[("billing", "invoice-api-latency")]
    assert latency.good_query == 'http_request_duration_seconds_bucket{service="billing", le="0.5"}'
    assert latency.window_days == 7
    assert Service.objects.get(slug="billing").owner.slug == "payments"

    # importing again updates in place
    call_command("import_slos", str(DATA / "sloth-plain.yml"))
    assert SLO.objects.count() == 7
    assert "updated search/requests-availability" in capsys.readouterr().out


def test_dry_run_changes_nothing(capsys):
    call_command("import_slos", "--dry-run", str(DATA / "sloth-k8s.yaml"))
    assert not SLO.objects.exists() and not Service.objects.exists()
    assert "nothing changed" in capsys.readouterr().out


def test_errors_name_file_document_and_field(tmp_path):
    with pytest.raises(CommandError, match=r"broken.yaml: document 1: spec.indicatorRef"):
        call_command("import_slos", str(DATA / "broken.yaml"))
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: prometheus/v1\nservice: x\nslos:\n  - name: a\n    objective: 100\n")
    with pytest.raises(CommandError, match=r"bad.yaml: document 1: slos\[0\].objective"):
        call_command("import_slos", str(bad))
    assert not SLO.objects.exists()


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool is not installed")
def test_exported_rules_pass_promtool(tmp_path):
    call_command("import_slos", *[str(DATA / f) for f in EXAMPLES if f != "plain.yaml"])
    SLOFactory(service=Service.objects.get(slug="checkout"), name="pushed-one")  # not exported
    out = tmp_path / "rules.yml"
    call_command("export_prometheus_rules", "--output", str(out))
    checked = subprocess.run(
        ["promtool", "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    groups = yaml.safe_load(out.read_text())["groups"]
    assert len(groups) == 5
    alerts = [r for g in groups for r in g["rules"] if "alert" in r]
    # payment-provider-ratio disables its page alerts (pageAlert.disable), so 4 x 5 - 2
    assert len(alerts) == 18
    first = next(
        a
        for a in alerts
        if a["labels"]["slo"] == "requests-availability" and a["labels"]["service"] == "checkout"
    )
    assert first["labels"]["severity"] == "page"
    assert "> 0.0144" in first["expr"]
    records = {r["record"] for g in groups for r in g["rules"] if "record" in r}
    assert "keel:slo_errors:ratio_rate30d" in records and "keel:slo_errors:ratio_rate28d" in records


def _gate(service: str) -> int:
    with pytest.raises(SystemExit) as exited:
        call_command("deploy_gate", service)
    return int(exited.value.code)


def test_deploy_gate_exit_codes(checkout, capsys):
    assert _gate("nope") == 2
    assert "no service" in capsys.readouterr().err
    slo = SLOFactory(service=checkout)
    assert _gate("checkout") == 2  # no data: cannot decide, and it blocks
    assert capsys.readouterr().out.startswith("block (cannot decide) checkout")
    now = timezone.now()
    push_minutes(slo, now - timedelta(minutes=90), 91, good=1000, total=1000, now=now)
    assert _gate("checkout") == 0
    assert capsys.readouterr().out.startswith("allow checkout (tier healthy)")


def test_deploy_gate_tells_a_budget_block_from_an_outage(settings, checkout, capsys):
    """1 is the budget saying no; 2 is the gate unable to read the budget (both block)."""
    exhausted = SLOFactory(service=checkout, name="availability")
    now = timezone.now()
    push_minutes(exhausted, now - timedelta(minutes=60), 61, good=990, total=1000, now=now)
    assert _gate("checkout") == 1
    out = capsys.readouterr().out
    assert out.startswith("block checkout (tier freeze)") and "cannot decide" not in out

    search = Service.objects.create(slug="search", name="Search")
    settings.KEEL_PROMETHEUS_URL = "http://127.0.0.1:9"  # nothing listens on discard
    SLOFactory(
        service=search,
        source="prometheus",
        bad_query='http_requests_total{code="500"}',
        total_query="http_requests_total",
    )
    assert _gate("search") == 2
    out = capsys.readouterr().out
    assert out.startswith("block (cannot decide) search") and "unreachable" in out

    # A budget block on one SLO is a real block even when another SLO has no data.
    SLOFactory(service=checkout, name="latency")
    assert _gate("checkout") == 1
