"""Sloth files: the `sloth.slok.dev/v1` PrometheusServiceLevel and the `prometheus/v1` plain
form. Both spellings of a key (errorQuery / error_query ...) are read in both forms, and the
import says when a file used the other form's spelling."""

from __future__ import annotations

from typing import Any

from .. import rules
from .common import Doc, SloFileError, SloSpec, text_map

# camelCase (sloth.slok.dev/v1) -> snake_case (prometheus/v1)
SPELLINGS = {
    "errorQuery": "error_query",
    "totalQuery": "total_query",
    "errorRatioQuery": "error_ratio_query",
    "pageAlert": "page_alert",
    "ticketAlert": "ticket_alert",
    "sloPlugins": "slo_plugins",
}
RESERVED_WHY = {
    "severity": "page or ticket",
    "service": "the SLO's service",
    "slo": "the SLO's name",
    "burn_window": "the burn-rate pair",
}
PLUGINS_WHY = "Sloth plugins change the rules Sloth generates; Keel does not run them"


class _Spelling:
    """Reads a key in either spelling and remembers which non-native ones a document used."""

    def __init__(self, doc: Doc, *, camel: bool) -> None:
        self.doc, self.camel, self.other_used = doc, camel, []  # type: ignore[var-annotated]

    def key(self, data: Any, camel: str, where: str) -> tuple[Any, str]:
        snake = SPELLINGS[camel]
        native, other = (camel, snake) if self.camel else (snake, camel)
        if not isinstance(data, dict):
            return None, native
        if data.get(native) is not None and data.get(other) is not None:
            raise self.doc.fail(
                f"{where}.{native}", f"given twice, as {native} and as {other}; keep one"
            )
        if data.get(native) is None and other in data:
            if other not in self.other_used:
                self.other_used.append(other)
            return data[other], other
        return data.get(native), native

    def say(self, form: str) -> None:
        if not self.other_used:
            return
        native = [
            camel if self.camel else SPELLINGS[camel]
            for camel in SPELLINGS
            if camel in self.other_used or SPELLINGS[camel] in self.other_used
        ]
        other_form = "prometheus/v1" if self.camel else "sloth.slok.dev/v1"
        self.doc.note(
            "",
            f"read {', '.join(self.other_used)} (the {other_form} spelling) as "
            f"{', '.join(native)}, the {form} spelling: both mean the same here",
        )


def _alert_level(doc: Doc, data: Any, where: str, level: str) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise doc.fail(where, "expected a mapping")
    doc.ignored(data, where, {"disable", "labels", "annotations"})
    found: dict[str, Any] = {}
    if data.get("disable"):
        found["disabled"] = True
        doc.note(where, f"{level} alerts disabled: the exported rules have no {level} alerts")
    for kind in ("labels", "annotations"):
        values = _without_reserved(
            doc, text_map(doc, data.get(kind), f"{where}.{kind}"), where, kind
        )
        if values:
            found[kind] = values
    return found


def _without_reserved(doc: Doc, values: dict[str, str], where: str, kind: str) -> dict[str, str]:
    if kind != "labels":
        return values
    kept = {}
    for key, value in values.items():
        if key in rules.RESERVED_LABELS:
            doc.note(
                f"{where}.labels.{key}",
                f"{key}={value} not applied: Keel's alerts set {key} themselves "
                f"({RESERVED_WHY[key]}), so that Alertmanager routes them back to the SLO",
            )
        else:
            kept[key] = value
    return kept


