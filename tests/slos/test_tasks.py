"""The per-minute evaluation through a real Celery worker on Redis, and its beat entry."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from slos.models import SloStatus
from slos.tasks import evaluate_all
from tests.celery_worker import needs_redis, running_worker, wait_for
from tests.factories import SLOFactory, push_minutes

pytestmark = needs_redis


def test_beat_evaluates_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["slos-evaluate"]
    assert entry["task"] == "slos.tasks.evaluate_all"
    assert entry["schedule"] == 60.0


@pytest.mark.django_db(transaction=True)
def test_a_worker_evaluates_every_slo(checkout, settings):
    now = timezone.now()
    healthy = SLOFactory(service=checkout, name="healthy")
    burning = SLOFactory(service=checkout, name="burning")
    push_minutes(healthy, now - timedelta(minutes=30), 31, good=1000, total=1000, now=now)
    push_minutes(burning, now - timedelta(minutes=30), 31, good=900, total=1000, now=now)
    with running_worker(settings):
        evaluate_all.delay()
        wait_for(lambda: SloStatus.objects.count() == 2, "the worker evaluates both SLOs")
        # the burning SLO opens an incident on the same pass; let it finish
        wait_for(
            lambda: SloStatus.objects.filter(slo=burning, burn_incident__isnull=False).exists(),
            "an incident for the page-level burn",
        )
    assert SloStatus.objects.get(slo=healthy).tier == "healthy"
    status = SloStatus.objects.get(slo=burning)
    assert (status.tier, status.alert_state) == ("freeze", "page")
    assert status.burn_incident.services.get() == checkout
