"""deploy/argo/analysis-template.yaml read as Argo Rollouts reads it: its request sent to a
live Keel, its conditions evaluated on Keel's real answers."""

import re
import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import yaml

from tests.slos import argo_conditions as argo
from tests.slos.gate_states import STATES

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "argo" / "analysis-template.yaml"
SLOW_MACHINE_SECONDS = 60
ARG = re.compile(r"\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}")


def _metric() -> dict:
    template = yaml.safe_load(TEMPLATE.read_text())
    assert template["kind"] == "AnalysisTemplate"
    (metric,) = template["spec"]["metrics"]
    return metric


def _ask(metric: dict, **args: str) -> tuple[int, bytes]:
    """The measurement's request, with the template's args filled in."""

    def fill(text: str) -> str:
        return ARG.sub(lambda m: args[m.group(1)], text)

    web = metric["provider"]["web"]
    request = urllib.request.Request(
        fill(web["url"]),
        method=web.get("method", "GET"),
        headers={h["key"]: fill(h["value"]) for h in web.get("headers", [])},
    )
    try:
        # a loaded test machine may be slower than the template's timeoutSeconds
        with urllib.request.urlopen(request, timeout=SLOW_MACHINE_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        ("allow", argo.SUCCESSFUL),
        ("warn", argo.SUCCESSFUL),
        ("block", argo.FAILED),
        ("prometheus_down", argo.FAILED),
    ],
)
def test_the_template_passes_allow_and_warn_and_fails_a_block(
    state, phase, settings, base_url, checkout, viewer_token
):
    STATES[state](checkout, settings)
    metric = _metric()
    status, body = _ask(
        metric, **{"keel-url": base_url, "keel-token": viewer_token, "service": "checkout"}
    )
    assert status == 200, body
    assert argo.measure(metric, status, body) == phase


def test_a_bad_token_or_an_unknown_service_is_a_measurement_error(
    settings, base_url, checkout, viewer_token
):
    STATES["allow"](checkout, settings)
    metric = _metric()
    for token, service in (("keel_api_nope", "checkout"), (viewer_token, "nope")):
        status, body = _ask(
            metric, **{"keel-url": base_url, "keel-token": token, "service": service}
        )
        assert argo.measure(metric, status, body) == argo.ERROR, (status, body)
    assert metric["consecutiveErrorLimit"] >= 0 and metric["failureLimit"] == 0


def test_an_answer_without_a_decision_fails_and_one_that_is_not_json_errs():
    metric = _metric()
    # the API's root, reached by a URL missing its path: JSON, but no decision
    assert argo.measure(metric, 200, b'{"incidents": "http://keel/api/v1/incidents/"}') == (
        argo.FAILED
    )
    assert argo.measure(metric, 200, b"<html>sign in</html>") == argo.ERROR
    assert argo.measure(metric, 200, b'["allow"]') == argo.ERROR
    assert argo.measure(metric, 200, b'{"decision": "ALLOW"}') == argo.FAILED


@pytest.mark.parametrize(
    ("condition", "result", "expected"),
    [
        ('result.decision == "allow"', {"decision": "allow"}, True),
        ('result.decision != "allow"', {"decision": "allow"}, False),
        ('result.decision != "block"', {}, True),  # nil != "block": why the template does not
        ('result.a.b == "x"', {"a": {"b": "x"}}, True),
        ('result.a == "1"', {"a": 1}, False),
        ('result.a == "x" || result.b == "y" && result.c == "z"', {"a": "x"}, True),
        ('result.a == "x" || result.b == "y" && result.c == "z"', {"b": "y", "c": "q"}, False),
        ('result.a == "x" && result.b == "y" || result.c == "z"', {"c": "z"}, True),
    ],
)
def test_the_evaluator_on_the_subset(condition, result, expected):
    assert argo.evaluate(condition, result) is expected


@pytest.mark.parametrize(
    "condition",
    [
        'result.decision in ["allow", "warn"]',
        "result.decision == 'allow'",
        'result["decision"] == "allow"',
        'result == "allow"',
        "asFloat(result.slos) > 0.1",
        'result.decision == "allow" ||',
        '(result.decision == "allow")',
        'result.decision == "a\\"b"',
    ],
)
def test_the_evaluator_refuses_what_it_does_not_evaluate(condition):
    with pytest.raises(argo.UnsupportedCondition):
        argo.evaluate(condition, {"decision": "allow"})


def test_a_member_of_a_string_is_an_error_as_in_expr():
    with pytest.raises(argo.EvaluationError):
        argo.evaluate('result.decision == "allow"', "not json")
    with pytest.raises(argo.EvaluationError):
        argo.evaluate('result.a.b == "x"', {"a": None})


def test_an_unreachable_keel_is_not_a_success():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    metric = _metric()
    with pytest.raises(urllib.error.URLError):
        _ask(metric, **{"keel-url": f"http://127.0.0.1:{port}", "keel-token": "t", "service": "x"})
