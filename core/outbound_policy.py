"""Which addresses Keel may send requests to: the pure policy, no Django, no network.

Outbound URLs come from users (webhook contact methods) and from configuration (the
weekly report webhook). By default Keel refuses any address that is not on the public
internet: loopback, private, shared (CGNAT), link-local, multicast, unspecified,
reserved and documentation ranges, and the cloud metadata services. `Allowlist` names the
on-premises networks and hosts that are allowed anyway.

Host literals are read the way the C resolver reads them (`0x7f000001`, `2130706433`,
`017700000001` and `127.1` are all 127.0.0.1), so no spelling of an address slips past.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

SCHEMES = ("https", "http")

# Cloud metadata services: refused even inside an allowed network, unless the allow list
# names the address itself (a /32 or /128).
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud (classic)
        "fd00:ec2::254",  # AWS over IPv6
        "fd00:ec2::253",
        "fd00:ec2::23",
    )
)

# Named ranges, most specific first; anything else that is not globally reachable is
# refused as "not a public address".
_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified address"),
    ("127.0.0.0/8", "a loopback address"),
    ("10.0.0.0/8", "a private address"),
    ("172.16.0.0/12", "a private address"),
    ("192.168.0.0/16", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("169.254.0.0/16", "a link-local address"),
    ("192.0.0.0/24", "a reserved address"),
    ("192.0.2.0/24", "a documentation address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("192.88.99.0/24", "a reserved address"),
    ("198.18.0.0/15", "a reserved (benchmarking) address"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "a broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("::/96", "a reserved address"),  # IPv4-compatible, deprecated
    ("64:ff9b:1::/48", "a private address"),  # local-use NAT64
    ("100::/64", "a reserved address"),  # discard-only
    ("2001::/23", "a reserved address"),  # IETF protocol assignments, Teredo
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("fc00::/7", "a private (unique local) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a private (site-local) address"),
    ("ff00::/8", "a multicast address"),
)
_NETWORKS: tuple[tuple[Network, str], ...] = tuple(
    (ipaddress.ip_network(net), why) for net, why in _RANGES
)

# Names that never leave the machine or the local network, whatever DNS says.
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "metadata", "instance-data"})
_LOCAL_SUFFIXES = (".localhost", ".localdomain", ".local", ".internal", ".home.arpa", ".lan")


class Refused(ValueError):
    """A URL or address Keel does not send to; the message says why, in words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in any spelling the C resolver accepts (1 to 4 parts, each
    decimal, 0x-hex or 0-octal; the last part fills the remaining bytes), else None."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        lowered = part.lower()
        try:
            if lowered.startswith("0x"):
                value = int(lowered[2:] or "0", 16)
            elif len(lowered) > 1 and lowered.startswith("0"):
                value = int(lowered[1:], 8)
            elif lowered.isdigit():
                value = int(lowered)
            else:
                return None
        except ValueError:
            return None
        values.append(value)
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (4 - len(head)):
        return None
    number = 0
    for v in head:
        number = number * 256 + v
    return ipaddress.IPv4Address(number * 256 ** (4 - len(head)) + last)


def ip_literal(host: str) -> Address | None:
    """The address a host literal names (IPv6 with or without brackets and zone, IPv4 in
    any spelling), or None for a host name."""
    text = host.strip().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    return _inet_aton(text)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside a mapped (::ffff:a.b.c.d), NAT64 or 6to4 address."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in ipaddress.IPv6Network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def refusal(ip: Address) -> str | None:
    """Why Keel does not send to `ip` by default ("a loopback address"), or None for a
    public address."""
    if ip.version == 6:
        assert isinstance(ip, ipaddress.IPv6Address)
        if ip.scope_id:
            return "a link-local address"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return refusal(inner)
    if ip in METADATA:
        return "a cloud metadata address"
    for network, why in _NETWORKS:
        if ip.version == network.version and ip in network:
            return why
    if not ip.is_global:
        return "not a public address"
    return None


def _name_refusal(host: str) -> str | None:
    if host in _LOCAL_NAMES or host.endswith(_LOCAL_SUFFIXES):
        return "a local host name"
    if "." not in host:
        return "a host name without a domain"
    return None


@dataclass(frozen=True)
class Allowlist:
    """Networks and host names allowed although they are not public (on-premises
    targets). A host entry `hooks.corp.example` allows that name; `.corp.example` allows
    every name under it."""

    networks: tuple[Network, ...] = ()
    hosts: tuple[str, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        """From CIDRs, addresses and host names; ValueError names a bad entry."""
        networks: list[Network] = []
        hosts: list[str] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = entry.rstrip(".")
            labels = name.lstrip(".").split(".")
            if "/" in name or not all(
                label and len(label) <= 63 and label.replace("-", "").isalnum() for label in labels
            ):
                raise ValueError(f"{raw!r} is neither a network (CIDR) nor a host name")
            hosts.append(name)
        return cls(networks=tuple(networks), hosts=tuple(hosts))

    def allows_host(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(
            host == entry or (entry.startswith(".") and host.endswith(entry))
            for entry in self.hosts
        )

    def allows_address(self, ip: Address) -> bool:
        candidates: list[Address] = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            inner = _embedded_ipv4(ip)
            if inner is not None:
                candidates.append(inner)
        exact = any(
            c in network and network.num_addresses == 1
            for c in candidates
            for network in self.networks
            if c.version == network.version
        )
        if any(c in METADATA for c in candidates) and not exact:
            return False
        return any(
            c in network
            for c in candidates
            for network in self.networks
            if c.version == network.version
        )


@dataclass(frozen=True)
class Target:
    """Where a URL points: scheme, host as written (lower case, no brackets), port, and
    the address when the host is a literal."""

    scheme: str
    host: str
    port: int
    literal: Address | None


def check_url(url: str, allow: Allowlist) -> Target:
    """The URL's target, when Keel may send to it as far as can be told without DNS;
    Refused with the reason otherwise. The resolved addresses are checked at send time
    (`check_address`)."""
    url = url.strip()
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise Refused("The URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused("This is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in SCHEMES or not host:
        raise Refused("The URL must be an http(s) URL, e.g. https://hooks.example.com/…")
    if parts.username is not None or parts.password is not None:
        raise Refused("The URL must not contain a user name or password.")
    try:
        host.encode("idna")
    except UnicodeError as exc:
        raise Refused("The URL's host is not a valid host name.") from exc
    literal = ip_literal(host)
    target = Target(
        scheme=scheme, host=host, port=port or (443 if scheme == "https" else 80), literal=literal
    )
    if allow.allows_host(host):
        return target
    if literal is not None:
        check_address(host, literal, allow)
    else:
        why = _name_refusal(host)
        if why is not None:
            raise Refused(f"{host} is {why}; {_ADVICE}")
    return target


_ADVICE = "Keel only sends to public addresses unless KEEL_OUTBOUND_ALLOW lists it."


def check_address(host: str, ip: Address, allow: Allowlist) -> None:
    """Refused when `host`, resolved to `ip`, is not an address Keel may send to."""
    why = refusal(ip)
    if why is None:
        return
    if allow.allows_address(ip):
        return
    if allow.allows_host(host) and why != "a cloud metadata address":
        return
    if ip_literal(host) is not None:
        raise Refused(f"{host} is {why}; {_ADVICE}")
    raise Refused(f"{host} resolves to {why}; {_ADVICE}")
