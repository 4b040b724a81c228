"""Ask a Keel's /api/v1/gate/ over HTTP, for a pipeline that cannot read Keel's database.

Fail closed: no answer, a timeout, a refused token, an unknown service, a redirect or
anything but the gate's JSON raises GateUnreadable, which blocks the deployment.

The request goes through core.outbound (one deadline for the whole exchange, redirects
never followed so the token is never sent on, a size cap), but not through its address
policy: that policy keeps Keel from being pointed at internal hosts by the people who
configure its webhooks, while here the person running the command names the Keel they
mean, which is often an internal one (`http://keel.keel.svc:8000`). Every address is
allowed except the cloud metadata services, which are never a Keel.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
from typing import Any
from urllib.parse import quote, urlsplit

from core import outbound
from core.outbound_policy import Allowlist

from .gate_answer import GateUnreadable, read_answer

DEFAULT_TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 1024 * 1024  # an answer listing many bypasses is still far below this
GATE_PATH = "/api/v1/gate/"


def gate_url(base_url: str, service: str) -> str:
    """The gate's URL for `service` on the Keel at `base_url` (its root, e.g.
    `https://keel.example.com`, or the gate's own URL)."""
    base = base_url.strip().rstrip("/")
    if base.endswith(GATE_PATH.rstrip("/")):
        base = base[: -len(GATE_PATH.rstrip("/"))]
    return f"{base}{GATE_PATH}?service={quote(service, safe='')}"


def _allow_named(url: str) -> Allowlist:
    host = (urlsplit(url.strip()).hostname or "").rstrip(".")
    hosts: tuple[str, ...] = ()
    if host and ":" not in host:  # a name or an IPv4 literal, not an IPv6 literal
        try:
            hosts = Allowlist.parse([host]).hosts
        except ValueError:
            hosts = ()
    networks = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    return Allowlist(networks=networks, hosts=hosts)


def _message(body: bytes) -> str:
    try:
        found = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return ""
    if isinstance(found, dict) and isinstance(found.get("message"), str):
        return found["message"][:300]
    return ""


def _refusal(status: int, body: bytes, service: str) -> str:
    said = _message(body)
    detail = f": {said}" if said else ""
    if status in (401, 403):
        return f"Keel refused the API token (HTTP {status}{detail})"
    if status == 404:
        return f"Keel knows no service {service!r}, or the URL is not a Keel's (HTTP 404{detail})"
    if 300 <= status < 400:
        return f"Keel answered with a redirect (HTTP {status}); give the URL it redirects to"
    return f"Keel answered HTTP {status}{detail}"


def gate_ask(
    *,
    url: str,
    token: str,
    service: str,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    tls_context: ssl.SSLContext | None = None,
) -> dict[str, Any]:
    """The gate's answer for `service` from the Keel at `url`, read strictly; GateUnreadable
    with the reason when there is none."""
    target = gate_url(url, service)
    try:
        response = outbound.send(
            "GET",
            target,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            allow=_allow_named(target),
            timeout=timeout,
            max_bytes=MAX_ANSWER_BYTES,
            tls_context=tls_context,
        )
    except outbound.OutboundError as error:
        raise GateUnreadable(f"no answer from Keel at {url}: {error.message}") from None
    if response.status != 200:
        raise GateUnreadable(_refusal(response.status, response.body, service))
    if response.truncated:
        raise GateUnreadable("Keel's answer was cut off (longer than expected)")
    return read_answer(response.body, service=service)
