"""Error-budget math (docs/slo-math.md): budgets, burn rates, alerts, timeslices, policy, gate.

Pure: no Django. Ratios are exact `Fraction`s so that a comparison with a threshold
(14.4 x 0.001 against 0.0144) cannot flip on a rounding error; a value exactly at a
threshold is "not crossed" for alerts. Objectives are fractions in (0, 1): 99.9% is 0.999.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

Number = int | float | Decimal | Fraction

HEALTHY = "healthy"
CAUTION = "caution"
AT_RISK = "at_risk"
FREEZE = "freeze"
TIERS = (HEALTHY, CAUTION, AT_RISK, FREEZE)

ALLOW = "allow"
WARN = "warn"
BLOCK = "block"


def seconds(value: timedelta) -> Fraction:
    """A duration in exact seconds."""
    return Fraction(value.days * 86400 + value.seconds) + Fraction(value.microseconds, 10**6)


def exact(value: Number | str) -> Fraction:
    """An exact rational for a count, ratio or objective (floats by their decimal text)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return Fraction(Decimal(repr(value)))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return Fraction(value)
    return Fraction(value)


def objective_ratio(percent: Number | str) -> Fraction:
    """99.9 (percent) → 0.999, checked to lie strictly between 0 and 100."""
    ratio = exact(percent) / 100
    if not 0 < ratio < 1:
        raise ValueError("An objective is a percent strictly between 0 and 100.")
    return ratio


def error_budget(objective: Number) -> Fraction:
    """The allowed error ratio, 1 - T."""
    return 1 - exact(objective)


# Budgets (occurrences) -----------------------------------------------------------------


def allowed_bad(objective: Number, total: Number) -> Fraction:
    """Bad events the window allows: (1 - T) x total."""
    return error_budget(objective) * exact(total)


def consumed(*, bad: Number, allowed: Number) -> Fraction | None:
    """The share of the budget spent (can pass 1); None when nothing is allowed (no data)."""
    allowed_ = exact(allowed)
    if allowed_ <= 0:
        return None
    return exact(bad) / allowed_


def remaining(*, bad: Number, allowed: Number) -> Fraction | None:
    """1 - consumed; below 0 once the budget is overspent (reported, never clamped)."""
    spent = consumed(bad=bad, allowed=allowed)
    return None if spent is None else 1 - spent


def error_ratio(*, bad: Number, total: Number) -> Fraction | None:
    """Event-weighted error ratio: the sums' ratio, never an average of ratios."""
    total_ = exact(total)
    if total_ <= 0:
        return None
    return exact(bad) / total_


def error_ratio_of(intervals: Iterable[tuple[Number, Number]]) -> Fraction | None:
    """Error ratio over several (total, bad) intervals, weighted by events."""
    total = Fraction(0)
    bad = Fraction(0)
    for interval_total, interval_bad in intervals:
        total += exact(interval_total)
        bad += exact(interval_bad)
    return error_ratio(bad=bad, total=total)


# Burn rates ------------------------------------------------------------------------------


def burn_rate(*, error_ratio: Number, objective: Number) -> Fraction:
    """Error ratio / (1 - T): 1 spends the budget exactly over the window."""
    return exact(error_ratio) / error_budget(objective)


def burn_rate_of(*, bad: Number, total: Number, objective: Number) -> Fraction | None:
    ratio = error_ratio(bad=bad, total=total)
    return None if ratio is None else burn_rate(error_ratio=ratio, objective=objective)


def max_burn_rate(objective: Number) -> Fraction:
    """The burn of a total outage; an alert factor at or above it can never fire."""
    return 1 / error_budget(objective)


def time_to_exhaustion(
    *, window: timedelta, burn: Number, remaining: Number = 1
) -> timedelta | None:
    """How long the remaining budget lasts at a steady burn (W / b from a full budget)."""
    burn_ = exact(burn)
    remaining_ = exact(remaining)
    if remaining_ <= 0:
        return timedelta(0)
    if burn_ <= 0:
        return None
    left = seconds(window) * remaining_ / burn_
    return timedelta(seconds=float(left))


