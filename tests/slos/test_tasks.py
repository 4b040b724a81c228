"""The per-minute evaluation through a real Celery worker on Redis, and its beat entry."""

import gc
import time
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from slos.models import SloStatus
from slos.tasks import evaluate_all
from tests.slos.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.skipif(
    not settings.REDIS_URL, reason="needs REDIS_URL: the broker of the real worker"
)


def test_beat_evaluates_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["slos-evaluate"]
    assert entry["task"] == "slos.tasks.evaluate_all"
    assert entry["schedule"] == 60.0


@pytest.mark.django_db(transaction=True)
def test_a_worker_evaluates_every_slo(checkout):
    now = timezone.now()
    healthy = SLOFactory(service=checkout, name="healthy")
    burning = SLOFactory(service=checkout, name="burning")
    push_minutes(healthy, now - timedelta(minutes=30), 31, good=1000, total=1000, now=now)
    push_minutes(burning, now - timedelta(minutes=30), 31, good=900, total=1000, now=now)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        celery_app.control.purge()
        with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
            evaluate_all.delay()
            deadline = time.monotonic() + 20
            while SloStatus.objects.count() < 2:
                assert time.monotonic() < deadline, "the worker did not evaluate both SLOs"
                time.sleep(0.1)
            # the burning SLO opens an incident on the same pass; let it finish
            while not SloStatus.objects.filter(slo=burning, burn_incident__isnull=False).exists():
                assert time.monotonic() < deadline, "no incident for the page-level burn"
                time.sleep(0.1)
    finally:
        celery_app.conf.task_always_eager = eager
        gc.collect()  # the worker thread's database connection, so teardown can drop the db
    assert SloStatus.objects.get(slo=healthy).tier == "healthy"
    status = SloStatus.objects.get(slo=burning)
    assert (status.tier, status.alert_state) == ("freeze", "page")
    assert status.burn_incident.services.get() == checkout
