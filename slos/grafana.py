"""Grafana dashboards for a service's SLOs, built only on the series Keel's exported rules
record (pure): per SLO the remaining budget, the SLI over the window, and the burn rates of
each alert pair against its page or ticket threshold."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from . import budget, budget_policy, durations
from .rule_names import KEEL, RuleNames
from .rules import RuleSlo, current_lookback

# The dashboard JSON model of current Grafana; older and newer releases migrate it on import.
SCHEMA_VERSION = 42
DATASOURCE_INPUT = "DS_PROMETHEUS"
DATASOURCE_VARIABLE = "datasource"
# What importing puts in place of the input: the variable's first value.
DATASOURCE_DEFAULT = f"${{{DATASOURCE_INPUT}}}"
DATASOURCE = {"type": "prometheus", "uid": f"${{{DATASOURCE_VARIABLE}}}"}
SEVERITY_COLORS = {"page": "red", "ticket": "orange"}
_UID_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


@dataclass(frozen=True)
class DashboardSlo:
    slo: RuleSlo
    policy: budget_policy.Policy = field(default_factory=budget_policy.Policy)
    description: str = ""


def dashboard_uid(service: str, names: RuleNames = KEEL) -> str:
    """A stable uid per service and scheme (Grafana allows 40 characters)."""
    scheme = "slos" if names.compat == KEEL.compat else names.compat
    uid = _UID_UNSAFE.sub("-", f"keel-{scheme}-{service}")
    if len(uid) <= 40:
        return uid
    digest = hashlib.sha1(uid.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{uid[:31]}-{digest}"


def _percent(value: object) -> str:
    return f"{float(value) * 100:.4g}%"  # type: ignore[arg-type]


class _Layout:
    """Panels on Grafana's 24-column grid, each with the next id."""

    def __init__(self) -> None:
        self.panels: list[dict[str, Any]] = []
        self.x = self.y = self.row_height = 0

    def add(self, panel: dict[str, Any], width: int, height: int) -> None:
        if self.x + width > 24:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        panel["id"] = len(self.panels) + 1
        panel["gridPos"] = {"h": height, "w": width, "x": self.x, "y": self.y}
        self.panels.append(panel)
        self.x += width
        self.row_height = max(self.row_height, height)

    def row(self, title: str) -> None:
        if self.x:
            self.x, self.y, self.row_height = 0, self.y + self.row_height, 0
        self.add({"type": "row", "title": title, "collapsed": False, "panels": []}, 24, 1)
        self.x, self.y, self.row_height = 0, self.y + 1, 0


def _target(expr: str, legend: str, ref: str) -> dict[str, Any]:
    return {
        "datasource": DATASOURCE,
        "editorMode": "code",
        "expr": expr,
        "legendFormat": legend,
        "range": True,
        "refId": ref,
    }


def _steps(base: str, *steps: tuple[str, object]) -> dict[str, Any]:
    drawn: list[dict[str, Any]] = [{"color": base, "value": None}]
    drawn += [{"color": color, "value": float(value)} for color, value in steps]  # type: ignore[arg-type]
    return {"mode": "absolute", "steps": drawn}


def _stat(
    title: str, description: str, targets: list[dict[str, Any]], **defaults: Any
) -> dict[str, Any]:
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {"defaults": {"color": {"mode": "thresholds"}, **defaults}, "overrides": []},
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "background",
            "graphMode": "area",
            "justifyMode": "auto",
            "orientation": "auto",
            "textMode": "auto",
            "showPercentChange": False,
            "wideLayout": True,
        },
    }


def _timeseries(
    title: str, description: str, targets: list[dict[str, Any]], **defaults: Any
) -> dict[str, Any]:
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "targets": targets,
        "fieldConfig": {
            "defaults": {
                "color": {"mode": "palette-classic"},
                "custom": {
                    "drawStyle": "line",
                    "lineWidth": 1,
                    "fillOpacity": 10,
                    "showPoints": "never",
                    "spanNulls": False,
                    "thresholdsStyle": {"mode": "dashed"},
                },
                **defaults,
            },
            "overrides": [],
        },
        "options": {
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
            "tooltip": {"mode": "multi", "sort": "desc"},
        },
    }