def consumed_by_burn(*, burn: Number, duration: timedelta, window: timedelta) -> Fraction:
    """The budget share a burn b sustained for t spends: b x t / W."""
    return exact(burn) * seconds(duration) / seconds(window)


def detection_time(
    *, objective: Number, error_ratio: Number, lookback: timedelta, factor: Number
) -> timedelta | None:
    """When a steady error ratio e crosses a (lookback, factor) alert: (1 - T)/e x w x f."""
    ratio = exact(error_ratio)
    if ratio <= 0:
        return None
    after = error_budget(objective) / ratio * seconds(lookback) * exact(factor)
    if after > seconds(lookback):
        return None  # the lookback never fills with enough errors
    return timedelta(seconds=float(after))


# Multi-window, multi-burn-rate alerts -----------------------------------------------------


@dataclass(frozen=True)
class AlertWindow:
    """One alert pair: fires when both the long and short lookbacks burn above `factor`."""

    name: str
    severity: str  # "page" or "ticket"
    long: timedelta
    short: timedelta
    factor: Fraction
    budget_percent: Fraction

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "severity": self.severity,
            "long": duration_text(self.long),
            "short": duration_text(self.short),
            "factor": str(round(float(self.factor), 4)),
            "budget_percent": str(self.budget_percent),
        }


# (name, severity, long hours, budget % spent in the long window)
DEFAULT_ALERT_TABLE = (
    ("page-fast", "page", 1, 2),
    ("page-slow", "page", 6, 5),
    ("ticket-fast", "ticket", 24, 10),
    ("ticket-slow", "ticket", 72, 10),
)


def alert_factor(*, budget_percent: Number, window_days: Number, long_hours: Number) -> Fraction:
    """budget% x (P x 24) / (100 x long-window hours)."""
    return exact(budget_percent) * exact(window_days) * 24 / (100 * exact(long_hours))


def default_alert_windows(window_days: Number = 30) -> list[AlertWindow]:
    """The four-pair table for a window of P days; short lookback = long / 12."""
    windows = []
    for name, severity, hours, percent in DEFAULT_ALERT_TABLE:
        long = timedelta(hours=hours)
        windows.append(
            AlertWindow(
                name=name,
                severity=severity,
                long=long,
                short=long / 12,
                factor=alert_factor(
                    budget_percent=percent, window_days=window_days, long_hours=hours
                ),
                budget_percent=Fraction(percent),
            )
        )
    return windows


def alert_windows_from(
    config: Sequence[dict[str, object]], window_days: Number
) -> list[AlertWindow]:
    """Alert pairs from stored configuration, or the default table when empty."""
    if not config:
        return default_alert_windows(window_days)
    windows = []
    for item in config:
        long = parse_duration(str(item["long"]))
        short = parse_duration(str(item.get("short") or "")) if item.get("short") else long / 12
        if "factor" in item:
            factor = exact(str(item["factor"]))
            percent = factor * 100 * seconds(long) / 3600 / (exact(window_days) * 24)
        else:
            percent = exact(str(item["budget_percent"]))
            factor = alert_factor(
                budget_percent=percent,
                window_days=window_days,
                long_hours=seconds(long) / 3600,
            )
        windows.append(
            AlertWindow(
                name=str(item.get("name") or f"{item['severity']}-{duration_text(long)}"),
                severity=str(item["severity"]),
                long=long,
                short=short,
                factor=factor,
                budget_percent=percent,
            )
        )
    return windows


def lookbacks(windows: Iterable[AlertWindow]) -> list[timedelta]:
    """Every lookback the alert pairs need, plus 5m and 1h for the gate, shortest first."""
    found = {timedelta(minutes=5), timedelta(hours=1)}
    for window in windows:
        found.update((window.long, window.short))
    return sorted(found)


def firing_alerts(
    burns: dict[timedelta, Fraction | None], windows: Iterable[AlertWindow]
) -> list[AlertWindow]:
    """The pairs whose long and short burns both exceed the factor (equal is not crossed)."""
    firing = []
    for window in windows:
        long_burn = burns.get(window.long)
        short_burn = burns.get(window.short)
        if long_burn is None or short_burn is None:
            continue
        if long_burn > window.factor and short_burn > window.factor:
            firing.append(window)
    return firing


