"""Escalation through a real Celery worker on Redis: steps fire in order, and stop on
acknowledge."""

import time
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from core.actors import Actor
from incidents.choices import EntryKind
from incidents.services import incident_acknowledge, incident_declare
from oncall.choices import EscalationState, TargetKind
from oncall.models import Escalation, Page
from oncall.services import StepSpec, TargetSpec, policy_update
from oncall.tasks import escalation_step, escalations_due
from tests.celery_worker import needs_redis, wait_for

pytestmark = needs_redis


@pytest.fixture(autouse=True)
def _mail(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def drain() -> None:
    """Wait until the worker has taken every message off the queue, and a moment more."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    wait_for(lambda: client.llen("celery") == 0, "the queue drains")
    time.sleep(1.0)


def time_passes(escalation: Escalation) -> None:
    """The step's wait is over: what the countdown does in minutes, in a moment."""
    Escalation.objects.filter(pk=escalation.pk).update(
        next_at=timezone.now() - timedelta(minutes=5)
    )
    escalations_due.delay()


@pytest.mark.timeout(120)
def test_steps_fire_in_order_through_the_worker_and_stop_on_acknowledge(
    worker, policy, payments_service, responder, ann, bob, cat, schedule
):
    policy_update(
        user=None,
        policy=policy,
        name=policy.name,
        repeat=2,
        is_default=True,
        steps=[
            StepSpec(
                escalate_after_minutes=5,
                targets=[TargetSpec(kind=TargetKind.SCHEDULE, schedule=schedule)],
            ),
            StepSpec(
                escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.USER, user=cat)]
            ),
            StepSpec(
                escalate_after_minutes=5,
                targets=[TargetSpec(kind=TargetKind.TEAM, team=policy.team)],
            ),
        ],
    )

    incident = incident_declare(
        actor=Actor.of(responder),
        title="Checkout down",
        severity="SEV1",
        services=[payments_service],
    )

    wait_for(lambda: Page.objects.count() == 1, "step 1 pages whoever is on call")
    first = Page.objects.get()
    assert first.user in (ann, bob) and first.step_position == 0
    escalation = Escalation.objects.get(incident=incident)
    assert escalation.next_position == 1
    drain()
    assert Page.objects.count() == 1  # step 2 waits its 5 minutes

    time_passes(escalation)
    wait_for(lambda: Page.objects.filter(step_position=1).exists(), "step 2 pages cat")
    assert Page.objects.get(step_position=1).user == cat

    incident_acknowledge(incident=incident, actor=Actor.of(cat))
    wait_for(
        lambda: Escalation.objects.get(pk=escalation.pk).state == EscalationState.ACKNOWLEDGED,
        "the escalation stops",
    )
    # The countdown of step 3 arrives anyway, and the periodic check runs: neither pages.
    escalation_step.delay(escalation.pk, 2, 0)
    time_passes(escalation)
    drain()

    assert Page.objects.count() == 2
    steps = [
        e.data["step"] for e in incident.timeline.filter(kind=EntryKind.PAGED).order_by("at", "id")
    ]
    assert steps == [1, 2]
    assert set(Page.objects.values_list("acknowledged_at", flat=True)) != {None}


@pytest.mark.timeout(120)
def test_a_reopened_incident_pages_again_from_step_one_through_the_worker(
    worker, policy, payments_service, responder, schedule
):
    from incidents.services import incident_reopen, incident_resolve
    from oncall.tasks import escalation_restart

    from .conftest import on_call_now

    incident = incident_declare(
        actor=Actor.of(responder), title="Queue stuck", severity="SEV2", services=[payments_service]
    )
    wait_for(lambda: Page.objects.count() == 1, "step 1 pages whoever is on call")
    incident_acknowledge(incident=incident, actor=Actor.of(responder))
    incident_resolve(incident=incident, actor=Actor.of(responder))
    wait_for(
        lambda: Escalation.objects.get().state == EscalationState.ACKNOWLEDGED,
        "the first escalation stops",
    )

    incident_reopen(incident=incident, actor=Actor.of(responder), reason="Stuck again.")

    wait_for(lambda: Page.objects.count() == 2, "the reopen pages again")
    again = Page.objects.order_by("-id").first()
    assert again is not None
    assert (again.user_id, again.step_position) == (on_call_now(schedule), 0)
    escalation_restart.delay(incident.pk)  # a duplicate delivery of the restart
    drain()
    assert Page.objects.count() == 2
    assert Escalation.objects.filter(state=EscalationState.RUNNING).count() == 1
    steps = [
        e.data["step"] for e in incident.timeline.filter(kind=EntryKind.PAGED).order_by("at", "id")
    ]
    assert steps == [1, 1]
