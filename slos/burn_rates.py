"""Burn rates and multi-window, multi-burn-rate alerts (docs/slo-math.md; pure, exact)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from fractions import Fraction

from .budget import Number, error_budget, error_ratio, exact, seconds
from .durations import duration_text, parse_duration

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