def _alerting(doc: Doc, spelling: _Spelling, data: Any, where: str) -> dict[str, Any]:
    """Sloth's alerting section as Keel's: the alert name, labels and annotations, and per
    severity (page, ticket) labels, annotations and `disable`."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise doc.fail(where, "expected a mapping")
    page, page_key = spelling.key(data, "pageAlert", where)
    ticket, ticket_key = spelling.key(data, "ticketAlert", where)
    doc.ignored(data, where, {"name", "labels", "annotations", page_key, ticket_key})
    alerting: dict[str, Any] = {}
    if data.get("name") is not None:
        alerting["name"] = str(data["name"])
    for kind in ("labels", "annotations"):
        values = _without_reserved(
            doc, text_map(doc, data.get(kind), f"{where}.{kind}"), where, kind
        )
        if values:
            alerting[kind] = values
    for level, value, key in (("page", page, page_key), ("ticket", ticket, ticket_key)):
        found = _alert_level(doc, value, f"{where}.{key}", level)
        if found:
            alerting[level] = found
    problem = rules.alerting_problem(alerting)
    if problem:
        raise doc.fail(where, problem)
    return alerting


def _sli(doc: Doc, spelling: _Spelling, sli: Any, where: str) -> tuple[str, str, dict[str, str]]:
    """(bad, total) queries and where each was written."""
    if not isinstance(sli, dict):
        raise doc.fail(where, "expected a mapping")
    if sli.get("plugin") is not None:
        raise doc.fail(
            f"{where}.plugin",
            "SLI plugins run inside Sloth and Keel cannot evaluate them; write the queries "
            "as sli.events (errorQuery and totalQuery) or sli.raw (errorRatioQuery)",
        )
    if sli.get("events") is not None:
        events = sli["events"]
        error, error_key = spelling.key(events, "errorQuery", f"{where}.events")
        total, total_key = spelling.key(events, "totalQuery", f"{where}.events")
        doc.ignored(events, f"{where}.events", {error_key, total_key})
        error_at, total_at = f"{where}.events.{error_key}", f"{where}.events.{total_key}"
        if error is None:
            raise doc.fail(error_at, "is required")
        if total is None:
            raise doc.fail(total_at, "is required")
        bad = doc.query(error, error_at)
        return (
            bad,
            doc.query(total, total_at),
            {
                "bad_query": doc.location(error_at),
                "total_query": doc.location(total_at),
            },
        )
    if sli.get("raw") is not None:
        ratio, ratio_key = spelling.key(sli["raw"], "errorRatioQuery", f"{where}.raw")
        at = f"{where}.raw.{ratio_key}"
        if ratio is None:
            raise doc.fail(at, "is required")
        bad, total = doc.ratio_query(ratio, at)
        return bad, total, {"bad_query": doc.location(at), "total_query": doc.location(at)}
    raise doc.fail(where, "needs events (errorQuery, totalQuery) or raw (errorRatioQuery)")


def read(doc: Doc, data: dict[str, Any], *, crd: bool) -> list[SloSpec]:
    """The SLOs of a Sloth document (crd: the Kubernetes `sloth.slok.dev/v1` form)."""
    spelling = _Spelling(doc, camel=crd)
    prefix = "spec." if crd else ""
    if crd:
        if data.get("kind") != "PrometheusServiceLevel":
            raise doc.fail("kind", "expected PrometheusServiceLevel")
        doc.ignored(data, "", {"apiVersion", "kind", "metadata", "spec"})
        root = doc.get(data, "spec", "", kind=dict)
    else:
        root = data
    plugins, plugins_key = spelling.key(root, "sloPlugins", prefix.rstrip("."))
    known = {"service", "labels", "slos", plugins_key} | (set() if crd else {"version"})
    doc.ignored(root, prefix.rstrip("."), known)
    if plugins is not None:
        doc.note(f"{prefix}{plugins_key}", f"ignored: {PLUGINS_WHY}")
    service = doc.get(root, "service", prefix.rstrip("."))
    labels = text_map(doc, root.get("labels"), f"{prefix}labels")
    owner = labels.get("owner", "")
    slos = root.get("slos")
    if not isinstance(slos, list) or not slos:
        raise doc.fail(f"{prefix}slos", "expected a non-empty list")
    found, errors = [], []
    for i, item in enumerate(slos):
        where = f"{prefix}slos[{i}]"
        try:
            found.append(_slo(doc, spelling, item, where, service, labels))
        except SloFileError as error:
            errors.append(error)
            continue
        found[-1].service_owner = owner
        found[-1].owner_location = doc.location(f"{prefix}labels.owner")
        found[-1].owner_required = False
    spelling.say("sloth.slok.dev/v1" if crd else "prometheus/v1")
    if errors:
        raise SloFileError.of(errors)
    return found


def _slo(
    doc: Doc,
    spelling: _Spelling,
    item: Any,
    where: str,
    service: str,
    labels: dict[str, str],
) -> SloSpec:
    name = doc.get(item, "name", where)
    objective = doc.percent(doc.get(item, "objective", where), f"{where}.objective")
    doc.ignored(
        item, where, {"name", "objective", "description", "labels", "sli", "alerting", "plugins"}
    )
    if item.get("plugins") is not None:
        doc.note(f"{where}.plugins", f"ignored: {PLUGINS_WHY}")
    bad, total, located = _sli(
        doc, spelling, doc.get(item, "sli", where, kind=dict), f"{where}.sli"
    )
    slo_labels = {**labels, **text_map(doc, item.get("labels"), f"{where}.labels")}
    return SloSpec(
        service=service,
        name=name,
        objective=objective,
        description=str(item.get("description") or ""),
        bad_query=bad,
        total_query=total,
        labels=slo_labels,
        alerting=_alerting(doc, spelling, item.get("alerting"), f"{where}.alerting"),
        location=doc.location(where),
        field_locations={**located, "alerting": doc.location(f"{where}.alerting")},
    )
