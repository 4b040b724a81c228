"""Prometheus recording rules and multi-window burn-rate alerts for Keel's SLOs (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import yaml

from . import budget, burn_rates, durations, promql
from .prometheus import window_query
from .rule_names import KEEL, RuleNames, SlothNames

DEFAULT_ALERT_NAME = "KeelErrorBudgetBurn"
# Labels Keel's own alerts carry to route back into Keel; a file's labels cannot replace them.
RESERVED_LABELS = frozenset({"service", "slo", "severity", "burn_window"})
SEVERITIES = ("page", "ticket")
# Prometheus takes any text as an alert name; no control characters or template braces.
_ALERT_NAME = re.compile(r"[^\x00-\x1f{}]{1,200}")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# An annotation may use Prometheus's template actions ({{ $labels.slo }}, {{ $value }}), each
# closed on the same line; anything else could make Prometheus refuse the whole rules file.
_TEMPLATE_ACTION = re.compile(r"\{\{-?\s*([^{}]*?)\s*-?\}\}")
_TEMPLATE_VARIABLES = frozenset({"labels", "value", "externalLabels", "externalURL"})
_TEMPLATE_FUNCTIONS = frozenset(
    {"humanize", "humanize1024", "humanizeDuration", "humanizePercentage", "humanizeTimestamp",
     "printf", "title", "toUpper", "toLower", "reReplaceAll", "safeHtml", "stripPort", "match",
     "label", "value", "first", "query", "sortByLabel", "graphLink", "tableLink", "args"}
)  # fmt: skip


def _template_problem(text: str) -> str | None:
    if "{{" in _TEMPLATE_ACTION.sub("", text) or "}}" in _TEMPLATE_ACTION.sub("", text):
        return "an unclosed or unsupported {{ }}"
    for action in _TEMPLATE_ACTION.findall(text):
        unquoted = re.sub(r'"[^"]*"', "", action)
        for variable in re.findall(r"\$(\w*)", unquoted):
            if variable and variable not in _TEMPLATE_VARIABLES:
                return f"${variable} is not a variable of Prometheus's alert templates"
        for word in re.findall(r"(?<![$.\w])([A-Za-z_]\w*)", unquoted):
            if word not in _TEMPLATE_FUNCTIONS:
                return f"{word} is not a function of Prometheus's alert templates"
    return None


@dataclass(frozen=True)
class RuleSlo:
    service: str
    name: str
    objective: Decimal  # percent
    window_days: int
    bad_query: str
    good_query: str
    total_query: str
    windows: list[burn_rates.AlertWindow]
    alerting: dict[str, Any] = field(default_factory=dict)
    # The SLO's own labels (an SLO file's), which the Sloth scheme puts on its series.
    labels: dict[str, str] = field(default_factory=dict)


def _events(template: str, seconds: int) -> str:
    """The events of a lookback as Keel counts them: every series summed, a rate scaled by
    the seconds (so a rate template and a counter selector can share a ratio)."""
    query, scale = window_query(template, seconds)
    return f"sum({query})" + (f" * {scale}" if scale != 1 else "")


def _ratio(slo: RuleSlo, lookback: timedelta) -> str:
    seconds = int(lookback.total_seconds())
    total = _events(slo.total_query, seconds)
    if slo.bad_query:
        return f"({_events(slo.bad_query, seconds)})\n/\n({total})"
    return f"1 - (({_events(slo.good_query, seconds)})\n/\n({total}))"


def alerting_problem(alerting: Any) -> str | None:
    """Why an SLO's alerting settings would make an invalid rule (None when they are fine).

    Shape: {"name", "labels", "annotations", "page": {"disabled", "labels", "annotations"},
    "ticket": {...}}, every part optional; names and labels as Prometheus accepts them."""
    if not isinstance(alerting, dict):
        return "expected an object"
    unknown = set(alerting) - {"name", "labels", "annotations", *SEVERITIES}
    if unknown:
        return f"unknown keys: {', '.join(sorted(map(str, unknown)))}"
    name = alerting.get("name", "")
    if not isinstance(name, str) or (name and not _ALERT_NAME.fullmatch(name)):
        return f"{name!r} is not a valid alert name (at most 200 characters, no braces)"
    parts: list[tuple[str, Any]] = [("", alerting)]
    for severity in SEVERITIES:
        level = alerting.get(severity, {})
        if not isinstance(level, dict):
            return f"{severity}: expected an object"
        extra = set(level) - {"disabled", "labels", "annotations"}
        if extra:
            return f"{severity}: unknown keys: {', '.join(sorted(map(str, extra)))}"
        if not isinstance(level.get("disabled", False), bool):
            return f"{severity}.disabled: expected true or false"
        parts.append((f"{severity}.", level))
    for prefix, part in parts:
        for kind in ("labels", "annotations"):
            values = part.get(kind, {})
            if not isinstance(values, dict):
                return f"{prefix}{kind}: expected an object of text"
            for key, value in values.items():
                if not isinstance(key, str) or not _LABEL_NAME.fullmatch(key):
                    return f"{prefix}{kind}: {key!r} is not a valid name"
                if key.startswith("__"):
                    return f"{prefix}{kind}: names starting with __ are reserved by Prometheus"
                if not isinstance(value, str):
                    return f"{prefix}{kind}.{key}: expected text"
                if kind == "labels" and key in RESERVED_LABELS:
                    return (
                        f"{prefix}labels.{key}: Keel sets {key} on its alerts to route them "
                        "back to the SLO; use another label name"
                    )
                # Prometheus expands templates in alert labels and annotations alike.
                template = _template_problem(value)
                if template:
                    return f"{prefix}{kind}.{key}: {template}"
    return None


def _alert_parts(slo: RuleSlo, severity: str) -> tuple[dict[str, str], dict[str, str], bool]:
    """Extra labels and annotations of the alerts of one severity, and whether they are off."""
    level = slo.alerting.get(severity) or {}
    labels = {**(slo.alerting.get("labels") or {}), **(level.get("labels") or {})}
    annotations = {**(slo.alerting.get("annotations") or {}), **(level.get("annotations") or {})}
    return labels, annotations, bool(level.get("disabled"))


def rule_lookbacks(slo: RuleSlo) -> list[timedelta]:
    """Every lookback the exported rules record an error ratio for, shortest first: those
    the SLO's alerts need, 5m and 1h, and its window."""
    return sorted({*burn_rates.lookbacks(slo.windows), timedelta(days=slo.window_days)})