def alert_state(firing: Iterable[AlertWindow]) -> str:
    """ "page", "ticket" or "ok": the most severe firing pair."""
    severities = {w.severity for w in firing}
    if "page" in severities:
        return "page"
    if "ticket" in severities:
        return "ticket"
    return "ok"


# Timeslices ------------------------------------------------------------------------------


def slice_is_bad(*, good: Number, total: Number, slice_target: Number) -> bool:
    """A slice is bad when its SLI is below the slice target; a slice with no traffic is good."""
    total_ = exact(total)
    if total_ <= 0:
        return False
    return exact(good) / total_ < exact(slice_target)


def bad_slices(slices: Iterable[tuple[Number, Number]], slice_target: Number) -> int:
    """Count bad slices among (good, total) pairs."""
    return sum(
        1
        for good, total in slices
        if slice_is_bad(good=good, total=total, slice_target=slice_target)
    )


def allowed_bad_slices(*, objective: Number, slices: Number) -> Fraction:
    """(1 - T) x slices in the window (after removing corrected slices)."""
    return error_budget(objective) * exact(slices)


def slices_in(window: timedelta, slice_length: timedelta = timedelta(minutes=1)) -> Fraction:
    return seconds(window) / seconds(slice_length)


# Corrections -----------------------------------------------------------------------------

Interval = tuple[datetime, datetime]


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of half-open intervals."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def overlap(a: Interval, b: Interval) -> timedelta:
    return max(timedelta(0), min(a[1], b[1]) - max(a[0], b[0]))


def covered(window: Interval, intervals: Iterable[Interval]) -> timedelta:
    """How much of `window` the intervals cover (overlaps counted once)."""
    return sum((overlap(window, i) for i in merge_intervals(intervals)), timedelta(0))


def subtract(window: Interval, intervals: Iterable[Interval]) -> list[Interval]:
    """The parts of `window` outside every interval."""
    parts: list[Interval] = []
    cursor = window[0]
    for start, end in merge_intervals(intervals):
        if end <= cursor or start >= window[1]:
            continue
        if start > cursor:
            parts.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < window[1]:
        parts.append((cursor, window[1]))
    return parts


# Windows ---------------------------------------------------------------------------------


def rolling_window(*, end: datetime, days: int) -> Interval:
    return end - timedelta(days=days), end


def calendar_month_window(*, at: datetime, zone: str) -> Interval:
    """The calendar month containing `at` in `zone`, as aware datetimes in that zone."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return start, datetime(year, month, 1, tzinfo=tz)


_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "M": timedelta(days=30),
    "Q": timedelta(days=90),
    "y": timedelta(days=365),
    "Y": timedelta(days=365),
}


def parse_duration(text: str) -> timedelta:
    """`5m`, `1h`, `30d`, `4w`, OpenSLO `1M` (30 d), `1Q` (90 d), `1Y` (365 d); `1h30m`."""
    text = text.strip()
    if not text:
        raise ValueError("empty duration")
    total = timedelta(0)
    number = ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in _UNITS and number:
            total += int(number) * _UNITS[char]
            number = ""
        else:
            raise ValueError(f"{text!r} is not a duration like 5m, 1h or 30d")
    if number or total <= timedelta(0):
        raise ValueError(f"{text!r} is not a duration like 5m, 1h or 30d")
    return total


def duration_text(value: timedelta) -> str:
    """The shortest Prometheus duration for `value` (`30d`, `6h`, `5m`, `90s`)."""
    whole = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"


# Incident impact and the ledger ----------------------------------------------------------


def impact(*, bad_in_incident: Number, allowed_in_window: Number) -> Fraction | None:
    """An incident's debit (docs/budget.md): the bad events (or slices) attributed to it,
    over the allowance of its debit window. The one formula every surface shows."""
    return consumed(bad=bad_in_incident, allowed=allowed_in_window)


def percent_text(share: Number | None) -> str:
    """A share of a budget as every page and document writes it: `213.7%`, `no data`."""
    if share is None:
        return "no data"
    return f"{float(exact(share)) * 100:.1f}%"


@dataclass(frozen=True)
class Segment:
    """A piece of time covered by the same set of incidents' impact periods."""

    start: datetime
    end: datetime
    owners: tuple[str, ...]


