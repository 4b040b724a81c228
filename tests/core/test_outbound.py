"""The outbound client against a catcher on 127.0.0.1: refused by default, reached when
allowed, no redirects followed, one deadline, a size cap. Addresses other than loopback
are only ever given by a patched resolver, and refused before any connection."""

import socket

import pytest

from core import outbound
from core.outbound import OutboundFailed, OutboundRefused, post_json
from core.outbound_policy import Allowlist
from tests.catcher import webhook_catcher

LOOPBACK = Allowlist.parse(["127.0.0.1/32"])
PAYLOAD = {"text": "INC-1 needs someone", "acknowledge_url": "https://keel.example/ack/x"}


@pytest.fixture
def no_connections(monkeypatch):
    """Fails the test if anything opens a socket connection."""
    attempts: list[object] = []

    class Recording(socket.socket):
        def connect(self, address):
            attempts.append(address)
            raise AssertionError(f"a connection to {address} was attempted")

    def refuse(address, *args, **kwargs):
        attempts.append(address)
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(socket, "socket", Recording)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_the_connection_guard_sees_connections(no_connections):
    """The guard the refusal tests rely on does catch the client connecting."""
    with pytest.raises(AssertionError, match="connection"):
        post_json("http://127.0.0.1:9/x", PAYLOAD, allow=LOOPBACK, timeout=0.3)
    assert no_connections == [("127.0.0.1", 9)]


def test_loopback_is_refused_by_default_and_nothing_is_sent():
    with webhook_catcher() as catcher, pytest.raises(OutboundRefused) as refused:
        post_json(catcher.url, PAYLOAD, allow=Allowlist())
    assert "127.0.0.1 is a loopback address" in refused.value.message
    assert "KEEL_OUTBOUND_ALLOW" in refused.value.message
    assert catcher.bodies == []


def test_loopback_is_reached_when_allowed():
    with webhook_catcher() as catcher:
        response = post_json(catcher.url, PAYLOAD, allow=LOOPBACK)
    assert (response.status, response.body, response.ok) == (200, b"ok", True)
    assert catcher.bodies == [PAYLOAD]


@pytest.mark.parametrize(
    "answers",
    [["10.0.0.1"], ["169.254.169.254"], ["fd00:ec2::254"], ["100.64.0.7"], ["::1"]],
)
def test_a_host_resolving_to_a_refused_address_is_refused_before_connecting(
    monkeypatch, no_connections, answers
):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: answers)
    with pytest.raises(OutboundRefused) as refused:
        post_json("https://hooks.example.com/services/x", PAYLOAD, allow=LOOPBACK)
    assert refused.value.message.startswith("Not sent: hooks.example.com resolves to a")
    assert no_connections == []


def test_one_refused_address_among_the_answers_refuses_the_host(monkeypatch, no_connections):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1", "10.0.0.1"])
    with pytest.raises(OutboundRefused, match="private"):
        post_json("https://hooks.example.com/x", PAYLOAD, allow=LOOPBACK)
    assert no_connections == []


def test_even_an_allow_everything_list_keeps_metadata_refused(monkeypatch, no_connections):
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["169.254.169.254"])
    with pytest.raises(OutboundRefused, match="metadata"):
        post_json("http://hooks.example.com/x", PAYLOAD, allow=Allowlist.parse(["0.0.0.0/0"]))
    assert no_connections == []


def test_the_host_is_resolved_once_and_the_checked_address_is_the_one_connected(monkeypatch):
    """DNS rebinding: a second lookup could answer differently, so there is none; the
    connection goes to the checked address and the request keeps its host name."""
    lookups: list[str] = []

    def resolve(host, port):
        lookups.append(host)
        return ["127.0.0.1"]

    def no_second_lookup(*args, **kwargs):
        raise AssertionError("the host was resolved a second time")

    monkeypatch.setattr(outbound, "resolve", resolve)
    monkeypatch.setattr(socket, "getaddrinfo", no_second_lookup)
    with webhook_catcher() as catcher:
        port = catcher.url.split(":")[2].split("/")[0]
        url = catcher.url.replace("127.0.0.1", "hooks.corp.example")
        response = post_json(url, PAYLOAD, allow=Allowlist.parse(["hooks.corp.example"]))
    assert response.status == 200
    assert lookups == ["hooks.corp.example"]
    assert catcher.request_hosts == [f"hooks.corp.example:{port}"]


def test_a_redirect_is_not_followed():
    with webhook_catcher() as catcher:
        port = catcher.url.split(":")[2].split("/")[0]
        catcher.statuses = [302]
        catcher.answer_headers = {"Location": f"http://127.0.0.1:{port}/elsewhere"}
        response = post_json(catcher.url, PAYLOAD, allow=LOOPBACK)
    assert response.status == 302 and not response.ok
    assert len(catcher.bodies) == 1  # the redirect's target was never asked


def test_at_most_max_bytes_of_the_answer_are_read():
    with webhook_catcher() as catcher:
        catcher.answer_body = b"x" * 300_000
        response = post_json(catcher.url, PAYLOAD, allow=LOOPBACK, max_bytes=1000)
    assert (len(response.body), response.truncated) == (1000, True)


def test_a_hanging_webhook_and_a_closed_port_fail_with_the_same_words():
    """Neither says which it was, so the delivery record cannot be used to scan ports."""
    with webhook_catcher() as catcher:
        catcher.delay_seconds = 2
        with pytest.raises(OutboundFailed) as hung:
            post_json(catcher.url, PAYLOAD, allow=LOOPBACK, timeout=0.3)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(OutboundFailed) as closed:
        post_json(f"http://127.0.0.1:{closed_port}/x", PAYLOAD, allow=LOOPBACK, timeout=0.3)
    assert "timed out" in hung.value.message
    assert hung.value.message == closed.value.message


def test_proxies_from_the_environment_are_not_used(monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    with webhook_catcher() as catcher:
        response = post_json(catcher.url, PAYLOAD, allow=LOOPBACK)
    assert response.status == 200 and catcher.bodies == [PAYLOAD]


@pytest.fixture
def tls_catcher(tmp_path):
    """An HTTPS server on 127.0.0.1 whose self-signed certificate names only
    hooks.corp.example; it records the server name (SNI) each client asks for."""
    import ssl
    import subprocess
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=hooks.corp.example", "-addext", "subjectAltName=DNS:hooks.corp.example",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server_context.sni_callback = lambda sock, name, ctx: names.append(name)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], ssl.create_default_context(cafile=str(cert)), names
    finally:
        server.shutdown()
        server.server_close()


def test_tls_goes_to_the_checked_address_with_the_host_name_for_sni_and_certificate(
    monkeypatch, tls_catcher
):
    port, trust, names = tls_catcher
    monkeypatch.setattr(outbound, "resolve", lambda host, port: ["127.0.0.1"])
    allow = Allowlist.parse(["hooks.corp.example"])
    response = post_json(
        f"https://hooks.corp.example:{port}/x", PAYLOAD, allow=allow, tls_context=trust
    )
    assert response.status == 200
    assert names == ["hooks.corp.example"]
    # The certificate does not name the address, so the same server by address fails.
    with pytest.raises(OutboundFailed, match="TLS certificate was not accepted"):
        post_json(f"https://127.0.0.1:{port}/x", PAYLOAD, allow=LOOPBACK, tls_context=trust)
