"""On-call fixtures: the team's weekly rotation, an escalation policy, a service it owns."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from oncall.choices import TargetKind
from oncall.services import (
    StepSpec,
    TargetSpec,
    layer_create,
    policy_create,
    schedule_create,
)
from tests.factories import ServiceFactory

# A Monday 09:00 in Berlin, long enough ago that every test's "now" is inside the rotation.
ANCHOR = datetime(2026, 1, 5, 8, tzinfo=UTC)


@pytest.fixture
def schedule(team, ann, bob):
    primary = schedule_create(user=None, team=team, name="Primary")
    layer_create(
        user=None, schedule=primary, name="Weekly", participants=[ann, bob], handoff_at=ANCHOR
    )
    return primary


@pytest.fixture
def policy(team, schedule, cat):
    return policy_create(
        user=None,
        team=team,
        name="Default",
        steps=[
            StepSpec(
                escalate_after_minutes=5,
                targets=[TargetSpec(kind=TargetKind.SCHEDULE, schedule=schedule)],
            ),
            StepSpec(
                escalate_after_minutes=10, targets=[TargetSpec(kind=TargetKind.USER, user=cat)]
            ),
        ],
    )


@pytest.fixture
def payments_service(team):
    service = ServiceFactory(slug="payments-api", name="Payments API")
    service.owner = team
    service.save(update_fields=["owner"])
    return service


def on_call_now(schedule, at=None) -> Any:
    from django.utils import timezone

    from oncall.selectors import on_call_user_ids

    ids = on_call_user_ids(schedule, at or timezone.now())
    return ids[0] if ids else None


def week_of(at: datetime) -> int:
    return int((at - ANCHOR) // timedelta(weeks=1))
