"""PromQL checked as Keel will run it: parsed (promql-parser, the Rust parser of GreptimeDB's
stack), refused with a reason when Keel cannot evaluate it over an arbitrary window, or
rewritten when the rewrite is exact (a counter rate with a fixed range). Pure: no Django."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import promql_parser

WINDOW = "{{.window}}"
SECONDS = "{{.seconds}}"
# The lookback substituted when a template is checked: any length gives the same tree, and
# an odd one tells the window apart from a fixed range written beside it.
CHECK_SECONDS = 86413

# Functions of VictoriaMetrics's MetricsQL that Prometheus does not have, named so that the
# refusal says where a query comes from.
METRICSQL_FUNCTIONS = frozenset(
    {
        "histogram_share",
        "histogram_over_time",
        "share_le_over_time",
        "share_gt_over_time",
        "share_eq_over_time",
        "count_le_over_time",
        "count_gt_over_time",
        "count_eq_over_time",
        "count_ne_over_time",
        "increase_pure",
        "increase_prometheus",
        "rate_over_sum",
        "range_median",
        "median_over_time",
        "rollup",
        "rollup_rate",
        "rollup_increase",
        "prometheus_buckets",
        "buckets_limit",
        "running_sum",
        "range_sum",
        "sum_le_over_time",
        "limit_offset",
        "quantiles",
        "union",
        "label_set",
        "label_del",
        "default_rollup",
        "lifetime",
        "tlast_over_time",
    }
)
_UNKNOWN_FUNCTION = re.compile(r"unknown function with name '([^']+)'")
# Where Prometheus takes the placeholders: the window as a range or subquery range, the
# seconds as a number of its own.
_WINDOW_USE = re.compile(r"\[\s*\{\{\.window\}\}\s*(?::[^\]]*)?\]")
_SECONDS_USE = re.compile(r"(?<![\w.])\{\{\.seconds\}\}(?![\w.])")
_FLOAT = re.compile(r"(?<![\w.])(\d*\.?\d+[eE][+-]?\d+)(?![\w.])")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_BRACKETS = re.compile(r"\[[^\]]*\]")
_DURATION = re.compile(r"(?<![\w.])\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*(?![\w.])")
_OFFSET = re.compile(r"(?<![\w:])offset(?![\w:])")
_OFFSET_USE = re.compile(r"[\w\]})]\s*offset\s+-?([\w.]+)")
_SELECTOR = re.compile(r"(?:[a-zA-Z_:][\w:]*)?\s*(?:\{.*\})?", re.DOTALL)
_WORDS = re.compile(r"[A-Za-z]+")


class QueryError(ValueError):
    """A query Keel cannot evaluate; the message says why, for the person who wrote it."""


@dataclass(frozen=True)
class CheckedQuery:
    """A query as Keel stores it, and what was changed on the way (empty: nothing)."""

    query: str
    note: str = ""


def _looks_like_prose(text: str) -> bool:
    return len(_WORDS.findall(text)) >= 3 and not re.search(r"[{}()\[\]]", text)


def parse(text: str) -> Any:
    """The AST of a PromQL expression, or a QueryError saying what is wrong with it."""
    try:
        return promql_parser.parse(text)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as error:  # the Rust parser panics (PanicException) on some input
        message = (str(error).splitlines() or [type(error).__name__])[0]
    unknown = _UNKNOWN_FUNCTION.search(message)
    if unknown:
        name = unknown.group(1)
        if name in METRICSQL_FUNCTIONS:
            raise QueryError(
                f"{name}() is a MetricsQL (VictoriaMetrics) function; Prometheus has no such "
                "function, so Keel cannot evaluate the query or export rules for it"
            )
        raise QueryError(f"{name}() is not a Prometheus function")
    if _looks_like_prose(text):
        raise QueryError(
            f"{text.strip()!r} is a description, not a PromQL query; give the query, e.g. "
            'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))'
        )
    raise QueryError(f"is not valid PromQL ({message}): {text.strip()}")


def _check_tokens(text: str) -> None:
    """What the Rust parser takes but Prometheus refuses (it follows a later PromQL)."""
    if text.count(WINDOW) != len(_WINDOW_USE.findall(text)):
        raise QueryError(f"{WINDOW} stands only for a range, as in rate(x[{WINDOW}])")
    if text.count(SECONDS) != len(_SECONDS_USE.findall(text)):
        raise QueryError(f"{SECONDS} stands only for a number of its own, as in x * {SECONDS}")
    code = _STRING.sub('""', substitute(text, CHECK_SECONDS))
    for number in _FLOAT.findall(code):
        if float(number) == float("inf"):
            raise QueryError(f"{number} is out of the range of a number Prometheus reads")
    # Prometheus (before 3.x) reads a duration only in [...] and after offset, and offset
    # only after a selector, a range or a subquery.
    outside = _BRACKETS.sub("[]", code)
    offsets = _OFFSET_USE.findall(outside)
    if len(_OFFSET.findall(outside)) != len(offsets) or not all(
        _DURATION.fullmatch(value) for value in offsets
    ):
        raise QueryError("offset is followed by a duration (offset 5m) after a selector")
    if len(_DURATION.findall(outside)) != len(offsets):
        raise QueryError("a duration (5m, 1h) stands only in [...] or after offset")


def substitute(template: str, seconds: int) -> str:
    return template.replace(WINDOW, f"{seconds}s").replace(SECONDS, str(seconds))


def _children(node: Any) -> list[Any]:
    if isinstance(node, promql_parser.AggregateExpr):
        return [node.expr] + ([node.param] if isinstance(node.param, promql_parser.Expr) else [])
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.UnaryExpr | promql_parser.ParenExpr):
        return [node.expr]
    if isinstance(node, promql_parser.SubqueryExpr):
        return [node.expr]
    if isinstance(node, promql_parser.Call):
        return [a for a in node.args if isinstance(a, promql_parser.Expr)]
    return []


def _shifted(node: Any) -> bool:
    """Whether a selector or subquery carries offset or @, which moves the counted window."""
    if isinstance(node, promql_parser.MatrixSelector):
        node = node.vector_selector
    if isinstance(node, promql_parser.VectorSelector | promql_parser.SubqueryExpr) and (
        node.offset is not None or node.at is not None
    ):
        return True
    return any(_shifted(child) for child in _children(node))


def _functions(node: Any) -> set[str]:
    found = {node.func.name} if isinstance(node, promql_parser.Call) else set()
    for child in _children(node):
        found |= _functions(child)
    return found


def _fixed_ranges(node: Any, window: timedelta, inside_window: bool = False) -> list[str]:
    """Ranges that are not the window, outside any subquery over the window: over a 30-day
    window Keel would count only their last few minutes."""
    if isinstance(node, promql_parser.MatrixSelector):
        if node.range != window and not inside_window:
            return [promql_parser.display_duration(node.range)]
        return []
    if isinstance(node, promql_parser.SubqueryExpr):
        if node.range is not None and node.range != window and not inside_window:
            return [promql_parser.display_duration(node.range)]
        inside_window = True
    found: list[str] = []
    for child in _children(node):
        found += _fixed_ranges(child, window, inside_window)
    return found


def _check_events(expr: Any, *, templated: bool) -> None:
    """What makes a parsed event query unusable as Keel reads it (see prometheus.window_query:
    rates are scaled by the window's seconds, counts taken as they are)."""
    if isinstance(expr, promql_parser.MatrixSelector | promql_parser.SubqueryExpr):
        raise QueryError(
            "returns a range vector; Keel needs an instant vector "
            "(e.g. wrap it in sum(increase(...)))"
        )
    if isinstance(expr, promql_parser.StringLiteral):
        raise QueryError("is a string; Keel needs an instant vector of events")
    if _shifted(expr):
        raise QueryError(
            "uses offset or @, which moves the counted window away from the one Keel asks for"
        )
    functions = _functions(expr)
    if "irate" in functions:
        raise QueryError(
            "uses irate(), which reads only the last two samples; use rate() so that the whole "
            "window is counted"
        )
    if "rate" in functions and "increase" in functions:
        raise QueryError(
            "mixes rate() and increase(); Keel scales a rate query by the window's seconds and "
            "takes an increase query as a count, so use one of them"
        )
    if templated:
        fixed = _fixed_ranges(expr, timedelta(seconds=CHECK_SECONDS))
        if fixed:
            raise QueryError(
                f"uses a fixed range [{fixed[0]}] beside {WINDOW}: over a long window Keel would "
                f"count only its last {fixed[0]}; write [{WINDOW}]"
            )


def _check_vector(query: str) -> None:
    """Keel sums a query's series (sum(...)), which Prometheus refuses for a scalar."""
    try:
        parse(f"sum({query})")
    except QueryError:
        raise QueryError(
            "returns a scalar; Keel needs an instant vector of events (e.g. vector(...))"
        ) from None


def _counter_rate(node: Any) -> bool:
    """A sum of rate()/increase() of counter selectors (numbers and + - allowed): replacing
    its ranges by the window gives exactly the events over any window."""
    if isinstance(node, promql_parser.NumberLiteral):
        return True
    if isinstance(node, promql_parser.ParenExpr):
        return _counter_rate(node.expr)
    if isinstance(node, promql_parser.AggregateExpr):
        return str(node.op) == "sum" and _counter_rate(node.expr)
    if isinstance(node, promql_parser.BinaryExpr):
        return str(node.op) in ("+", "-") and _counter_rate(node.lhs) and _counter_rate(node.rhs)
    if isinstance(node, promql_parser.Call):
        if node.func.name not in ("rate", "increase") or len(node.args) != 1:
            return False
        matrix = node.args[0]
        return (
            isinstance(matrix, promql_parser.MatrixSelector)
            and matrix.vector_selector.offset is None
            and matrix.vector_selector.at is None
        )
    return False


def _matrices(node: Any) -> list[Any]:
    if isinstance(node, promql_parser.MatrixSelector):
        return [node]
    found: list[Any] = []
    for child in _children(node):
        found += _matrices(child)
    return found


def _as_window_template(expr: Any, text: str) -> str:
    if not (_counter_rate(expr) and _matrices(expr)):
        raise QueryError(
            f"has no {WINDOW} and is neither a counter selector (e.g. http_requests_total"
            '{code=~"5.."}) nor a sum of rate() or increase() of counters, so Keel cannot '
            f"read it over an arbitrary window; write its range as [{WINDOW}]: {text.strip()}"
        )
    printed = str(expr)
    for matrix in _matrices(expr):
        selector = str(matrix.vector_selector)
        if matrix.vector_selector.name and selector.endswith("{}"):
            selector = selector[:-2]
        printed = printed.replace(str(matrix), f"{selector}[{WINDOW}]")
    return printed


def check_events_query(template: str) -> CheckedQuery:
    """An event query (bad, good or total) as Keel stores it, or a QueryError.

    A template with `{{.window}}` (or `{{.seconds}}`) is checked with a lookback substituted;
    a bare selector is a counter Keel wraps in `sum(increase(...))`; a counter rate with a
    fixed range (`sum(rate(x[5m]))`) is rewritten to the window, which is exact; anything
    else without the window is refused."""
    text = template.strip()
    if not text:
        raise QueryError("is empty")
    _check_tokens(text)
    if WINDOW in text or SECONDS in text:
        expr = parse(substitute(text, CHECK_SECONDS))
        _check_events(expr, templated=True)
        _check_vector(substitute(text, CHECK_SECONDS))
        return CheckedQuery(text)
    expr = parse(text)
    if isinstance(expr, promql_parser.VectorSelector) and _SELECTOR.fullmatch(text):
        if expr.offset is not None or expr.at is not None:
            raise QueryError("a counter selector with offset or @ would count another window")
        parse(f"sum(increase({text}[{CHECK_SECONDS}s]))")
        return CheckedQuery(text)
    converted = _as_window_template(expr, text)
    _check_events(parse(substitute(converted, CHECK_SECONDS)), templated=True)
    _check_vector(substitute(converted, CHECK_SECONDS))
    return CheckedQuery(
        converted,
        f"rewrote {text} as {converted} so that it counts the events of any window (exact "
        "for counters)",
    )


def check_expression(text: str) -> None:
    """A whole expression (a generated rule) that Prometheus must accept."""
    _check_tokens(text)
    parse(text)