def segments(periods: dict[str, Interval]) -> list[Segment]:
    """Cut the union of the impact periods at every boundary: each piece lists the
    incidents (keys, sorted) whose periods cover it. Pieces are half-open, in time order,
    and no instant lies in two of them, so a bad event falls in exactly one piece."""
    cuts = sorted({t for start, end in periods.values() if end > start for t in (start, end)})
    pieces: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        owners = tuple(
            sorted(key for key, (s, e) in periods.items() if e > s and s <= start and end <= e)
        )
        if owners:
            if pieces and pieces[-1].owners == owners and pieces[-1].end == start:
                pieces[-1] = Segment(pieces[-1].start, end, owners)
            else:
                pieces.append(Segment(start, end, owners))
    return pieces


@dataclass(frozen=True)
class Attribution:
    """One incident's share of the bad events: its own, and those it shares."""

    bad: Fraction
    own: Fraction
    shared: list[tuple[tuple[str, ...], Fraction]]  # (all owners, bad events of the piece)


def attribute(pieces: Sequence[tuple[Segment, Number]]) -> dict[str, Attribution]:
    """Debit each piece's bad events once: to its one incident, or split equally between
    the incidents whose periods overlap there. The debits add up to the bad events of the
    pieces, whatever the overlaps."""
    found: dict[str, tuple[Fraction, Fraction, list[tuple[tuple[str, ...], Fraction]]]] = {}
    for piece, bad in pieces:
        bad_ = exact(bad)
        for owner in piece.owners:
            total, own, shared = found.setdefault(owner, (Fraction(0), Fraction(0), []))
            part = bad_ / len(piece.owners)
            if len(piece.owners) == 1:
                own += bad_
            elif bad_:
                shared.append((piece.owners, bad_))
            found[owner] = (total + part, own, shared)
    return {key: Attribution(total, own, shared) for key, (total, own, shared) in found.items()}


def episode_start(
    minutes: Sequence[tuple[datetime, Number, Number]],
    *,
    objective: Number,
    start: datetime,
    step: timedelta = timedelta(minutes=1),
) -> datetime:
    """Where the SLI turned bad before `start`: the first of the unbroken run of intervals
    (bucket start, bad, total), each of length `step`, up to the one holding `start`, whose
    error ratio exceeds the error budget (a burn above 1). `start` when the interval
    holding it is not bad, or when no data says otherwise."""
    bad_at = {
        at: ratio > error_budget(objective)
        for at, bad, total in minutes
        if (ratio := error_ratio(bad=bad, total=total)) is not None
    }
    ordered = sorted(bad_at)
    holding = [at for at in ordered if at <= start < at + step]
    if not holding or not bad_at[holding[0]]:
        return start
    first = holding[0]
    while bad_at.get(first - step):
        first -= step
    return min(first, start)


@dataclass(frozen=True)
class LedgerLine:
    label: str
    bad: Fraction
    share: Fraction  # of the allowance
    balance: Fraction  # remaining share after this line


@dataclass(frozen=True)
class Ledger:
    allowance: Fraction
    lines: list[LedgerLine]
    remaining: Fraction


def ledger(
    *, allowance: Number, total_bad: Number, debits: Sequence[tuple[str, Number]]
) -> Ledger | None:
    """The budget as an account: the allowance, each incident's debit, then the rest of the
    window's bad events as "outside any incident". The debits must already count each bad
    event once (see `attribute`). None when nothing is allowed."""
    allowance_ = exact(allowance)
    if allowance_ <= 0:
        return None
    balance = Fraction(1)
    lines = []
    incident_bad = Fraction(0)
    for label, bad in debits:
        bad_ = exact(bad)
        incident_bad += bad_
        balance -= bad_ / allowance_
        lines.append(LedgerLine(label, bad_, bad_ / allowance_, balance))
    outside = max(Fraction(0), exact(total_bad) - incident_bad)
    balance -= outside / allowance_
    lines.append(LedgerLine("outside any incident", outside, outside / allowance_, balance))
    return Ledger(allowance_, lines, balance)


# Policy and the deployment gate ----------------------------------------------------------


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
