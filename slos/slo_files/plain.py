"""The plain list form teams write by hand: `service`, `owner`, `slos[]` with `sli` as
numerator/denominator queries or a histogram `metric` and a latency `threshold`."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import promql_parser

from .. import promql
from .common import Doc, SloFileError, SloSpec

_THRESHOLD = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|m)?\s*")
_UNIT_SECONDS = {"ms": Decimal("0.001"), "s": Decimal(1), "m": Decimal(60), None: None}


def bucket_bound(threshold: Any, metric: str, doc: Doc, where: str) -> str:
    """The `le` label of a latency threshold: Prometheus histograms count in the unit of
    their name (seconds, unless `_milliseconds`), so `2000ms` is `le="2"`; a bare number is
    already in the histogram's unit."""
    match = _THRESHOLD.fullmatch(str(threshold))
    if match is None or isinstance(threshold, bool):
        raise doc.fail(where, f"{threshold!r} is not a latency like 300ms, 2s or 0.5")
    try:
        value = Decimal(match.group(1))
    except InvalidOperation:
        raise doc.fail(where, f"{threshold!r} is not a number") from None
    unit = match.group(2)
    if unit is not None:
        seconds = value * _UNIT_SECONDS[unit]  # type: ignore[operator]
        value = seconds * 1000 if metric.endswith("_milliseconds") else seconds
    if value <= 0:
        raise doc.fail(where, "a latency threshold is above 0")
    text = format(value.normalize(), "f")
    return text


def _histogram(doc: Doc, item: dict[str, Any], sli: dict[str, Any], where: str) -> dict[str, str]:
    """good: the bucket at the threshold; total: the histogram's count."""
    at = f"{where}.sli.metric"
    text = doc.get(sli, "metric", f"{where}.sli")
    try:
        expr = promql.parse(text)
    except promql.QueryError as error:
        raise doc.fail(at, str(error)) from None
    if not isinstance(expr, promql_parser.VectorSelector) or not expr.name:
        raise doc.fail(at, "expected a histogram selector, e.g. http_request_duration_seconds")
    if any(m.name == "le" for m in expr.matchers.matchers):
        raise doc.fail(at, "give the selector without le; the threshold sets it")
    if expr.offset is not None or expr.at is not None:
        raise doc.fail(at, "a selector with offset or @ would count another window")
    metric = expr.name.removesuffix("_bucket").removesuffix("_count").removesuffix("_sum")
    if "threshold" in sli:
        threshold, threshold_at = sli["threshold"], f"{where}.sli.threshold"
    elif "threshold" in item:
        threshold, threshold_at = item["threshold"], f"{where}.threshold"
    else:
        raise doc.fail(f"{where}.sli.threshold", "is required with a metric")
    bound = bucket_bound(threshold, metric, doc, threshold_at)
    matchers = str(expr.matchers).strip("{}")
    bucket = ", ".join(part for part in [matchers, f'le="{bound}"'] if part)
    return {
        "good_query": doc.query(f"{metric}_bucket{{{bucket}}}", at),
        "total_query": doc.query(f"{metric}_count{{{matchers}}}", at),
        "at": at,
        "threshold_at": threshold_at,
    }


def read(doc: Doc, data: dict[str, Any]) -> list[SloSpec]:
    service = doc.get(data, "service", "")
    owner = str(data.get("owner") or "")
    doc.ignored(data, "", {"service", "owner", "slos"})
    slos = doc.get(data, "slos", "", kind=list)
    found, errors = [], []
    for i, item in enumerate(slos):
        try:
            found.append(_slo(doc, item, f"slos[{i}]", service))
        except SloFileError as error:
            errors.append(error)
            continue
        found[-1].service_owner = owner
        found[-1].owner_location = doc.location("owner")
    if errors:
        raise SloFileError.of(errors)
    return found


def _slo(doc: Doc, item: Any, where: str, service: str) -> SloSpec:
    name = doc.get(item, "name", where)
    doc.ignored(item, where, {"name", "description", "sli", "target", "window", "threshold"})
    target = doc.percent(doc.get(item, "target", where), f"{where}.target")
    days = doc.days(str(item.get("window") or "30d"), f"{where}.window")
    sli = doc.get(item, "sli", where, kind=dict)
    if "numerator" in sli or "denominator" in sli:
        doc.ignored(sli, f"{where}.sli", {"numerator", "denominator"})
        good_at, total_at = f"{where}.sli.numerator", f"{where}.sli.denominator"
        good = doc.query(doc.get(sli, "numerator", f"{where}.sli"), good_at)
        total = doc.query(doc.get(sli, "denominator", f"{where}.sli"), total_at)
    elif "metric" in sli:
        doc.ignored(sli, f"{where}.sli", {"metric", "threshold"})
        histogram = _histogram(doc, item, sli, where)
        good, total = histogram["good_query"], histogram["total_query"]
        good_at = total_at = histogram["at"]
        doc.note(histogram["threshold_at"], f"latency SLI read as {good} over {total}")
    else:
        raise doc.fail(f"{where}.sli", "needs numerator and denominator, or metric and threshold")
    return SloSpec(
        service=service,
        name=name,
        objective=target,
        description=str(item.get("description") or ""),
        window_days=days,
        good_query=good,
        total_query=total,
        location=doc.location(where),
        field_locations={
            "good_query": doc.location(good_at),
            "total_query": doc.location(total_at),
        },
    )
