"""Reading SLOs as code: Sloth (sloth.slok.dev/v1 and prometheus/v1), OpenSLO v1 and the
plain list form, into one neutral shape. Pure: no Django; errors name file, document, field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from . import budget

WINDOW = "{{.window}}"
SECONDS = "{{.seconds}}"


class SloFileError(Exception):
    def __init__(self, path: str, document: int, where: str, message: str) -> None:
        super().__init__(f"{path}: document {document + 1}: {where}: {message}")


@dataclass
class SloSpec:
    """One SLO read from a file, ready for `slo_upsert`."""

    service: str
    name: str
    objective: Decimal
    source: str = "prometheus"
    description: str = ""
    window_kind: str = "rolling"
    window_days: int = 30
    time_zone: str = "UTC"
    budgeting_method: str = "occurrences"
    slice_seconds: int = 60
    slice_target: Decimal | None = None
    bad_query: str = ""
    good_query: str = ""
    total_query: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    service_owner: str = ""
    location: str = ""

    def fields(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "objective": self.objective,
            "source": self.source,
            "window_kind": self.window_kind,
            "window_days": self.window_days,
            "time_zone": self.time_zone,
            "budgeting_method": self.budgeting_method,
            "slice_seconds": self.slice_seconds,
            "slice_target": self.slice_target,
            "bad_query": self.bad_query,
            "good_query": self.good_query,
            "total_query": self.total_query,
            "labels": self.labels,
        }


class _Doc:
    """Field access that reports where a missing or malformed field is."""

    def __init__(self, path: str, index: int) -> None:
        self.path, self.index = path, index

    def fail(self, where: str, message: str) -> SloFileError:
        return SloFileError(self.path, self.index, where, message)

    def get(
        self, data: Any, key: str, where: str, *, required: bool = True, kind: type = str
    ) -> Any:
        if not isinstance(data, dict):
            raise self.fail(where, "expected a mapping")
        value = data.get(key)
        if value is None:
            if required:
                raise self.fail(f"{where}.{key}" if where else key, "is required")
            return None
        if kind is str and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, kind):
            raise self.fail(f"{where}.{key}" if where else key, f"expected {kind.__name__}")
        return value

    def percent(self, value: Any, where: str) -> Decimal:
        text = str(value).strip().removesuffix("%")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise self.fail(where, f"{value!r} is not a percent") from None
        if not 0 < number < 100:
            raise self.fail(where, "an objective is a percent strictly between 0 and 100")
        return number

    def days(self, text: str, where: str) -> int:
        try:
            length = budget.parse_duration(text)
        except ValueError as error:
            raise self.fail(where, str(error)) from None
        if length.total_seconds() % 86400:
            raise self.fail(where, "an SLO window is a whole number of days")
        return int(length.total_seconds() // 86400)


def _ratio_queries(ratio: str) -> tuple[str, str]:
    """An error-ratio query as bad/total counts: ratio x seconds over seconds."""
    return f"({ratio}) * {SECONDS}", f"vector({SECONDS})"


def _sloth_slos(
    doc: _Doc, service: str, labels: dict[str, Any], slos: Any, snake: bool
) -> list[SloSpec]:
    if not isinstance(slos, list) or not slos:
        raise doc.fail("slos", "expected a non-empty list")
    found = []
    for i, item in enumerate(slos):
        where = f"slos[{i}]"
        name = doc.get(item, "name", where)
        objective = doc.percent(doc.get(item, "objective", where), f"{where}.objective")
        sli = doc.get(item, "sli", where, kind=dict)
        events = sli.get("events")
        raw = sli.get("raw")
        error_key, total_key, ratio_key = (
            ("error_query", "total_query", "error_ratio_query")
            if snake
            else ("errorQuery", "totalQuery", "errorRatioQuery")
        )
        if events is not None:
            bad_query = doc.get(events, error_key, f"{where}.sli.events")
            total_query = doc.get(events, total_key, f"{where}.sli.events")
        elif raw is not None:
            bad_query, total_query = _ratio_queries(doc.get(raw, ratio_key, f"{where}.sli.raw"))
        else:
            raise doc.fail(f"{where}.sli", "needs events or raw")
        slo_labels = {**labels, **(item.get("labels") or {})}
        found.append(
            SloSpec(
                service=service,
                name=name,
                objective=objective,
                description=str(item.get("description") or ""),
                bad_query=bad_query.strip(),
                total_query=total_query.strip(),
                labels={str(k): str(v) for k, v in slo_labels.items()},
                location=f"{doc.path}: document {doc.index + 1}: {where}",
            )
        )
    return found


def _prometheus_query(doc: _Doc, source: Any, where: str) -> str:
    metric = doc.get(source, "metricSource", where, kind=dict)
    kind = str(metric.get("type", "Prometheus"))
    if kind.lower() != "prometheus":
        raise doc.fail(f"{where}.metricSource.type", f"{kind} is not supported (Prometheus is)")
    spec = doc.get(metric, "spec", f"{where}.metricSource", kind=dict)
    return str(doc.get(spec, "query", f"{where}.metricSource.spec")).strip()


def _openslo_sli(doc: _Doc, spec: Any, where: str) -> tuple[str, str, str]:
    """(bad, good, total) queries of an OpenSLO ratio SLI."""
    ratio = spec.get("ratioMetric") if isinstance(spec, dict) else None
    if ratio is None:
        raise doc.fail(where, "only ratioMetric SLIs are supported")
    total = _prometheus_query(
        doc,
        doc.get(ratio, "total", f"{where}.ratioMetric", kind=dict),
        f"{where}.ratioMetric.total",
    )
    if ratio.get("bad") is not None:
        return _prometheus_query(doc, ratio["bad"], f"{where}.ratioMetric.bad"), "", total
    good = doc.get(ratio, "good", f"{where}.ratioMetric", kind=dict)
    return "", _prometheus_query(doc, good, f"{where}.ratioMetric.good"), total


def _openslo(path: str, documents: list[tuple[int, dict[str, Any]]]) -> list[SloSpec]:
    slis: dict[str, tuple[str, str, str]] = {}
    for index, data in documents:
        if data.get("kind") == "SLI":
            doc = _Doc(path, index)
            name = doc.get(doc.get(data, "metadata", "", kind=dict), "name", "metadata")
            slis[name] = _openslo_sli(doc, doc.get(data, "spec", "", kind=dict), "spec")
    found = []
    for index, data in documents:
        if data.get("kind") != "SLO":
            continue
        doc = _Doc(path, index)
        name = doc.get(doc.get(data, "metadata", "", kind=dict), "name", "metadata")
        spec = doc.get(data, "spec", "", kind=dict)
        service = doc.get(spec, "service", "spec")
        if spec.get("indicator") is not None:
            indicator = doc.get(spec, "indicator", "spec", kind=dict)
            queries = _openslo_sli(
                doc, doc.get(indicator, "spec", "spec.indicator", kind=dict), "spec.indicator.spec"
            )
        else:
            ref = doc.get(spec, "indicatorRef", "spec")
            if ref not in slis:
                raise doc.fail("spec.indicatorRef", f"no SLI named {ref!r} in the file")
            queries = slis[ref]
        windows = doc.get(spec, "timeWindow", "spec", kind=list)
        if not windows:
            raise doc.fail("spec.timeWindow", "expected one window")
        window = windows[0]
        duration = doc.get(window, "duration", "spec.timeWindow[0]")
        rolling = bool(window.get("isRolling", True))
        window_kind, time_zone, days = "rolling", "UTC", 30
        if rolling:
            days = doc.days(duration, "spec.timeWindow[0].duration")
        else:
            if duration != "1M":
                raise doc.fail("spec.timeWindow[0].duration", "calendar windows must be 1M")
            calendar = window.get("calendar") or {}
            window_kind, time_zone = "calendar_month", str(calendar.get("timeZone") or "UTC")
        method = doc.get(spec, "budgetingMethod", "spec")
        if method not in ("Occurrences", "Timeslices", "RatioTimeslices"):
            raise doc.fail("spec.budgetingMethod", f"{method!r} is not Occurrences or Timeslices")
        objectives = doc.get(spec, "objectives", "spec", kind=list)
        if not objectives:
            raise doc.fail("spec.objectives", "expected at least one objective")
        objective = objectives[0]
        if objective.get("targetPercent") is not None:
            percent = doc.percent(objective["targetPercent"], "spec.objectives[0].targetPercent")
        else:
            target = doc.get(objective, "target", "spec.objectives[0]")
            percent = doc.percent(Decimal(str(target)) * 100, "spec.objectives[0].target")
        slice_target = None
        slice_seconds = 60
        budgeting = "occurrences"
        if method != "Occurrences":
            budgeting = "timeslices"
            slice_target = Decimal(str(objective.get("timeSliceTarget") or target_of(percent)))
            slice_window = str(objective.get("timeSliceWindow") or "1m")
            try:
                slice_seconds = int(budget.parse_duration(slice_window).total_seconds())
            except ValueError as error:
                raise doc.fail("spec.objectives[0].timeSliceWindow", str(error)) from None
        bad, good, total = queries
        found.append(
            SloSpec(
                service=service,
                name=name,
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
                location=f"{path}: document {index + 1}",
            )
        )
    return found


def target_of(percent: Decimal) -> Decimal:
    return percent / 100


def _plain(doc: _Doc, data: dict[str, Any]) -> list[SloSpec]:
    service = doc.get(data, "service", "")
    owner = str(data.get("owner") or "")
    slos = doc.get(data, "slos", "", kind=list)
    found = []
    for i, item in enumerate(slos):
        where = f"slos[{i}]"
        name = doc.get(item, "name", where)
        target = doc.percent(doc.get(item, "target", where), f"{where}.target")
        days = doc.days(str(item.get("window") or "30d"), f"{where}.window")
        sli = doc.get(item, "sli", where, kind=dict)
        if "numerator" in sli:
            good = doc.get(sli, "numerator", f"{where}.sli")
            total = doc.get(sli, "denominator", f"{where}.sli")
        elif "metric" in sli:
            selector = doc.get(sli, "metric", f"{where}.sli").strip()
            match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})?", selector)
            if match is None:
                raise doc.fail(f"{where}.sli.metric", "expected a histogram metric selector")
            metric = match.group(1).removesuffix("_bucket").removesuffix("_count")
            matchers = [m for m in [(match.group(2) or "").strip()] if m]
            threshold = doc.get(sli, "threshold", f"{where}.sli")
            bucket = ", ".join([*matchers, 'le="' + str(threshold) + '"'])
            good = metric + "_bucket{" + bucket + "}"
            total = metric + "_count{" + ", ".join(matchers) + "}"
        else:
            raise doc.fail(
                f"{where}.sli", "needs numerator and denominator, or metric and threshold"
            )
        found.append(
            SloSpec(
                service=service,
                name=name,
                objective=target,
                description=str(item.get("description") or ""),
                window_days=days,
                good_query=good.strip(),
                total_query=total.strip(),
                service_owner=owner,
                location=f"{doc.path}: document {doc.index + 1}: {where}",
            )
        )
    return found


def parse(path: str, text: str) -> list[SloSpec]:
    """Every SLO in a YAML file (possibly several documents)."""
    try:
        documents = [d for d in yaml.safe_load_all(text)]
    except yaml.YAMLError as error:
        raise SloFileError(path, 0, "yaml", str(error).replace("\n", " ")) from None
    found: list[SloSpec] = []
    openslo: list[tuple[int, dict[str, Any]]] = []
    for index, data in enumerate(documents):
        if data is None:
            continue
        doc = _Doc(path, index)
        if not isinstance(data, dict):
            raise doc.fail("", "expected a mapping")
        api = str(data.get("apiVersion") or "")
        if api == "sloth.slok.dev/v1":
            if data.get("kind") != "PrometheusServiceLevel":
                raise doc.fail("kind", "expected PrometheusServiceLevel")
            spec = doc.get(data, "spec", "", kind=dict)
            found += _sloth_slos(
                doc,
                doc.get(spec, "service", "spec"),
                spec.get("labels") or {},
                spec.get("slos"),
                False,
            )
        elif str(data.get("version") or "") == "prometheus/v1":
            found += _sloth_slos(
                doc, doc.get(data, "service", ""), data.get("labels") or {}, data.get("slos"), True
            )
        elif api == "openslo/v1":
            openslo.append((index, data))
        elif "service" in data and "slos" in data:
            found += _plain(doc, data)
        else:
            raise doc.fail("apiVersion", "not Sloth, OpenSLO v1 or the plain service/slos form")
    if openslo:
        found += _openslo(path, openslo)
    return found
