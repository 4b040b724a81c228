"""Migration 0006 brings schedules saved before the bounds existed into them, so that 0007
can add the check constraints: nothing a team relies on is deleted, the same people stay
on call, and every change is noted in the schedule's description and the log."""

import logging
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from oncall import rotation
from oncall.models import Layer, Override, Schedule
from oncall.selectors import to_rotation_layer

BEFORE = [("oncall", "0005_reopen_teams_working_hours_reminders")]
YEAR_1 = datetime(1, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def old_schema(django_db_setup, django_db_blocker):
    """The database as it was before the bounds (oncall at 0005); put back afterwards."""
    apps = _migrate(BEFORE)
    yield apps
    _migrate(_latest())


@pytest.mark.django_db(transaction=True)
def test_old_out_of_range_rows_are_brought_into_bounds_without_losing_schedules(old_schema, caplog):
    apps = old_schema
    user_model = apps.get_model("auth", "User")
    team_model = apps.get_model("oncall", "Team")
    schedule_model = apps.get_model("oncall", "Schedule")
    layer_model = apps.get_model("oncall", "Layer")
    participant_model = apps.get_model("oncall", "LayerParticipant")
    override_model = apps.get_model("oncall", "Override")
    ann, bob, cat = (user_model.objects.create(username=n) for n in ("ann", "bob", "cat"))
    team = team_model.objects.create(name="Payments", slug="payments")
    berlin = schedule_model.objects.create(
        team=team, name="Primary", time_zone="Europe/Berlin", description="The main rota."
    )
    other = schedule_model.objects.create(team=team, name="Other", time_zone="UTC")
    third = schedule_model.objects.create(team=team, name="Third", time_zone="UTC")

    def layer(schedule, position, people, **fields):
        row = layer_model.objects.create(
            schedule=schedule,
            position=position,
            name=fields.pop("name"),
            starts_at=fields.pop("starts_at", YEAR_1),
            handoff_at=fields.pop("handoff_at", datetime(2026, 1, 5, 8, tzinfo=UTC)),
            **fields,
        )
        for i, person in enumerate(people):
            participant_model.objects.create(layer=row, user=person, position=i)
        return row

    hourly = layer(berlin, 0, [ann, bob, cat], name="Hourly", shift_unit="hours", handoff_at=YEAR_1)
    endless = layer(other, 0, [ann, bob], name="Endless", shift_length=2_147_483_647)
    seconds = layer(
        third,
        0,
        [cat],
        name="Office",
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        restriction_start=time(9, 0, 30),
        restriction_end=time(17, 0, 0, 123),
    )
    forever = override_model.objects.create(
        schedule=berlin, user=bob, starts_at=NOW, ends_at=datetime(9999, 12, 31, 23, tzinfo=UTC)
    )
    far_future = override_model.objects.create(
        schedule=other,
        user=ann,
        starts_at=datetime(9999, 1, 1, tzinfo=UTC),
        ends_at=datetime(9999, 2, 1, tzinfo=UTC),
    )
    two_years = override_model.objects.create(
        schedule=third,
        user=cat,
        starts_at=datetime(2027, 1, 1, tzinfo=UTC),
        ends_at=datetime(2029, 1, 1, tzinfo=UTC),
    )
    # Who the hourly layer put on call over two days, before the migration.
    window = (NOW, NOW + timedelta(days=2))
    before = rotation.layer_coverage(
        rotation.Layer(
            participants=(ann.pk, bob.pk, cat.pk),
            shift_length=1,
            shift_unit="hours",
            anchor=YEAR_1,
            start=YEAR_1,
        ),
        *window,
        "Europe/Berlin",
    )

    with caplog.at_level(logging.WARNING, logger="oncall.migrations"):
        _migrate(_latest())

    hourly_now = Layer.objects.get(pk=hourly.pk)
    assert hourly_now.handoff_at.year == 1970 and hourly_now.starts_at.year == 1970
    assert rotation.layer_coverage(to_rotation_layer(hourly_now), *window, "Europe/Berlin") == (
        before
    )
    assert Layer.objects.get(pk=endless.pk).shift_length == 52
    office = Layer.objects.get(pk=seconds.pk)
    assert (office.restriction_start, office.restriction_end) == (time(9), time(17))
    assert Override.objects.get(pk=forever.pk).ends_at == NOW + timedelta(days=366)
    assert not Override.objects.filter(pk=far_future.pk).exists()  # never covered anyone
    assert Override.objects.get(pk=two_years.pk).ends_at == datetime(2028, 1, 2, tzinfo=UTC)
    assert Layer.objects.count() == 3 and Schedule.objects.count() == 3

    description = Schedule.objects.get(pk=berlin.pk).description
    assert description.startswith("The main rota.\n\nValues outside Keel's bounds were adjusted")
    assert "layer 'Hourly': handoff time 0001-01-01 00:00 UTC -> 1970-01-" in description
    assert "override 2026-12-01 12:00 UTC - 9999-12-31 23:00 UTC -> " in description
    other_notes = Schedule.objects.get(pk=other.pk).description
    assert "shift length 2147483647 weeks -> 52 weeks" in other_notes
    assert "removed: it lies wholly outside 1970-2200" in other_notes
    assert "restriction start 09:00:30 -> 09:00" in Schedule.objects.get(pk=third.pk).description
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "brought into Keel's bounds" in logged and "52 weeks" in logged
