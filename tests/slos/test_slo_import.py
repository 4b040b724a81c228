"""Importing SLO files and exporting their Prometheus rules, on PostgreSQL, with the real
promtool: the seed articles' files, Sloth's and OpenSLO's examples, and the definitions the
form and the API accept, all under one check of their queries."""

import re
import shutil
import subprocess
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Service, Team
from core.actors import Actor
from slos.models import SLO
from slos.services import slo_update
from tests.factories import SLOFactory
from tests.slos.test_forms import SLO_POST, _client
from tests.slos.test_slo_rules import FRAGMENTS

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
SLOTH = DATA / "sloth"
NOT_IMPORTABLE = {
    "plugin-getting-started.yml",
    "plugin-k8s-getting-started.yml",
    "victoria-metrics.yml",
}
needs_promtool = pytest.mark.skipif(shutil.which("promtool") is None, reason="no promtool")


def _export(tmp_path: Path) -> tuple[list[dict], subprocess.CompletedProcess]:
    out = tmp_path / "rules.yml"
    call_command("export_prometheus_rules", "--output", str(out))
    checked = subprocess.run(
        ["promtool", "check", "rules", str(out)], capture_output=True, text=True, check=False
    )
    return yaml.safe_load(out.read_text())["groups"], checked


def test_seed_plain_file_with_prose_is_refused_and_changes_nothing():
    with pytest.raises(CommandError) as refused:
        call_command("import_slos", str(DATA / "seed" / "plain-checkout-api.yaml"))
    message = str(refused.value)
    assert "plain-checkout-api.yaml: document 1: slos[0].sli.numerator: " in message
    assert "is a description, not a PromQL query" in message
    assert not SLO.objects.exists() and not Service.objects.exists()