def current_lookback(slo: RuleSlo) -> timedelta:
    """The lookback of the "current" burn rate: the short one of the fastest page alert."""
    pages = [window for window in slo.windows if window.severity == "page"]
    return min(pages, key=lambda window: window.long).short if pages else timedelta(minutes=5)


def _own_labels(slo: RuleSlo) -> dict[str, str]:
    """The SLO's labels that can go on a recorded series beside the scheme's own."""
    return {
        key: value
        for key, value in slo.labels.items()
        if isinstance(key, str)
        and isinstance(value, str)
        and _LABEL_NAME.fullmatch(key)
        and not key.startswith(("__", "sloth_"))
        and key not in RESERVED_LABELS
    }


def rule_groups(slos: list[RuleSlo], names: RuleNames = KEEL) -> dict[str, object]:
    """One rule group per SLO: error ratios for every lookback its alerts need and for its
    window (event-weighted), and one alert per burn-rate pair with service/slo/severity labels
    (plus the SLO's own alert name, labels and annotations; a disabled severity is left out).

    In Sloth's scheme the same rules carry Sloth's names and labels (and the SLO's own labels),
    split into Sloth's three groups, with Sloth's metadata recordings beside them."""
    groups = []
    for slo in slos:
        sloth = names if isinstance(names, SlothNames) else None
        own = _own_labels(slo) if sloth else {}
        ratio_group, meta_group, alert_group = names.group_names(slo.service, slo.name)
        ratios: list[dict[str, object]] = [
            {
                "record": names.ratio(lookback),
                "expr": _ratio(slo, lookback),
                "labels": {**own, **names.ratio_labels(slo.service, slo.name, lookback)},
            }
            for lookback in rule_lookbacks(slo)
        ]
        meta = (
            sloth.meta_rules(
                service=slo.service,
                slo=slo.name,
                objective_percent=slo.objective,
                window=timedelta(days=slo.window_days),
                current=current_lookback(slo),
                labels={**own, **sloth.identity(slo.service, slo.name)},
            )
            if sloth
            else []
        )
        alerts: list[dict[str, object]] = []
        labels = {"service": slo.service, "slo": slo.name}
        error_budget = budget.error_budget(budget.objective_ratio(slo.objective))
        selector = names.selector(slo.service, slo.name)
        for window in slo.windows:
            extra_labels, extra_annotations, disabled = _alert_parts(slo, window.severity)
            if disabled:
                continue
            threshold = f"{float(window.factor * error_budget):.10g}"
            alerts.append(
                {
                    "alert": slo.alerting.get("name") or DEFAULT_ALERT_NAME,
                    "expr": (
                        f"{names.above(window.long, selector, threshold)}\n"
                        f"and\n{names.above(window.short, selector, threshold)}"
                    ),
                    "labels": {
                        **extra_labels,
                        **labels,
                        "severity": window.severity,
                        "burn_window": window.name,
                        **({sloth.severity_label: window.severity} if sloth else {}),
                    },
                    "annotations": {
                        "summary": f"{slo.service}/{slo.name} is burning its error budget "
                        f"over {float(window.factor):.4g}x ({window.name})",
                        "description": (
                            f"Both the {durations.duration_text(window.long)} and "
                            f"{durations.duration_text(window.short)} error ratios exceed "
                            f"{float(window.factor):.4g}x the budget of a {slo.objective}% SLO "
                            f"over {slo.window_days} days."
                        ),
                        **extra_annotations,
                    },
                }
            )
        if not sloth:
            groups.append({"name": ratio_group, "rules": ratios + alerts})
            continue
        groups += [{"name": ratio_group, "rules": ratios}, {"name": meta_group, "rules": meta}]
        if alerts:
            groups.append({"name": alert_group, "rules": alerts})
    return {"groups": groups}


def check_rules(slo: RuleSlo, names: RuleNames = KEEL) -> None:
    """Raise promql.QueryError when a rule generated for the SLO is not valid PromQL or its
    alerting settings would make Prometheus refuse the file: such an SLO cannot be saved."""
    problem = alerting_problem(slo.alerting)
    if problem:
        raise promql.QueryError(f"alerting: {problem}")
    for group in rule_groups([slo], names)["groups"]:  # type: ignore[attr-defined]
        for rule in group["rules"]:
            try:
                promql.check_expression(rule["expr"])
            except promql.QueryError as error:
                name = rule.get("record") or rule.get("alert")
                raise promql.QueryError(f"the exported rule {name} would fail: {error}") from None


def rules_yaml(slos: list[RuleSlo], names: RuleNames = KEEL) -> str:
    return yaml.safe_dump(rule_groups(slos, names), sort_keys=False, width=1000)
