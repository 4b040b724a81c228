"""The one HTTP client for requests Keel sends to URLs people configure (webhooks).

Each request checks the URL (core.outbound_policy), resolves the host once, checks every
address it resolves to, and connects to a checked address itself, keeping the host name
for the Host header and TLS (SNI and certificate), so a DNS answer that changes between
check and connect cannot point it elsewhere. Redirects are never followed (a 3xx is the
answer), no proxy from the environment is used, the whole exchange has one deadline, and
at most `max_bytes` of the answer are read.

Failures before an HTTP answer all read the same ("could not reach"), so the message
cannot be used to tell closed ports from filtered ones.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from .outbound_policy import (
    Address,
    Allowlist,
    Refused,
    Target,
    check_address,
    check_url,
    ip_literal,
)

USER_AGENT = "Keel/1"
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_BYTES = 64 * 1024


class OutboundError(Exception):
    """A request that did not get an HTTP answer; the message says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class OutboundRefused(OutboundError):
    """Not sent: the URL or an address it resolves to is not allowed. Not worth retrying."""


class OutboundFailed(OutboundError):
    """Sent, or tried, without an HTTP answer (unreachable, timed out, TLS). May be retried."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    truncated: bool  # the answer was longer than max_bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def system_resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    seen: list[str] = []
    for *_, sockaddr in found:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen


# Tests replace this to answer DNS without the network.
resolve: Callable[[str, int], list[str]] = system_resolve


def _addresses(target: Target, allow: Allowlist) -> list[Address]:
    if target.literal is not None:
        check_address(target.host, target.literal, allow)
        return [target.literal]
    try:
        names = resolve(target.host.encode("idna").decode("ascii"), target.port)
    except (OSError, UnicodeError) as exc:
        raise OutboundFailed(f"Could not resolve {target.host}.") from exc
    addresses = [a for a in (ip_literal(n.split("%")[0]) for n in names) if a is not None]
    if not addresses:
        raise OutboundFailed(f"Could not resolve {target.host}.")
    for address in addresses:  # one refused address refuses the host: no partial trust
        check_address(target.host, address, allow)
    return addresses


def _open(address: Address, port: int, timeout: Any, source_address: Any) -> socket.socket:
    """A TCP connection to the checked address itself: no lookup of any kind."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if timeout is not None:
            sock.settimeout(timeout)
        if source_address:
            sock.bind(source_address)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address, not to what the host name resolves to now."""

    def __init__(self, host: str, port: int, *, address: Address, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._pinned = address
        self._create_connection = self._connect_pinned

    def _connect_pinned(
        self, address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        return _open(self._pinned, address[1], timeout, source_address)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """The same over TLS: SNI and the certificate check use the host name."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        address: Address,
        timeout: float,
        context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            host, port, timeout=timeout, context=context or ssl.create_default_context()
        )
        self._pinned = address
        self._create_connection = self._connect_pinned

    def _connect_pinned(
        self, address: tuple[str, int], timeout: Any = None, source_address: Any = None
    ) -> socket.socket:
        return _open(self._pinned, address[1], timeout, source_address)


def _unreachable(timeout: float) -> OutboundFailed:
    return OutboundFailed(
        f"Could not reach the URL (the connection failed, or no HTTP answer came within "
        f"{timeout:g} s: timed out)."
    )


def _exchange(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
    max_bytes: int,
) -> Response:
    """One request with one deadline for all of it: when it passes, the socket is shut
    down, which ends any read or write still waiting."""
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        connection.request(method, path, body=body, headers=dict(headers))
        response = connection.getresponse()
        if expired.is_set():
            raise _unreachable(timeout)
        try:
            data = response.read(max_bytes + 1)
        except (OSError, http.client.HTTPException):
            data = b""  # the status came; a body cut off by the deadline is not needed
        cut = expired.is_set() or len(data) > max_bytes
        return Response(status=response.status, body=data[:max_bytes], truncated=cut)
    except ssl.SSLCertVerificationError as exc:
        raise OutboundFailed(
            f"The TLS certificate was not accepted: {exc.verify_message}."
        ) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(timeout) from exc
    finally:
        timer.cancel()
        connection.close()


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    allow: Allowlist,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tls_context: ssl.SSLContext | None = None,
) -> Response:
    """Send one request; the answer, whatever its status (3xx included: redirects are not
    followed). OutboundRefused before any connection when the URL is not allowed,
    OutboundFailed when no HTTP answer came. `tls_context` replaces the system's trust
    store (a private CA)."""
    try:
        target = check_url(url, allow)
        addresses = _addresses(target, allow)
    except Refused as exc:
        raise OutboundRefused(f"Not sent: {exc.message}") from exc
    parts = urlsplit(url.strip())
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    host = target.host.encode("idna").decode("ascii")
    last: OutboundFailed | None = None
    for address in addresses:
        connection: http.client.HTTPConnection
        if target.scheme == "https":
            connection = _PinnedHTTPSConnection(
                host, target.port, address=address, timeout=timeout, context=tls_context
            )
        else:
            connection = _PinnedHTTPConnection(host, target.port, address=address, timeout=timeout)
        try:
            return _exchange(connection, method, path, body, all_headers, timeout, max_bytes)
        except OutboundFailed as exc:
            last = exc
    assert last is not None
    raise last


def post_json(url: str, payload: Any, **options: Any) -> Response:
    """POST `payload` as JSON (see `send` for the options)."""
    return send(
        "POST",
        url,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **options.pop("headers", {})},
        **options,
    )


@lru_cache(maxsize=8)
def _parsed(entries: tuple[str, ...]) -> Allowlist:
    return Allowlist.parse(entries)


def configured_allowlist() -> Allowlist:
    """KEEL_OUTBOUND_ALLOW from the settings."""
    return _parsed(tuple(getattr(settings, "KEEL_OUTBOUND_ALLOW", ())))


def configured_options() -> dict[str, Any]:
    """The allow list, timeout and size cap from the settings, as `send` takes them."""
    return {
        "allow": configured_allowlist(),
        "timeout": float(settings.KEEL_OUTBOUND_TIMEOUT_SECONDS),
        "max_bytes": int(settings.KEEL_OUTBOUND_MAX_RESPONSE_BYTES),
    }
