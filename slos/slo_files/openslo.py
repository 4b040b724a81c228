"""OpenSLO files: `openslo/v1` (Service, SLI and SLO documents, inline or referenced SLIs)
and `openslo/v1alpha`, read the way Sloth reads it (one SLO per objective, named
`<name>-<index>`, ratioMetrics good/total, no alerts)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .. import durations
from .common import Doc, Reading, SloFileError, SloSpec

READ_KINDS = {"SLO", "SLI"}
SKIPPED_KINDS = {
    "Service",
    "DataSource",
    "AlertPolicy",
    "AlertCondition",
    "AlertNotificationTarget",
}


def _prometheus_query(doc: Doc, source: Any, where: str, *, counter: bool | None) -> str:
    metric = doc.get(source, "metricSource", where, kind=dict)
    kind = str(metric.get("type", "Prometheus"))
    if kind.lower() != "prometheus":
        raise doc.fail(f"{where}.metricSource.type", f"{kind} is not supported (Prometheus is)")
    spec = doc.get(metric, "spec", f"{where}.metricSource", kind=dict)
    at = f"{where}.metricSource.spec.query"
    text = str(doc.get(spec, "query", f"{where}.metricSource.spec")).strip()
    query = doc.query(text, at)
    if counter is False and "{{" not in query and "(" not in query:
        raise doc.fail(
            at,
            "counter: false, but Keel reads a bare selector as a counter (sum(increase(...))); "
            "give a query with [{{.window}}] that counts the events",
        )
    return query


def _v1_sli(doc: Doc, spec: Any, where: str) -> tuple[str, str, str, dict[str, str]]:
    """(bad, good, total) queries of an OpenSLO ratio SLI, and where each was written."""
    ratio = spec.get("ratioMetric") if isinstance(spec, dict) else None
    if ratio is None:
        what = "thresholdMetric" if isinstance(spec, dict) and "thresholdMetric" in spec else ""
        raise doc.fail(
            f"{where}.{what}" if what else where,
            "only ratioMetric SLIs are supported (Keel counts good or bad events over total)",
        )
    counter = ratio.get("counter") if isinstance(ratio.get("counter"), bool) else None
    doc.ignored(ratio, f"{where}.ratioMetric", {"counter", "good", "bad", "total", "rawType"})
    base = f"{where}.ratioMetric"
    total_at = f"{base}.total"
    total = _prometheus_query(
        doc, doc.get(ratio, "total", base, kind=dict), total_at, counter=counter
    )
    located = {"total_query": doc.location(f"{total_at}.metricSource.spec.query")}
    if ratio.get("bad") is not None:
        bad = _prometheus_query(doc, ratio["bad"], f"{base}.bad", counter=counter)
        located["bad_query"] = doc.location(f"{base}.bad.metricSource.spec.query")
        return bad, "", total, located
    good_source = doc.get(ratio, "good", base, kind=dict)
    good = _prometheus_query(doc, good_source, f"{base}.good", counter=counter)
    located["good_query"] = doc.location(f"{base}.good.metricSource.spec.query")
    return "", good, total, located


def _window(doc: Doc, spec: dict[str, Any]) -> tuple[str, str, int]:
    windows = doc.get(spec, "timeWindow", "spec", kind=list)
    if not windows:
        raise doc.fail("spec.timeWindow", "expected one window")
    if len(windows) > 1:
        doc.note("spec.timeWindow", "only the first window is read; the others are ignored")
    window = windows[0]
    duration = doc.get(window, "duration", "spec.timeWindow[0]")
    if bool(window.get("isRolling", True)):
        return "rolling", "UTC", doc.days(duration, "spec.timeWindow[0].duration")
    if duration != "1M":
        raise doc.fail("spec.timeWindow[0].duration", "calendar windows must be 1M")
    calendar = window.get("calendar") or {}
    return "calendar_month", str(calendar.get("timeZone") or "UTC"), 30


def _v1_slo(
    doc: Doc, data: dict[str, Any], slis: dict[str, tuple[str, str, str, dict[str, str]]]
) -> list[SloSpec]:
    name = doc.get(doc.get(data, "metadata", "", kind=dict), "name", "metadata")
    spec = doc.get(data, "spec", "", kind=dict)
    doc.ignored(
        spec,
        "spec",
        {"service", "description", "indicator", "indicatorRef", "timeWindow", "budgetingMethod",
         "objectives", "alertPolicies"},
    )  # fmt: skip
    if spec.get("alertPolicies"):
        doc.note(
            "spec.alertPolicies",
            "ignored: Keel alerts on the burn-rate pairs of its own table (see the SLO page)",
        )
    service = doc.get(spec, "service", "spec")
    if spec.get("indicator") is not None:
        indicator = doc.get(spec, "indicator", "spec", kind=dict)
        queries = _v1_sli(
            doc, doc.get(indicator, "spec", "spec.indicator", kind=dict), "spec.indicator.spec"
        )
    else:
        ref = doc.get(spec, "indicatorRef", "spec")
        if ref not in slis:
            raise doc.fail("spec.indicatorRef", f"no SLI named {ref!r} in the file")
        queries = slis[ref]
    window_kind, time_zone, days = _window(doc, spec)
    method = doc.get(spec, "budgetingMethod", "spec")
    if method not in ("Occurrences", "Timeslices", "RatioTimeslices"):
        raise doc.fail("spec.budgetingMethod", f"{method!r} is not Occurrences or Timeslices")
    objectives = doc.get(spec, "objectives", "spec", kind=list)
    if not objectives:
        raise doc.fail("spec.objectives", "expected at least one objective")
    bad, good, total, located = queries
    found = []
    for i, objective in enumerate(objectives):
        where = f"spec.objectives[{i}]"
        if objective.get("targetPercent") is not None:
            percent = doc.percent(objective["targetPercent"], f"{where}.targetPercent")
        else:
            target = doc.get(objective, "target", where)
            percent = doc.percent(Decimal(str(target)) * 100, f"{where}.target")
        slice_target, slice_seconds, budgeting = None, 60, "occurrences"
        if method != "Occurrences":
            budgeting = "timeslices"
            slice_target = Decimal(str(objective.get("timeSliceTarget") or percent / 100))
            slice_window = str(objective.get("timeSliceWindow") or "1m")
            try:
                slice_seconds = int(durations.parse_duration(slice_window).total_seconds())
            except ValueError as error:
                raise doc.fail(f"{where}.timeSliceWindow", str(error)) from None
        found.append(
            SloSpec(
                service=service,
                name=name if len(objectives) == 1 else f"{name}-{i}",
                objective=percent,
                description=str(spec.get("description") or ""),
                window_kind=window_kind,
                window_days=days,
                time_zone=time_zone,
                budgeting_method=budgeting,
                slice_seconds=slice_seconds,
                slice_target=slice_target,
                bad_query=bad,
                good_query=good,
                total_query=total,
                location=doc.location(where if len(objectives) > 1 else ""),
                field_locations=located,
            )
        )
    return found


def read_v1(path: str, documents: list[tuple[int, dict[str, Any]]], reading: Reading) -> None:
    slis: dict[str, tuple[str, str, str, dict[str, str]]] = {}
    errors: list[SloFileError] = []
    for index, data in documents:
        doc = Doc(path, index, reading)
        kind = str(data.get("kind") or "")
        if kind in SKIPPED_KINDS:
            doc.note("kind", f"{kind} documents are not read: Keel takes services from SLOs")
        elif kind not in READ_KINDS:
            errors.append(
                doc.fail("kind", f"{kind!r} is not an OpenSLO kind Keel reads (SLO, SLI)")
            )
        if kind != "SLI":
            continue
        try:
            name = doc.get(doc.get(data, "metadata", "", kind=dict), "name", "metadata")
            slis[name] = _v1_sli(doc, doc.get(data, "spec", "", kind=dict), "spec")
        except SloFileError as error:
            errors.append(error)
    for index, data in documents:
        if data.get("kind") != "SLO":
            continue
        try:
            reading.specs += _v1_slo(Doc(path, index, reading), data, slis)
        except SloFileError as error:
            errors.append(error)
    reading.errors += errors


def _v1alpha_query(doc: Doc, source: Any, where: str) -> str:
    if not isinstance(source, dict):
        raise doc.fail(where, "expected a mapping with source, queryType and query")
    doc.ignored(source, where, {"source", "queryType", "query", "metadata"})
    kind = str(source.get("source") or "prometheus")
    if kind.lower() != "prometheus":
        raise doc.fail(f"{where}.source", f"{kind} is not supported (prometheus is)")
    query_type = str(source.get("queryType") or "promql")
    if query_type.lower() != "promql":
        raise doc.fail(f"{where}.queryType", f"{query_type} is not supported (promql is)")
    return doc.query(doc.get(source, "query", where), f"{where}.query")


def read_v1alpha(doc: Doc, data: dict[str, Any]) -> list[SloSpec]:
    """As Sloth reads it: only kind SLO, Occurrences, ratioMetrics with good and total
    PromQL, a window of whole days; each objective an SLO `<metadata.name>-<index>`, and, as
    Sloth generates none for OpenSLO, no exported alerts."""
    if data.get("kind") != "SLO":
        raise doc.fail("kind", "openslo/v1alpha: only SLO documents are read (as Sloth does)")
    name = doc.get(doc.get(data, "metadata", "", kind=dict), "name", "metadata")
    spec = doc.get(data, "spec", "", kind=dict)
    doc.ignored(
        spec, "spec", {"service", "description", "budgetingMethod", "objectives", "timeWindows"}
    )
    service = doc.get(spec, "service", "spec")
    method = doc.get(spec, "budgetingMethod", "spec")
    if method != "Occurrences":
        raise doc.fail("spec.budgetingMethod", f"{method!r}: only Occurrences is supported")
    days = 30
    windows = spec.get("timeWindows") or []
    if windows:
        window = windows[0] if isinstance(windows, list) else None
        count = window.get("count") if isinstance(window, dict) else None
        unit = str(window.get("unit") or "") if isinstance(window, dict) else ""
        sizes = {"day": 1, "week": 7}
        if not isinstance(count, int) or unit.lower() not in sizes:
            raise doc.fail("spec.timeWindows[0]", "expected a count of Day or Week units")
        days = count * sizes[unit.lower()]
        if isinstance(window, dict) and window.get("isRolling") is False:
            doc.note("spec.timeWindows[0].isRolling", "read as a rolling window, as Sloth does")
    objectives = doc.get(spec, "objectives", "spec", kind=list)
    found = []
    for i, objective in enumerate(objectives):
        where = f"spec.objectives[{i}]"
        ratio = doc.get(objective, "ratioMetrics", where, kind=dict)
        doc.ignored(objective, where, {"ratioMetrics", "target", "displayName", "value"})
        good_at, total_at = f"{where}.ratioMetrics.good", f"{where}.ratioMetrics.total"
        good = _v1alpha_query(
            doc, doc.get(ratio, "good", f"{where}.ratioMetrics", kind=dict), good_at
        )
        total = _v1alpha_query(
            doc, doc.get(ratio, "total", f"{where}.ratioMetrics", kind=dict), total_at
        )
        target = doc.get(objective, "target", where)
        found.append(
            SloSpec(
                service=service,
                name=f"{name}-{i}",
                objective=doc.percent(Decimal(str(target)) * 100, f"{where}.target"),
                description=str(spec.get("description") or ""),
                window_days=days,
                good_query=good,
                total_query=total,
                alerting={"page": {"disabled": True}, "ticket": {"disabled": True}},
                location=doc.location(where),
                field_locations={
                    "good_query": doc.location(f"{good_at}.query"),
                    "total_query": doc.location(f"{total_at}.query"),
                },
            )
        )
    doc.note(
        "",
        "openslo/v1alpha read as Sloth reads it: one SLO per objective named "
        f"{name}-<index>; no page or ticket alerts are exported (Sloth generates none)",
    )
    return found
