"""Keel's deployment gate for GitHub Actions: ask /api/v1/gate/, write the answer to
$GITHUB_OUTPUT, print the reasons as annotations, exit 0 (allow, warn), 1 (blocked by the
budget) or 2 (cannot decide). Python's standard library only; fails closed."""

from __future__ import annotations

import json
import math
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

DECISIONS = ("allow", "warn", "block")
TIERS = ("healthy", "caution", "at_risk", "freeze")
GATE_PATH = "/api/v1/gate/"
MAX_BYTES = 1024 * 1024
CANNOT_DECIDE = 2


class Unreadable(Exception):
    """No gate answer: the message says why. The deployment is blocked."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not the gate's answer, and must not carry the token elsewhere."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def gate_url(base_url: str, service: str) -> str:
    base = base_url.strip().rstrip("/")
    if base.endswith(GATE_PATH.rstrip("/")):
        base = base[: -len(GATE_PATH.rstrip("/"))]
    return f"{base}{GATE_PATH}?service={urllib.parse.quote(service, safe='')}"


def _message(data: bytes) -> str:
    try:
        found = json.loads(data.decode("utf-8"))
    except ValueError:
        return ""
    if isinstance(found, dict) and isinstance(found.get("message"), str):
        return ": " + found["message"][:300]
    return ""


def ask(url: str, token: str, service: str, timeout: float) -> dict[str, Any]:
    """The gate's answer for `service`, checked field by field; Unreadable otherwise."""
    target = gate_url(url, service)
    if urllib.parse.urlsplit(target).scheme not in ("http", "https"):
        raise Unreadable(f"the Keel URL {url!r} is not an http(s) URL")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        target, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            data = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as error:
        said = _message(error.read(MAX_BYTES))
        if error.code in (401, 403):
            raise Unreadable(f"Keel refused the API token (HTTP {error.code}{said})") from None
        if error.code == 404:
            raise Unreadable(
                f"Keel knows no service {service!r}, or the URL is not a Keel's (HTTP 404{said})"
            ) from None
        if 300 <= error.code < 400:
            raise Unreadable(
                f"Keel answered with a redirect (HTTP {error.code}); give the URL it redirects to"
            ) from None
        raise Unreadable(f"Keel answered HTTP {error.code}{said}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise Unreadable(f"no answer from Keel at {url}: {reason}") from None
    if len(data) > MAX_BYTES:
        raise Unreadable("Keel's answer was cut off (longer than expected)")
    return read_answer(data, service)


def _number_or_none(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def read_answer(data: bytes, service: str) -> dict[str, Any]:
    try:
        body = json.loads(data.decode("utf-8"))
    except ValueError:
        raise Unreadable("the answer is not JSON") from None
    if not isinstance(body, dict):
        raise Unreadable("the answer is not the gate's JSON object")
    problems = []
    if body.get("decision") not in DECISIONS:
        problems.append("decision")
    if not isinstance(body.get("decided"), bool):
        problems.append("decided")
    if body.get("tier") not in TIERS:
        problems.append("tier")
    reasons = body.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        problems.append("reasons")
    slos = body.get("slos")
    if not isinstance(slos, list) or not all(
        isinstance(slo, dict)
        and isinstance(slo.get("name"), str)
        and _number_or_none(slo.get("remaining"))
        for slo in slos
    ):
        problems.append("slos")
    if problems:
        raise Unreadable(f"the answer is not the gate's JSON (bad {', '.join(problems)})")
    if body.get("service") != service:
        raise Unreadable(f"the answer is for service {body.get('service')!r}, not {service!r}")
    return body


def exit_code(body: dict[str, Any]) -> int:
    if body["decision"] != "block":
        return 0
    return 1 if body["decided"] else CANNOT_DECIDE


def verdict_line(body: dict[str, Any]) -> str:
    """The line `manage.py deploy_gate` prints."""
    reasons = "; ".join(body["reasons"]) or "all SLOs within budget"
    verdict = body["decision"] if body["decided"] else f"{body['decision']} (cannot decide)"
    return f"{verdict} {body['service']} (tier {body['tier']}): {reasons}"


def _annotation(level: str, text: str) -> str:
    escaped = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::{level} title=Keel gate::{escaped}"


def _write_outputs(path: str, outputs: dict[str, str]) -> None:
    with open(path, "a", encoding="utf-8") as file:
        for name, value in outputs.items():
            file.write(f"{name}={value}\n")


def outputs_of(body: dict[str, Any] | None) -> dict[str, str]:
    if body is None:
        return {
            "decision": "block",
            "decided": "false",
            "tier": "unknown",
            "remaining": "{}",
            "remaining-min": "",
            "reasons": "[]",
        }
    remaining = {slo["name"]: slo["remaining"] for slo in body["slos"]}
    known = [value for value in remaining.values() if value is not None]
    return {
        "decision": body["decision"],
        "decided": "true" if body["decided"] else "false",
        "tier": body["tier"],
        "remaining": json.dumps(remaining, separators=(",", ":")),
        "remaining-min": repr(float(min(known))) if known else "",
        "reasons": json.dumps(body["reasons"], separators=(",", ":")),
    }


def main() -> int:
    url = os.environ.get("KEEL_URL", "").strip()
    token = os.environ.get("KEEL_API_TOKEN", "").strip()
    service = os.environ.get("KEEL_SERVICE", "").strip()
    output = os.environ.get("GITHUB_OUTPUT", "")
    body: dict[str, Any] | None = None
    try:
        missing = [n for n, v in (("url", url), ("token", token), ("service", service)) if not v]
        if missing:
            raise Unreadable(f"the action needs {', '.join(missing)}")
        try:
            timeout = float(os.environ.get("KEEL_TIMEOUT", "") or 10)
        except ValueError:
            raise Unreadable("timeout must be a number of seconds") from None
        if not timeout > 0 or not math.isfinite(timeout):
            raise Unreadable("timeout must be a positive number of seconds")
        body = ask(url, token, service, timeout)
    except Unreadable as error:
        print(_annotation("error", f"gate cannot decide: {error}"))
        code = CANNOT_DECIDE
    else:
        level = "error" if body["decision"] == "block" else "warning"
        for reason in body["reasons"]:
            print(_annotation(level, reason))
        print(verdict_line(body))
        code = exit_code(body)
    if output:
        _write_outputs(output, outputs_of(body))
    return code


if __name__ == "__main__":
    sys.exit(main())
