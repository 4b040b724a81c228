"""Schedule, layer and override services, and the invariants the database keeps."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.errors import KeelError
from oncall.choices import TargetKind
from oncall.models import EscalationTarget, Layer, Override
from oncall.selectors import oncall_now, schedule_list
from oncall.services import (
    StepSpec,
    TargetSpec,
    layer_create,
    override_create,
    policy_create,
    schedule_create,
)
from tests.factories import person

from .conftest import ANCHOR, on_call_now, week_of


def test_the_weekly_rotation_alternates_and_an_override_takes_over(schedule, ann, bob, cat):
    now = timezone.now()
    expected = [ann, bob][week_of(now) % 2]
    assert on_call_now(schedule, now) == expected.pk

    override_create(
        user=bob,
        schedule=schedule,
        person=cat,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
        reason="dentist",
    )

    assert on_call_now(schedule, now) == cat.pk
    assert on_call_now(schedule, now + timedelta(hours=2)) == expected.pk


def test_an_overlapping_override_is_explained_and_not_saved(schedule, ann, bob, cat):
    start = timezone.now() + timedelta(days=1)
    override_create(
        user=ann, schedule=schedule, person=cat, starts_at=start, ends_at=start + timedelta(hours=8)
    )

    with pytest.raises(KeelError) as refused:
        override_create(
            user=ann,
            schedule=schedule,
            person=bob,
            starts_at=start + timedelta(hours=4),
            ends_at=start + timedelta(hours=12),
        )

    assert "Conflicts with an existing override: cat covers" in refused.value.message
    assert refused.value.field == "starts_at"
    assert Override.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the exclusion constraint is PostgreSQL's"
)
def test_the_database_refuses_overlapping_overrides_that_bypass_the_service(schedule, ann, bob):
    start = timezone.now() + timedelta(days=2)
    Override.objects.create(
        schedule=schedule, user=ann, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Override.objects.create(
            schedule=schedule,
            user=bob,
            starts_at=start + timedelta(hours=1),
            ends_at=start + timedelta(hours=3),
        )
    # Back to back is fine: [start, end) intervals.
    Override.objects.create(
        schedule=schedule,
        user=bob,
        starts_at=start + timedelta(hours=2),
        ends_at=start + timedelta(hours=3),
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_at": ANCHOR}, "must end after it starts"),
        (
            {
                "starts_at": datetime(2020, 1, 1, tzinfo=UTC),
                "ends_at": datetime(2020, 1, 2, tzinfo=UTC),
            },
            "past",
        ),
    ],
)
def test_bad_overrides_are_refused(schedule, cat, change, message):
    start = timezone.now() + timedelta(days=1)
    fields = {"starts_at": start, "ends_at": start + timedelta(hours=1), **change}
    with pytest.raises(KeelError, match=message):
        override_create(user=cat, schedule=schedule, person=cat, **fields)


def test_only_team_members_cover_or_rotate(schedule, team):
    stranger = person("stranger")
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(KeelError, match="not a member"):
        override_create(
            user=None,
            schedule=schedule,
            person=stranger,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
    with pytest.raises(KeelError, match="Not members of Payments: stranger"):
        layer_create(
            user=None, schedule=schedule, name="X", participants=[stranger], handoff_at=ANCHOR
        )


def test_viewers_cannot_override_and_responders_cannot_configure(schedule, team, cat):
    viewer = person("val", "viewer")
    team.members.add(viewer)
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(PermissionDenied):
        override_create(
            user=viewer,
            schedule=schedule,
            person=cat,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
        )
    with pytest.raises(PermissionDenied):
        schedule_create(user=cat, team=team, name="Secondary")
    with pytest.raises(PermissionDenied):
        layer_create(user=cat, schedule=schedule, name="X", participants=[cat], handoff_at=ANCHOR)


def test_a_business_hours_layer_on_top_wins_in_office_hours(schedule, cat):
    layer_create(
        user=None,
        schedule=schedule,
        name="Office",
        participants=[cat],
        handoff_at=ANCHOR,
        restriction_weekdays=[0, 1, 2, 3, 4],
        restriction_start=time(9),
        restriction_end=time(17),
    )
    tuesday_noon = datetime(2026, 6, 2, 10, tzinfo=UTC)  # 12:00 in Berlin (CEST)
    tuesday_night = datetime(2026, 6, 2, 20, tzinfo=UTC)
    assert on_call_now(schedule, tuesday_noon) == cat.pk
    assert on_call_now(schedule, tuesday_night) != cat.pk
    assert [layer.position for layer in Layer.objects.filter(schedule=schedule)] == [0, 1]


def test_bad_layers_are_refused(schedule, ann):
    cases: list[tuple[dict[str, Any], str]] = [
        ({"shift_length": 0}, "shift length must be 1 to 52 weeks"),
        ({"shift_unit": "fortnights"}, "Shift unit"),
        ({"restriction_start": time(9)}, "both restriction hours"),
        ({"participants": []}, "at least one participant"),
        ({"restriction_weekdays": [7]}, "Weekdays are 0"),
        ({"ends_at": ANCHOR - timedelta(days=1)}, "end after it starts"),
    ]
    for change, message in cases:
        fields = {"name": "L", "participants": [ann], "handoff_at": ANCHOR, **change}
        with pytest.raises(KeelError, match=message):
            layer_create(user=None, schedule=schedule, **fields)
    assert schedule.layers.count() == 1


def test_a_step_target_must_match_its_kind_in_the_database(policy):
    step = policy.steps.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        EscalationTarget.objects.create(step=step, kind=TargetKind.USER)


def test_policies_refuse_empty_steps_and_foreign_schedules(team, schedule, ann):
    other = person("olga", "admin")
    from oncall.services import team_create

    other_team = team_create(user=None, name="Other", slug="other", members=[other])
    foreign = schedule_create(user=None, team=other_team, name="Theirs")
    with pytest.raises(KeelError, match="notifies nobody"):
        policy_create(
            user=None, team=team, name="P", steps=[StepSpec(escalate_after_minutes=5, targets=[])]
        )
    with pytest.raises(KeelError, match="belongs to another team"):
        policy_create(
            user=None,
            team=team,
            name="P",
            steps=[
                StepSpec(
                    escalate_after_minutes=5,
                    targets=[TargetSpec(kind=TargetKind.SCHEDULE, schedule=foreign)],
                )
            ],
        )


def test_a_new_default_policy_replaces_the_old_default(team, policy, ann):
    newer = policy_create(
        user=None,
        team=team,
        name="Newer",
        steps=[
            StepSpec(escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.USER, user=ann)])
        ],
    )
    policy.refresh_from_db()
    assert newer.is_default and not policy.is_default


def test_oncall_now_reads_every_schedule_in_a_bounded_number_of_queries(
    django_assert_max_num_queries, team, schedule, ann, bob
):
    for i in range(5):
        extra = schedule_create(user=None, team=team, name=f"Extra {i}")
        layer_create(
            user=None,
            schedule=extra,
            name="Daily",
            participants=[ann, bob],
            shift_unit="days",
            handoff_at=ANCHOR,
        )
    with django_assert_max_num_queries(6):
        rows = oncall_now(schedules=schedule_list(user=None))
    assert len(rows) == 6
    assert all(
        row.now in (ann, bob) and row.next in (ann, bob) and row.now != row.next for row in rows
    )
