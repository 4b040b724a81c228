"""The on-call selectors and a step's recipients under hostile layer values: they never
raise, and a fallback is always named."""

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.services import team_update
from oncall import selectors
from oncall.rotation import Layer as RotationLayer
from oncall.services.fallback import step_recipients

from .test_rotation_hostile import hostile_layers, unchecked

AT = datetime(2026, 12, 1, 10, tzinfo=UTC)
DB_EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def stored(monkeypatch, schedule):
    """The schedule's stored layer is read as whatever value `stored.value` holds: bad old
    data as the rotation math would receive it, whatever the database now refuses."""

    class Holder:
        value: Any = None
        build_fails = False

    real = selectors.to_rotation_layer

    def read(layer: Any) -> RotationLayer:
        if Holder.build_fails:
            raise ValueError("shift_length must be at least 1")
        return Holder.value if Holder.value is not None else real(layer)

    monkeypatch.setattr(selectors, "to_rotation_layer", read)
    return Holder


@DB_EXAMPLES
@given(layer=hostile_layers, build_fails=st.booleans(), with_fallback=st.booleans())
def test_hostile_layers_never_stop_a_step_and_someone_is_always_named(
    stored, layer, build_fails, with_fallback, policy, team, ann, bob, cat, admin_user
):
    ids = {"ann": ann.pk, "bob": bob.pk, "cat": cat.pk}  # 7 and 8 stay: unknown user ids
    who = tuple(ids.get(p, p) for p in layer.participants)
    stored.value = unchecked(RotationLayer, **{**layer.__dict__, "participants": who})
    stored.build_fails = build_fails
    team_update(user=None, team=team, fallback_contacts=[cat] if with_fallback else [])
    step = policy.steps.get(position=0)  # on call for the schedule
    schedule = team.schedules.get()

    found = step_recipients(step, AT)
    rows = selectors.oncall_now(schedules=selectors.schedule_list(user=None), at=AT)
    now = selectors.on_call_at(schedule, AT)

    assert found.people, "a step always names someone to page"
    assert len(rows) == 1
    if found.degraded:
        assert found.fell_back_to and found.problems
    if now.errors:
        # The only layer is broken: no other layer to fall back to.
        assert found.degraded
        assert found.people == ([cat] if with_fallback else [admin_user])
        assert all(e.text.startswith("Cannot work out") for e in now.errors)
    else:
        on_call = {int(s.who) for s in now.shifts}
        assert {p.pk for p in found.people} <= on_call or found.degraded
