"""Argo Rollouts' reading of a web metric, for the subset of its expression language
(github.com/expr-lang/expr) that deploy/argo/analysis-template.yaml uses:

    condition  := conjunction ("||" conjunction)*
    conjunction := comparison ("&&" comparison)*
    comparison := "result" ("." name)+ ("==" | "!=") "double-quoted string without escapes"

Anything else is refused (UnsupportedCondition), so the template cannot grow past what
is evaluated here. The semantics are expr's: a member of a map that is not there is nil,
a member of anything but a map is an error, `==` is false across types, && and ||
short-circuit. The phases follow Argo's webmetric provider and evaluate.EvaluateResult:
a non-2xx answer is an Error; a body that is not JSON is evaluated as a string."""

from __future__ import annotations

import json
import re
from typing import Any

TOKEN = re.compile(r'\s*(?:(\|\||&&|==|!=|\.)|([A-Za-z_][A-Za-z0-9_]*)|"([^"\\]*)")')

SUCCESSFUL, FAILED, INCONCLUSIVE, ERROR = "Successful", "Failed", "Inconclusive", "Error"


class UnsupportedCondition(ValueError):
    """A condition outside the subset evaluated here."""


class EvaluationError(Exception):
    """What expr reports at run time (fetching a member of a string, of nil, ...)."""


def _tokens(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise UnsupportedCondition(f"unsupported syntax at {text[position:]!r}")
        operator, name, string = match.groups()
        if operator:
            found.append(("op", operator))
        elif name:
            found.append(("name", name))
        else:
            found.append(("string", string))
        position = match.end()
    return found


def parse(text: str) -> list[list[tuple[list[str], str, str]]]:
    """The condition as a disjunction of conjunctions of (path, operator, string)."""
    tokens = _tokens(text)
    position = 0

    def take(kind: str, value: str | None = None) -> str:
        nonlocal position
        if position >= len(tokens):
            raise UnsupportedCondition(f"{text!r} ends early")
        got_kind, got = tokens[position]
        if got_kind != kind or (value is not None and got != value):
            raise UnsupportedCondition(f"unexpected {got!r} in {text!r}")
        position += 1
        return got

    def peek() -> str | None:
        return tokens[position][1] if position < len(tokens) else None

    def comparison() -> tuple[list[str], str, str]:
        if take("name") != "result":
            raise UnsupportedCondition(f"a comparison starts with result in {text!r}")
        path = []
        while peek() == ".":
            take("op", ".")
            path.append(take("name"))
        if not path:
            raise UnsupportedCondition(f"compare a member of result in {text!r}")
        operator = take("op")
        if operator not in ("==", "!="):
            raise UnsupportedCondition(f"unsupported operator {operator!r} in {text!r}")
        return path, operator, take("string")

    disjunction = []
    while True:
        conjunction = [comparison()]
        while peek() == "&&":
            take("op", "&&")
            conjunction.append(comparison())
        disjunction.append(conjunction)
        if peek() != "||":
            break
        take("op", "||")
    if position != len(tokens):
        raise UnsupportedCondition(f"unexpected {tokens[position][1]!r} in {text!r}")
    return disjunction


def _fetch(value: Any, path: list[str]) -> Any:
    for name in path:
        if not isinstance(value, dict):
            raise EvaluationError(f"cannot fetch {name} from {type(value).__name__}")
        value = value.get(name)
    return value


def evaluate(text: str, result: Any) -> bool:
    for conjunction in parse(text):
        holds = True
        for path, operator, string in conjunction:
            value = _fetch(result, path)
            equal = isinstance(value, str) and value == string
            if equal != (operator == "=="):
                holds = False
                break  # && short-circuits
        if holds:
            return True  # || short-circuits
    return False


def evaluate_result(result: Any, metric: dict[str, Any]) -> str:
    """evaluate.EvaluateResult: the phase of one measurement."""
    success_text = metric.get("successCondition", "")
    failure_text = metric.get("failureCondition", "")
    try:
        success = evaluate(success_text, result) if success_text else False
        failure = evaluate(failure_text, result) if failure_text else False
    except EvaluationError:
        return ERROR
    if not success_text and not failure_text:
        return SUCCESSFUL
    if success_text and not failure_text:
        failure = not success
    elif failure_text and not success_text:
        success = not failure
    if failure:
        return FAILED
    if not success:
        return INCONCLUSIVE
    return SUCCESSFUL


def measure(metric: dict[str, Any], status: int, body: bytes) -> str:
    """The webmetric provider's phase for one HTTP answer (jsonPath `{$}` only)."""
    web = metric["provider"]["web"]
    if web.get("jsonPath", "{$}") != "{$}":
        raise UnsupportedCondition("only jsonPath {$} is evaluated here")
    if not 200 <= status < 300:
        return ERROR
    try:
        result: Any = json.loads(body)
    except ValueError:
        result = body.decode("utf-8", errors="replace")
    return evaluate_result(result, metric)
