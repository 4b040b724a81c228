"""The outbound address policy: every spelling of a non-public address is refused, public
ones pass, and KEEL_OUTBOUND_ALLOW opens exactly what it lists. No network is used."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.outbound_policy import Allowlist, Refused, check_address, check_url, ip_literal, refusal

NOBODY = Allowlist()


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("0x7f000001", "loopback"),
        ("0X7F.0.0.1", "loopback"),
        ("2130706433", "loopback"),
        ("017700000001", "loopback"),
        ("0177.0.0.1", "loopback"),
        ("127.1", "loopback"),
        ("127.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("::1", "loopback"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("::ffff:7f00:1", "loopback"),
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("0.0.0.0", "unspecified"),
        ("0", "unspecified"),
        ("::", "unspecified"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("0xa000001", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("fd12:3456::1", "private"),
        ("fc00::1", "private"),
        ("fec0::1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("[fe80::1%eth0]", "link-local"),
        ("fe80::1%25eth0", "link-local"),
        ("169.254.169.254", "metadata"),
        ("2852039166", "metadata"),  # 169.254.169.254 as one number
        ("0xa9fea9fe", "metadata"),
        ("::ffff:169.254.169.254", "metadata"),
        ("169.254.170.2", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
        ("198.18.0.1", "benchmarking"),
        ("192.0.0.8", "reserved"),
        ("192.0.2.1", "documentation"),
        ("203.0.113.9", "documentation"),
        ("2001:db8::1", "documentation"),
        ("2001::1", "reserved"),  # Teredo
        ("::7f00:1", "reserved"),  # IPv4-compatible
    ],
)
def test_non_public_addresses_are_refused_in_every_spelling(host, why):
    ip = ip_literal(host)
    assert ip is not None, host
    reason = refusal(ip)
    assert reason is not None and why in reason
    in_url = f"[{host}]" if ":" in host and not host.startswith("[") else host
    with pytest.raises(Refused, match=why):
        check_url(f"https://{in_url}/x", NOBODY)


@pytest.mark.parametrize(
    "host", ["8.8.8.8", "1.1.1.1", "151.101.1.69", "2606:4700:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(host):
    ip = ip_literal(host)
    assert ip is not None and refusal(ip) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost:8080/hook", "local host name"),
        ("https://LOCALHOST./hook", "local host name"),
        ("https://api.localhost/hook", "local host name"),
        ("https://printer.local/hook", "local host name"),
        ("https://metadata.google.internal/computeMetadata/v1/", "local host name"),
        ("https://intranet/hook", "without a domain"),
        ("ftp://hooks.example.com/x", "http(s) URL"),
        ("https:///nohost", "http(s) URL"),
        ("https://user:secret@hooks.example.com/x", "user name or password"),
        ("https://hooks.example.com:99999/x", "not a valid URL"),
        ("https://hooks.example.com/a b", "spaces or control characters"),
        ("https://hooks.example.com/\r\nHost: evil", "spaces or control characters"),
    ],
)
def test_urls_that_are_not_public_webhooks_are_refused_with_the_reason(url, message):
    with pytest.raises(Refused) as refused:
        check_url(url, NOBODY)
    assert message in refused.value.message


def test_a_public_host_name_passes_without_dns():
    target = check_url("https://hooks.slack.com/services/T0/B0/x", NOBODY)
    assert (target.scheme, target.host, target.port, target.literal) == (
        "https",
        "hooks.slack.com",
        443,
        None,
    )


def test_the_allow_list_opens_what_it_names_and_nothing_else():
    allow = Allowlist.parse(["127.0.0.1/32", "10.20.0.0/16", "chat.corp.example", ".hooks.lan"])
    for url in (
        "http://127.0.0.1:9/x",
        "http://[::ffff:127.0.0.1]:9/x",
        "https://10.20.3.4/x",
        "https://chat.corp.example/x",
        "https://a.hooks.lan/x",
    ):
        check_url(url, allow)
    for url in ("http://127.0.0.2/x", "https://10.21.0.1/x", "https://printer.lan/x"):
        with pytest.raises(Refused):
            check_url(url, allow)
    # An allowed host name may resolve to a private address, never to a metadata one.
    check_address("chat.corp.example", ipaddress.ip_address("10.9.9.9"), allow)
    with pytest.raises(Refused, match="metadata"):
        check_address("chat.corp.example", ipaddress.ip_address("169.254.169.254"), allow)


def test_metadata_needs_its_own_address_in_the_allow_list():
    everything = Allowlist.parse(["0.0.0.0/0", "::/0"])
    assert everything.allows_address(ipaddress.ip_address("10.0.0.1"))
    for metadata in ("169.254.169.254", "fd00:ec2::254", "::ffff:169.254.169.254"):
        assert not everything.allows_address(ipaddress.ip_address(metadata))
    assert Allowlist.parse(["169.254.169.254/32"]).allows_address(
        ipaddress.ip_address("169.254.169.254")
    )


@pytest.mark.parametrize("entry", ["10.0.0.0/33", "not a host", "a/b", "-"])
def test_a_bad_allow_entry_is_named(entry):
    with pytest.raises(ValueError, match="neither a network"):
        Allowlist.parse([entry])


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_every_spelling_of_an_ipv4_address_reads_as_that_address(number):
    ip = ipaddress.IPv4Address(number)
    a, b, c, d = ip.packed
    for spelling in (
        str(number),
        hex(number),
        f"0{number:o}",
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"{a}.{b}.{(c << 8) | d}",
        f"{a:#x}.0{b:o}.{c}.{d:#x}",
    ):
        assert ip_literal(spelling) == ip, spelling
    mapped = ip_literal(f"[::ffff:{ip}]")
    assert mapped is not None and refusal(mapped) == refusal(ip)
