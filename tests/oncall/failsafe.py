"""A schedule layer Keel cannot work out, for the fail-safe paging tests.

The database refuses out-of-range layer values, so the broken layer is an ordinary one
whose rotation math is made to fail the way out-of-range values made it fail in the
field (OverflowError in oncall/rotation.py): bad old data, or a bug."""

from datetime import UTC, datetime
from typing import Any

import pytest

from oncall import rotation
from oncall.services import layer_create

# The broken layer's handoff instant: the patched math fails for this layer only.
BROKEN_ANCHOR = datetime(2026, 1, 6, 3, 17, tzinfo=UTC)
FAILURE = "date value out of range"


def break_rotation_math(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rotation.layer_coverage

    def coverage(layer: Any, start: datetime, end: datetime, tz: Any) -> Any:
        if layer.anchor == BROKEN_ANCHOR:
            raise OverflowError(FAILURE)
        return real(layer, start, end, tz)

    monkeypatch.setattr(rotation, "layer_coverage", coverage)


def add_broken_layer(schedule: Any, participants: list[Any], monkeypatch: Any) -> Any:
    """A layer on top of the schedule that cannot be worked out."""
    layer = layer_create(
        user=None,
        schedule=schedule,
        name="Follow the sun",
        participants=participants,
        shift_length=8,
        shift_unit="hours",
        handoff_at=BROKEN_ANCHOR,
    )
    break_rotation_math(monkeypatch)
    return layer