def _slo_panels(layout: _Layout, one: DashboardSlo, names: RuleNames) -> None:
    slo, policy = one.slo, one.policy
    service, name = slo.service, slo.name
    window = timedelta(days=slo.window_days)
    window_text = durations.duration_text(window)
    objective = budget.objective_ratio(slo.objective)
    error_budget = budget.error_budget(objective)
    remaining = names.budget_remaining(service, name, window, error_budget)
    tiers = _steps(
        "red",
        ("orange", policy.freeze_below),
        ("yellow", policy.at_risk_below),
        ("green", policy.caution_below),
    )
    layout.row(f"{name}: {slo.objective}% over {slo.window_days} days")
    layout.add(
        _stat(
            "Error budget remaining",
            f"Share of the {window_text} budget left (below 0 when overspent); the colours are "
            f"the policy tiers: freeze under {_percent(policy.freeze_below)}, at risk under "
            f"{_percent(policy.at_risk_below)}, caution up to {_percent(policy.caution_below)}."
            + (f" {one.description}" if one.description else ""),
            [_target(remaining, "remaining", "A")],
            unit="percentunit",
            decimals=1,
            thresholds=tiers,
        ),
        6,
        6,
    )
    layout.add(
        _stat(
            f"SLI over {window_text}",
            f"Good events / all events over the {window_text} window; objective {slo.objective}%.",
            [_target(names.sli(service, name, window), "SLI", "A")],
            unit="percentunit",
            decimals=3,
            thresholds=_steps("red", ("green", objective)),
        ),
        6,
        6,
    )
    current = current_lookback(slo)
    layout.add(
        _stat(
            f"Burn rate ({durations.duration_text(current)})",
            "Error ratio / error budget: 1 spends the budget exactly over the window.",
            [_target(names.burn_rate(service, name, current, error_budget), "burn", "A")],
            unit="none",
            decimals=2,
            thresholds=_steps(
                "green",
                ("yellow", policy.burn_warn),
                ("orange", policy.burn_ticket),
                ("red", policy.burn_page),
            ),
        ),
        6,
        6,
    )
    layout.add(
        _timeseries(
            "Error budget remaining",
            f"Share of the {window_text} budget left over time.",
            [_target(remaining, "remaining", "A")],
            unit="percentunit",
            thresholds=tiers,
        ),
        6,
        6,
    )
    layout.add(
        _timeseries(
            f"SLI over the {window_text} window",
            f"Good / all events over the {window_text} window, with the objective as a line.",
            [_target(names.sli(service, name, window), f"SLI ({window_text})", "A")],
            unit="percentunit",
            decimals=3,
            thresholds=_steps("red", ("green", objective)),
        ),
        24,
        8,
    )
    for window_pair in slo.windows:
        long, short = window_pair.long, window_pair.short
        factor = float(window_pair.factor)
        severity = window_pair.severity
        layout.add(
            _timeseries(
                f"Burn rate {window_pair.name}: {severity} over {factor:.4g}x",
                f"The {severity} alert {window_pair.name} fires when the burn rates over both "
                f"{durations.duration_text(long)} and {durations.duration_text(short)} exceed "
                f"{factor:.4g} (the dashed line): {float(window_pair.budget_percent):.4g}% of "
                f"the budget spent in {durations.duration_text(long)}.",
                [
                    _target(
                        names.burn_rate(service, name, lookback, error_budget),
                        durations.duration_text(lookback),
                        ref,
                    )
                    for lookback, ref in ((long, "A"), (short, "B"))
                ],
                unit="none",
                decimals=2,
                min=0,
                thresholds=_steps("transparent", (SEVERITY_COLORS.get(severity, "red"), factor)),
            ),
            12,
            8,
        )


def dashboard(
    *, service: str, title: str, slos: list[DashboardSlo], names: RuleNames = KEEL
) -> dict[str, Any]:
    """An importable dashboard of one service's SLOs: importing it asks for the Prometheus
    that loads the rules (the DS_PROMETHEUS input), which a variable can switch later."""
    layout = _Layout()
    for one in slos:
        _slo_panels(layout, one, names)
    scheme = " (Sloth's names)" if names.compat != KEEL.compat else ""
    return {
        "__inputs": [
            {
                "name": DATASOURCE_INPUT,
                "label": "Prometheus",
                "description": "The Prometheus that loads Keel's exported SLO rules",
                "type": "datasource",
                "pluginId": "prometheus",
                "pluginName": "Prometheus",
            }
        ],
        "__elements": {},
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "11.0.0"},
            {"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
            {"type": "panel", "id": "stat", "name": "Stat", "version": ""},
            {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""},
        ],
        "annotations": {
            "list": [
                {
                    "builtIn": 1,
                    "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                    "enable": True,
                    "hide": True,
                    "iconColor": "rgba(0, 211, 255, 1)",
                    "name": "Annotations & Alerts",
                    "type": "dashboard",
                }
            ]
        },
        "description": f"Keel's SLOs of {title}, on the rules export_prometheus_rules "
        f"writes{scheme}.",
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [],
        "panels": layout.panels,
        "refresh": "1m",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["keel", "slo", service],
        "templating": {
            "list": [
                {
                    "current": {
                        "text": f"${{{DATASOURCE_INPUT}}}",
                        "value": f"${{{DATASOURCE_INPUT}}}",
                    },
                    "hide": 0,
                    "includeAll": False,
                    "label": "Prometheus",
                    "multi": False,
                    "name": DATASOURCE_VARIABLE,
                    "options": [],
                    "query": "prometheus",
                    "refresh": 1,
                    "regex": "",
                    "skipUrlSync": False,
                    "type": "datasource",
                }
            ]
        },
        "time": {"from": "now-7d", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": f"Keel SLOs: {title}{scheme}",
        "uid": dashboard_uid(service, names),
        "version": 1,
        "weekStart": "",
    }


def panel_queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query of a dashboard, in order."""
    return [
        (panel["title"], target["expr"])
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]
