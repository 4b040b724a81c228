"""The demo keeps its SLI data flowing and always has its SLO; the SLO pages say "no data"
or "stale data" exactly when the gate blocks for it."""

import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from catalog.models import Service
from slos.demo import demo_sli_push
from slos.models import SLO, SliBucket
from slos.services import gate_check, slo_evaluate
from tests.factories import SLOFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _seed() -> None:
    call_command("seed_demo", stdout=StringIO())


def test_seed_demo_has_its_slo_even_when_other_slos_exist(db):
    Service.objects.create(slug="search", name="Search")
    SLOFactory(service=Service.objects.get(slug="search"), name="latency")
    _seed()
    slo = SLO.objects.get(service__slug="checkout", name="availability")
    assert slo.buckets.count() == 7 * 1440
    assert gate_check(service=slo.service).decision.decision == "allow"


def test_the_demo_traffic_keeps_the_gate_and_the_pages_on_live_data(admin_user):
    _seed()
    slo = SLO.objects.get(service__slug="checkout", name="availability")
    client = Client()
    client.force_login(admin_user)
    later = timezone.now() + timedelta(minutes=10)

    # Ten minutes without new counts (what `make run` showed five minutes after start): the
    # gate blocks on no data, and the pages say so too instead of "healthy".
    slo_evaluate(slo=slo, at=later)
    report = gate_check(service=slo.service, at=later)
    assert report.decision.decision == "block" and not report.decision.decided
    assert report.decision.reasons == ["availability: no data"]
    for url in ("/slos/", f"/slos/{slo.pk}/", "/slos/services/checkout/", "/"):
        assert "no data</span>" in client.get(url).content.decode(), url

    # Beat's demo task pushes the missing minutes: the gate and the pages agree again. Ten,
    # or eleven when a minute turned between the seed and `later`.
    last = SliBucket.objects.filter(slo=slo).order_by("-minute").values_list("minute", flat=True)[0]
    missing = (later.replace(second=0, microsecond=0) - last) // timedelta(minutes=1) - 1
    assert missing in (10, 11)
    assert demo_sli_push(at=later) == missing
    assert SliBucket.objects.filter(slo=slo, minute__gte=later - timedelta(minutes=11)).count()
    slo_evaluate(slo=slo, at=later)
    assert gate_check(service=slo.service, at=later).decision.decision == "allow"
    assert demo_sli_push(at=later) == 0  # nothing twice


def test_the_pages_say_no_data_where_the_gate_does(admin_user, checkout):
    slo = SLOFactory(service=checkout, name="fresh-but-empty")
    slo_evaluate(slo=slo)
    assert gate_check(service=checkout).decision.reasons == ["fresh-but-empty: no data"]
    client = Client()
    client.force_login(admin_user)
    for url in ("/slos/", f"/slos/{slo.pk}/", "/slos/services/checkout/", "/"):
        assert "no data</span>" in client.get(url).content.decode(), url


def test_make_run_schedules_the_demo_traffic():
    env = {**os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": "sqlite://:memory:", "REDIS_URL": ""}
    probe = "from django.conf import settings; print(sorted(settings.CELERY_BEAT_SCHEDULE))"

    def schedule(**extra: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {probe}"],
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings", **extra},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert "slos-demo-sli" in schedule(KEEL_DEMO_SLI="1")
    assert "slos-demo-sli" not in schedule(KEEL_DEMO_SLI="0")
    dry_run = subprocess.run(
        ["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    beat = next(line for line in dry_run.splitlines() if "celery -A config beat" in line)
    assert "KEEL_DEMO_SLI=1" in beat
