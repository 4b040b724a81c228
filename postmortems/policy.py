"""Postmortem policy: which incidents need one, by when, and what publishing requires (pure)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

SEVERITIES_REQUIRING_POSTMORTEM = frozenset({"SEV1", "SEV2"})
# An incident that spent more than this share of an SLO's window budget needs a
# postmortem and, before publication, at least one P0 action item.
BUDGET_FRACTION_THRESHOLD = 0.20


@dataclass(frozen=True)
class Requirement:
    required: bool
    requires_p0_action: bool
    due_at: datetime | None
    reasons: tuple[str, ...]


def requirement(
    *,
    severity: str,
    largest_budget_fraction: float,
    resolved_at: datetime | None,
    due_days: int,
    drill: bool = False,
) -> Requirement:
    """What policy asks of an incident's postmortem. Drills never require one."""
    if drill:
        return Requirement(False, False, None, ())
    reasons: list[str] = []
    if severity in SEVERITIES_REQUIRING_POSTMORTEM:
        reasons.append(f"{severity} incidents need a postmortem.")
    over_budget = largest_budget_fraction > BUDGET_FRACTION_THRESHOLD
    if over_budget:
        reasons.append(
            f"The incident spent {largest_budget_fraction * 100:.1f}% of an SLO's window budget "
            f"(more than {BUDGET_FRACTION_THRESHOLD * 100:.0f}%): a postmortem with at least "
            "one P0 action item is needed."
        )
    required = bool(reasons)
    due_at = resolved_at + timedelta(days=due_days) if required and resolved_at else None
    return Requirement(required, over_budget, due_at, tuple(reasons))


def publish_blockers(
    *, requires_p0_action: bool, action_priorities: Iterable[str], approvals: int
) -> list[str]:
    """Why the postmortem cannot be published yet (empty: it can)."""
    blockers: list[str] = []
    if approvals < 1:
        blockers.append("At least one reviewer must approve before publishing.")
    if requires_p0_action and "P0" not in set(action_priorities):
        blockers.append(
            "This incident spent more than 20% of an SLO's window budget: add at least one "
            "P0 action item before publishing."
        )
    return blockers