@needs_promtool
def test_seed_sloth_files_import_with_their_alerting_and_export_cleanly(tmp_path, capsys):
    call_command(
        "import_slos",
        str(DATA / "seed" / "sloth-api-availability.yaml"),
        str(DATA / "seed" / "sloth-tr-web.yaml"),
    )
    out = capsys.readouterr().out
    assert (
        "read error_query, total_query, page_alert, ticket_alert (the prometheus/v1 spelling)"
        in (out)
    )
    assert "severity=critical not applied" in out
    assert SLO.objects.count() == 3
    groups, checked = _export(tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    alerts = [r for g in groups for r in g["rules"] if "alert" in r]
    tr_web = [a for a in alerts if a["labels"]["slo"] == "requests-availability"
              and a["labels"]["service"] == "tr-web"]  # fmt: skip
    assert {a["alert"] for a in tr_web} == {"TrWebHighErrorRate"}
    assert all(a["labels"]["team"] == "platform" for a in tr_web)
    assert {a["labels"]["severity"] for a in tr_web} == {"page", "ticket"}
    assert all(a["annotations"]["summary"] == "High error rate on tr-web" for a in tr_web)
    api = [a for a in alerts if a["labels"]["service"] == "api-service"]
    assert {a["alert"] for a in api} == {"APIAvailabilityBurnRate"}
    assert all(
        a["labels"].get("team") == "platform" for a in api if a["labels"]["severity"] == "page"
    )


def test_sloth_labels_owner_becomes_the_service_owner(capsys):
    call_command("import_slos", str(SLOTH / "getting-started.yml"))
    assert Service.objects.get(slug="myservice").owner is None
    assert "labels.owner: no team 'myteam' in Keel" in capsys.readouterr().out
    team = Team.objects.create(name="My team", slug="myteam")
    call_command("import_slos", str(SLOTH / "getting-started.yml"))
    assert Service.objects.get(slug="myservice").owner == team


def test_an_unknown_plain_owner_is_reported_at_owner():
    with pytest.raises(CommandError) as refused:
        call_command("import_slos", str(DATA / "variants" / "plain-owner-unknown.yaml"))
    assert "plain-owner-unknown.yaml: document 1: owner: no team 'nobody-team'" in str(
        refused.value
    )
    assert "slos[0]" not in str(refused.value)
    assert not SLO.objects.exists()


def test_latency_threshold_in_ms_is_stored_as_the_seconds_bucket():
    Team.objects.create(name="Payments", slug="payments-team")
    call_command("import_slos", str(DATA / "variants" / "plain-checkout-api-queries.yaml"))
    latency = SLO.objects.get(name="checkout_latency")
    assert 'le="2"' in latency.good_query and "2000" not in latency.good_query


def _importable() -> list[str]:
    sloth = [p for p in sorted(SLOTH.glob("*.y*ml")) if p.name not in NOT_IMPORTABLE]
    return [
        str(p)
        for p in [
            *sloth,
            DATA / "seed" / "sloth-api-availability.yaml",
            DATA / "seed" / "sloth-tr-web.yaml",
            DATA / "sloth-k8s.yaml",
            DATA / "openslo.yaml",
            DATA / "variants" / "openslo-rate.yaml",
        ]
    ]


@needs_promtool
def test_every_importable_example_exports_rules_promtool_accepts(tmp_path, capsys):
    call_command("import_slos", *_importable())
    # an SLO saved before queries were checked: left out of the export, and named
    SLO.objects.create(
        service=Service.objects.get(slug="orders"),
        name="old-metricsql",
        objective=Decimal("99"),
        source="prometheus",
        bad_query="1 - histogram_share(0.2, sum(rate(x[{{.window}}])))",
        total_query="vector(1)",
    )
    SLOFactory(service=Service.objects.get(slug="orders"), name="pushed")  # not exported
    groups, checked = _export(tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS" in checked.stdout
    assert "left out orders/old-metricsql: " in capsys.readouterr().err
    exported = {(g["name"]) for g in groups}
    assert len(exported) == SLO.objects.filter(source="prometheus").count() - 1
    orders = next(g for g in groups if g["name"] == "keel-slo-orders-orders-availability")
    assert "[{{.window}}]" not in str(orders) and "[5m]" not in orders["rules"][0]["expr"]


def test_the_rate_query_is_stored_as_a_window_template():
    call_command("import_slos", str(DATA / "variants" / "openslo-rate.yaml"))
    slo = SLO.objects.get(name="orders-availability")
    assert slo.total_query == 'sum(rate(http_requests_total{service="orders"}[{{.window}}]))'


# --- Keel's windows and burn factors against Sloth's generated rules -------------------------

SLOTH_PAIR = re.compile(r"ratio_rate(\w+)\{[^}]*\} > \(([\d.]+) \* ([\d.e-]+)\)")
KEEL_PAIR = re.compile(r"keel:slo_errors:ratio_rate(\w+)\{[^}]*\} > ([\d.e-]+)")


def _sloth_pairs(path: Path) -> dict[str, set[tuple[str, str, str, Fraction]]]:
    """slo -> {(severity, long, short, factor)} from Sloth's generated alerts."""
    found: dict[str, set[tuple[str, str, str, Fraction]]] = {}
    for document in yaml.safe_load_all(path.read_text()):
        for group in (document or {}).get("groups", []):
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                slo = re.search(r'sloth_slo="([^"]+)"', rule["expr"]).group(1)
                hits = SLOTH_PAIR.findall(rule["expr"])
                for (short, factor, _), (long, _, _) in zip(hits[::2], hits[1::2], strict=True):
                    found.setdefault(slo, set()).add(
                        (rule["labels"]["sloth_severity"], long, short, Fraction(factor))
                    )
    return found


@pytest.mark.parametrize(
    "name", ["getting-started.yml", "kubernetes-apiserver.yml", "home-wifi.yml"]
)
def test_keel_windows_and_burn_factors_match_sloths(tmp_path, name):
    call_command("import_slos", str(SLOTH / name))
    expected = _sloth_pairs(SLOTH / "generated" / name)
    groups, _ = _export(tmp_path) if shutil.which("promtool") else (None, None)
    if groups is None:
        out = tmp_path / "rules.yml"
        call_command("export_prometheus_rules", "--output", str(out))
        groups = yaml.safe_load(out.read_text())["groups"]
    assert expected
    for slo_name, pairs in expected.items():
        slo = SLO.objects.get(name=slo_name)
        budget = 1 - Fraction(slo.objective) / 100
        group = next(g for g in groups if g["rules"][0]["labels"]["slo"] == slo_name)
        keel = set()
        for rule in group["rules"]:
            if "alert" in rule:
                (long, threshold), (short, _) = KEEL_PAIR.findall(rule["expr"])
                factor = Fraction(threshold) / budget
                keel.add((rule["labels"]["severity"], long, short, factor.limit_denominator(1000)))
        assert keel == pairs, slo_name
        records = {r["record"].removeprefix("keel:slo_errors:ratio_rate") for r in group["rules"]
                   if "record" in r}  # fmt: skip
        assert {p[1] for p in pairs} | {p[2] for p in pairs} | {"30d"} <= records


# --- the form and the API use the same checks -----------------------------------------------


@pytest.mark.parametrize(
    ("bad_query", "reason"),
    [
        ("requests with status < 500", "is a description, not a PromQL query"),
        ("1 - histogram_share(0.2, sum(rate(x[{{.window}}])))", "MetricsQL"),
        ("max(rate(x[5m]))", "cannot read it over an arbitrary window"),
    ],
)
def test_api_refuses_queries_keel_cannot_run_at_their_field(admin_api, checkout, bad_query, reason):
    body = {
        "service": "checkout",
        "name": "availability",
        "objective": "99.9",
        "source": "prometheus",
        "bad_query": bad_query,
        "total_query": "sum(rate(http_requests_total[{{.window}}]))",
    }
    response = admin_api.post("/api/v1/slos/", body, format="json")
    assert response.status_code == 400
    assert "bad_query" in response.json()["errors"], response.json()
    assert reason in response.json()["message"]
    assert not SLO.objects.exists()


def test_api_stores_a_counter_rate_as_a_window_template_and_refuses_bad_alerting(
    admin_api, checkout
):
    body = {
        "service": "checkout",
        "name": "availability",
        "objective": "99.9",
        "source": "prometheus",
        "bad_query": 'sum(rate(http_requests_total{code=~"5.."}[5m]))',
        "total_query": "sum(rate(http_requests_total[5m]))",
        "alerting": {"name": "CheckoutBurn", "page": {"labels": {"severity": "critical"}}},
    }
    refused = admin_api.post("/api/v1/slos/", body, format="json")
    assert refused.status_code == 400 and "alerting" in refused.json()["errors"]
    body["alerting"] = {"name": "CheckoutBurn", "page": {"labels": {"routing": "web"}}}
    created = admin_api.post("/api/v1/slos/", body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["total_query"] == "sum(rate(http_requests_total[{{.window}}]))"
    assert created.json()["alerting"]["name"] == "CheckoutBurn"


def test_form_shows_a_prose_query_next_to_its_field(admin_user, checkout):
    post = {
        **SLO_POST,
        "source": "prometheus",
        "good_query": "requests with status < 500",
        "total_query": "http_requests_total",
        "alerting": "",
    }
    response = _client(admin_user).post("/slos/new/", post)
    assert response.status_code == 400
    html = response.content.decode()
    near = html[html.index('name="good_query"') - 600 : html.index('name="good_query"') + 600]
    assert "has-error" in near and "is a description, not a PromQL query" in near
    assert not SLO.objects.exists()


def test_editing_an_older_slo_stores_its_fixed_range_rewritten_to_the_window(checkout):
    old = SLO.objects.create(
        service=checkout,
        name="old",
        objective=Decimal("99.9"),
        source="prometheus",
        bad_query='sum(rate(http_requests_total{code=~"5.."}[5m]))',
        total_query="sum(rate(http_requests_total[5m]))",
    )
    slo_update(actor=Actor.system(), slo=old, description="Checkout requests")
    old.refresh_from_db()
    assert old.description == "Checkout requests"
    assert old.bad_query == 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))'
    assert old.total_query == "sum(rate(http_requests_total[{{.window}}]))"


_query_text = st.one_of(
    st.text(max_size=40),
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map("".join),
)
_alerting = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "labels",
                    "annotations",
                    "page",
                    "ticket",
                    "disabled",
                    "team",
                    "severity",
                    "x",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bad=_query_text, total=_query_text, alerting=_alerting)
def test_api_answers_any_query_and_alerting_with_201_or_a_400(
    admin_api, checkout, bad, total, alerting
):
    body = {
        "service": "checkout",
        "name": "fuzzed",
        "objective": "99.9",
        "source": "prometheus",
        "bad_query": bad,
        "total_query": total,
        "alerting": alerting,
    }
    response = admin_api.post("/api/v1/slos/", body, format="json")
    assert response.status_code in (201, 400), response.content[:500]
    if response.status_code == 400:
        assert response.json()["message"]
    SLO.objects.filter(name="fuzzed").delete()
