"""Prometheus recording rules and multi-window burn-rate alerts for Keel's SLOs (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import yaml

from . import budget
from .prometheus import window_query


@dataclass(frozen=True)
class RuleSlo:
    service: str
    name: str
    objective: Decimal  # percent
    window_days: int
    bad_query: str
    good_query: str
    total_query: str
    windows: list[budget.AlertWindow]


def _record_name(lookback: timedelta) -> str:
    return f"keel:slo_errors:ratio_rate{budget.duration_text(lookback)}"


def _ratio(slo: RuleSlo, lookback: timedelta) -> str:
    seconds = int(lookback.total_seconds())
    total, _ = window_query(slo.total_query, seconds)
    if slo.bad_query:
        bad, _ = window_query(slo.bad_query, seconds)
        return f"({bad})\n/\n({total})"
    good, _ = window_query(slo.good_query, seconds)
    return f"1 - (({good})\n/\n({total}))"


def _selector(slo: RuleSlo) -> str:
    def quote(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"')

    return f'{{service="{quote(slo.service)}", slo="{quote(slo.name)}"}}'


def rule_groups(slos: list[RuleSlo]) -> dict[str, object]:
    """One rule group per SLO: error ratios for every lookback its alerts need and for its
    window (event-weighted), and one alert per burn-rate pair with service/slo/severity labels."""
    groups = []
    for slo in slos:
        labels = {"service": slo.service, "slo": slo.name}
        lookbacks = sorted({*budget.lookbacks(slo.windows), timedelta(days=slo.window_days)})
        rules: list[dict[str, object]] = [
            {"record": _record_name(lookback), "expr": _ratio(slo, lookback), "labels": labels}
            for lookback in lookbacks
        ]
        error_budget = budget.error_budget(budget.objective_ratio(slo.objective))
        selector = _selector(slo)
        for window in slo.windows:
            threshold = f"{float(window.factor * error_budget):.10g}"
            rules.append(
                {
                    "alert": "KeelErrorBudgetBurn",
                    "expr": (
                        f"{_record_name(window.long)}{selector} > {threshold}\n"
                        f"and\n{_record_name(window.short)}{selector} > {threshold}"
                    ),
                    "labels": {
                        **labels,
                        "severity": window.severity,
                        "burn_window": window.name,
                    },
                    "annotations": {
                        "summary": f"{slo.service}/{slo.name} is burning its error budget "
                        f"over {float(window.factor):.4g}x ({window.name})",
                        "description": (
                            f"Both the {budget.duration_text(window.long)} and "
                            f"{budget.duration_text(window.short)} error ratios exceed "
                            f"{float(window.factor):.4g}x the budget of a {slo.objective}% SLO "
                            f"over {slo.window_days} days."
                        ),
                    },
                }
            )
        groups.append({"name": f"keel-slo-{slo.service}-{slo.name}", "rules": rules})
    return {"groups": groups}


def rules_yaml(slos: list[RuleSlo]) -> str:
    return yaml.safe_dump(rule_groups(slos), sort_keys=False, width=1000)
