"""Budget policy: tiers by remaining budget, burn-rate actions, and the deployment gate's
allow / warn / block (pure, exact)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from .budget import Number, exact

HEALTHY = "healthy"
CAUTION = "caution"
AT_RISK = "at_risk"
FREEZE = "freeze"
TIERS = (HEALTHY, CAUTION, AT_RISK, FREEZE)

ALLOW = "allow"
WARN = "warn"
BLOCK = "block"


@dataclass(frozen=True)
class Policy:
    """Tier floors (remaining budget) and burn-rate action thresholds (≥)."""

    caution_below: Fraction = Fraction(1, 2)
    at_risk_below: Fraction = Fraction(1, 5)
    freeze_below: Fraction = Fraction(1, 20)
    burn_warn: Fraction = Fraction(2)
    burn_ticket: Fraction = Fraction(5)
    burn_page: Fraction = Fraction(10)
    burn_fast: Fraction = Fraction(72, 5)
    burn_block: Fraction = Fraction(20)
    postmortem_impact: Fraction = Fraction(1, 5)
    max_data_age_s: int = 300

    @classmethod
    def from_config(cls, config: dict[str, object] | None) -> Policy:
        """Defaults overridden by the keys present in `config` (numbers as strings or numbers)."""
        if not config:
            return cls()
        values: dict[str, object] = {}
        for name in cls.__dataclass_fields__:
            if name in config:
                raw = config[name]
                values[name] = int(str(raw)) if name == "max_data_age_s" else exact(str(raw))
        return cls(**values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        return {
            name: (
                getattr(self, name) if name == "max_data_age_s" else str(float(getattr(self, name)))
            )
            for name in self.__dataclass_fields__
        }


def policy_tier(remaining: Number | None, policy: Policy | None = None) -> str:
    """healthy > 50% ≥ caution ≥ 20% > at risk ≥ 5% > freeze (also when overspent or unknown)."""
    policy = policy or Policy()
    if remaining is None:
        return FREEZE
    value = exact(remaining)
    if value < policy.freeze_below:
        return FREEZE
    if value < policy.at_risk_below:
        return AT_RISK
    if value <= policy.caution_below:
        return CAUTION
    return HEALTHY


def burn_actions(burn: Number | None, policy: Policy | None = None) -> list[str]:
    """The policy actions a burn rate triggers (warning, ticket, page, fast_burn, block)."""
    policy = policy or Policy()
    if burn is None:
        return []
    value = exact(burn)
    pairs = (
        ("warning", policy.burn_warn),
        ("ticket", policy.burn_ticket),
        ("page", policy.burn_page),
        ("fast_burn", policy.burn_fast),
        ("block", policy.burn_block),
    )
    return [name for name, threshold in pairs if value >= threshold]


@dataclass(frozen=True)
class GateInput:
    """One SLO's figures for the gate; None for anything that could not be read."""

    name: str
    remaining: Fraction | None
    burn_1h: Fraction | None
    burn_5m: Fraction | None
    data_age_s: float | None
    error: str = ""


@dataclass(frozen=True)
class GateDecision:
    """`decided` is False when the gate could not read what it needs (no SLO, no data, stale
    data, an unreachable or failing SLI source) and nothing in the budget blocks on its
    own: the gate still blocks (fail closed), but CI can tell an outage from a real block."""

    decision: str
    tier: str
    reasons: list[str] = field(default_factory=list)
    decided: bool = True

    @property
    def exit_code(self) -> int:
        """0 to deploy (allow or warn), 1 blocked by the budget, 2 cannot decide (blocks)."""
        if self.decision != BLOCK:
            return 0
        return 1 if self.decided else 2


NO_DATA = "no data"


def data_is_fresh(age_s: float | None, max_age_s: int) -> bool:
    """Whether data this old may be trusted (the gate's rule, shown the same on the pages)."""
    return age_s is not None and age_s <= max_age_s


def stale_text(age_s: float | None, max_age_s: int) -> str:
    age = "unknown" if age_s is None else f"{int(age_s)} s"
    return f"data is stale ({age} old, limit {max_age_s} s)"


_TIER_ORDER = {t: i for i, t in enumerate(TIERS)}
_DECISION_ORDER = {ALLOW: 0, WARN: 1, BLOCK: 2}


def gate_decision(
    slos: Sequence[GateInput],
    *,
    policy: Policy | None = None,
    warn_only: bool = False,
    bypass: str = "",
) -> GateDecision:
    """allow / warn / block a deployment. Fails closed: no SLO, no data, stale data or an
    error blocks. `bypass` (a recorded hotfix or security reason) lets any block through;
    `warn_only` turns a block into a warning."""
    policy = policy or Policy()
    decision = ALLOW
    tier = HEALTHY
    reasons: list[str] = []
    budget_blocks = False
    undecided = False

    def worsen(to: str, reason: str) -> None:
        nonlocal decision, budget_blocks
        if _DECISION_ORDER[to] > _DECISION_ORDER[decision]:
            decision = to
        if to == BLOCK:
            budget_blocks = True
        reasons.append(reason)

    def cannot_decide(reason: str) -> None:
        nonlocal decision, tier, undecided
        decision, tier, undecided = BLOCK, FREEZE, True
        reasons.append(reason)

    if not slos:
        cannot_decide("no SLO is defined for the service")
    for slo in slos:
        if slo.error:
            cannot_decide(f"{slo.name}: {slo.error}")
            continue
        if slo.remaining is None or slo.burn_1h is None or slo.burn_5m is None:
            cannot_decide(f"{slo.name}: {NO_DATA}")
            continue
        if not data_is_fresh(slo.data_age_s, policy.max_data_age_s):
            cannot_decide(f"{slo.name}: {stale_text(slo.data_age_s, policy.max_data_age_s)}")
            continue
        slo_tier = policy_tier(slo.remaining, policy)
        if _TIER_ORDER[slo_tier] > _TIER_ORDER[tier]:
            tier = slo_tier
        percent = f"{float(slo.remaining) * 100:.1f}%"
        if slo_tier == FREEZE:
            worsen(BLOCK, f"{slo.name}: budget remaining {percent} (freeze)")
        elif slo_tier == AT_RISK:
            worsen(WARN, f"{slo.name}: budget remaining {percent} (at risk)")
        if slo.burn_1h > policy.burn_fast and slo.burn_5m > policy.burn_fast:
            worsen(
                BLOCK,
                f"{slo.name}: fast burn ({float(slo.burn_1h):.1f}x over 1h, "
                f"{float(slo.burn_5m):.1f}x over 5m)",
            )
        elif max(slo.burn_1h, slo.burn_5m) >= policy.burn_block:
            worsen(BLOCK, f"{slo.name}: burn rate {float(max(slo.burn_1h, slo.burn_5m)):.1f}x")
        elif slo.burn_1h >= policy.burn_page:
            worsen(WARN, f"{slo.name}: burn rate {float(slo.burn_1h):.1f}x over 1h")
    if decision == BLOCK and bypass:
        reasons.append(f"bypass: {bypass}")
        decision = ALLOW
    elif decision == BLOCK and warn_only:
        reasons.append("warn-only mode: the block is reported, not enforced")
        decision = WARN
    return GateDecision(decision, tier, reasons, decided=budget_blocks or not undecided)
