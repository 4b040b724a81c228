"""The GitHub Action in .github/actions/keel-gate, run as the runner runs a composite
action (its step's env from the inputs, its script by bash) against a live Keel, with
$GITHUB_OUTPUT in a temporary file."""

import json
import os
import re
import socket
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.slos.gate_states import EXPECTED, STATES

ACTION = Path(__file__).resolve().parents[2] / ".github" / "actions" / "keel-gate"
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def _substitute(text: str, names: dict[str, str]) -> str:
    """The `${{ … }}` expressions the action uses; any other one fails the test."""

    def value(match: re.Match) -> str:
        assert match.group(1) in names, f"unexpected expression {match.group(0)}"
        return names[match.group(1)]

    return EXPRESSION.sub(value, text)


def _shown(annotation: str) -> str:
    """An annotation as the runner shows it (it unescapes %25, %0D and %0A)."""
    return annotation.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def run_action(tmp_path: Path, **inputs: str) -> tuple[int, str, dict[str, str]]:
    """Exit code, standard output and the action's outputs."""
    action = yaml.safe_load((ACTION / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    given = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert set(inputs) <= set(given), set(inputs) - set(given)
    given["timeout"] = "60"  # a loaded test machine may be slower than the default
    given.update(inputs)
    names = {f"inputs.{name}": value for name, value in given.items()}
    output_file = tmp_path / "github_output"
    output_file.write_text("")
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(output_file),
        "GITHUB_ACTION_PATH": str(ACTION),
    }
    code = 0
    step_outputs: dict[str, dict[str, str]] = {}
    stdout = ""
    for step in action["runs"]["steps"]:
        assert step["shell"] == "bash"
        step_env = {k: _substitute(str(v), names) for k, v in step.get("env", {}).items()}
        output_file.write_text("")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            env={**env, **step_env},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        stdout += done.stdout
        assert not done.stderr, done.stderr
        lines = [line for line in output_file.read_text().splitlines() if line]
        step_outputs[step["id"]] = dict(line.split("=", 1) for line in lines)
        code = done.returncode
        if code:
            break
    for step_id, values in step_outputs.items():
        names.update({f"steps.{step_id}.outputs.{k}": v for k, v in values.items()})
    outputs = {name: _substitute(spec["value"], names) for name, spec in action["outputs"].items()}
    return code, stdout, outputs


@pytest.mark.parametrize("state", list(STATES))
def test_the_action_reports_the_gate(
    state, settings, base_url, checkout, viewer_api, viewer_token, tmp_path
):
    STATES[state](checkout, settings)
    gate = viewer_api.get("/api/v1/gate/?service=checkout").json()
    code, stdout, outputs = run_action(
        tmp_path, url=base_url, token=viewer_token, service="checkout"
    )
    decision, decided, tier, exit_code = EXPECTED[state]
    assert code == exit_code, stdout
    assert (outputs["decision"], outputs["decided"], outputs["tier"]) == (
        decision,
        str(decided).lower(),
        tier,
    )
    remaining = json.loads(outputs["remaining"])
    assert remaining == {s["name"]: s["remaining"] for s in gate["slos"]}
    known = [v for v in remaining.values() if v is not None]
    assert outputs["remaining-min"] == (str(min(known)) if known else "")
    assert json.loads(outputs["reasons"]) == gate["reasons"]
    level = "error" if decision == "block" else "warning"
    annotations = [_shown(line) for line in stdout.splitlines() if line.startswith("::")]
    assert annotations == [f"::{level} title=Keel gate::{reason}" for reason in gate["reasons"]]
    assert f"{decision}{'' if decided else ' (cannot decide)'} checkout (tier {tier})" in stdout


def _blocked(code: int, stdout: str, outputs: dict[str, str]) -> str:
    """The one error annotation of a gate that could not be asked."""
    assert code == 2, stdout
    assert (outputs["decision"], outputs["decided"], outputs["tier"]) == (
        "block",
        "false",
        "unknown",
    )
    assert outputs["remaining"] == "{}" and outputs["remaining-min"] == ""
    (annotation,) = [line for line in stdout.splitlines() if line.startswith("::")]
    assert annotation.startswith("::error title=Keel gate::gate cannot decide: ")
    return annotation


def test_a_bad_token_blocks(settings, base_url, checkout, tmp_path):
    STATES["allow"](checkout, settings)
    found = run_action(tmp_path, url=base_url, token="keel_api_nope", service="checkout")
    assert "refused the API token (HTTP 401" in _blocked(*found)


def test_an_unknown_service_blocks(settings, base_url, checkout, viewer_token, tmp_path):
    STATES["allow"](checkout, settings)
    found = run_action(tmp_path, url=base_url, token=viewer_token, service="nope")
    assert "no service 'nope'" in _blocked(*found)


def test_an_unreachable_keel_blocks(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    found = run_action(
        tmp_path, url=f"http://127.0.0.1:{port}", token="t", service="checkout", timeout="2"
    )
    assert "no answer from Keel at" in _blocked(*found)


def test_missing_inputs_block(tmp_path):
    found = run_action(tmp_path, url="", token="", service="checkout")
    assert "needs url, token" in _blocked(*found)
