"""deploy_gate --url: a live Keel asked over HTTP gives the same line and exit code as the
database; anything but the gate's answer exits 2 (blocks) with the reason."""

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command

from tests.slos.gate_states import EXPECTED, STATES


def _gate(*args: str) -> int:
    if "--url" in args and "--timeout" not in args:
        args = (*args, "--timeout", "60")  # a loaded test machine may be slow
    with pytest.raises(SystemExit) as exited:
        call_command("deploy_gate", *args)
    return int(exited.value.code)


@pytest.mark.parametrize("state", list(STATES))
def test_remote_mode_says_what_local_mode_says(
    state, settings, base_url, checkout, viewer_token, capsys
):
    STATES[state](checkout, settings)
    local = _gate("checkout")
    local_out = capsys.readouterr().out
    remote = _gate("checkout", "--url", base_url, "--token", viewer_token)
    remote_out = capsys.readouterr().out
    assert remote == local == EXPECTED[state][3]
    decision, decided, tier, _ = EXPECTED[state]
    prefix = f"{decision}{'' if decided else ' (cannot decide)'} checkout (tier {tier}): "
    assert remote_out.startswith(prefix) and local_out.startswith(prefix)
    # the reasons name the same figures (data age moves with the clock between the two)
    assert remote_out.split(":")[1] == local_out.split(":")[1]


def test_the_token_can_come_from_the_environment(
    settings, base_url, checkout, viewer_token, monkeypatch, capsys
):
    STATES["allow"](checkout, settings)
    monkeypatch.setenv("KEEL_API_TOKEN", viewer_token)
    assert _gate("checkout", "--url", f"{base_url}/") == 0
    assert capsys.readouterr().out.startswith("allow checkout")


def test_a_bad_token_an_unknown_service_or_no_token_block(
    settings, base_url, checkout, viewer_token, monkeypatch, capsys
):
    STATES["allow"](checkout, settings)
    assert _gate("checkout", "--url", base_url, "--token", "keel_api_nope") == 2
    assert "refused the API token (HTTP 401" in capsys.readouterr().err
    assert _gate("nope", "--url", base_url, "--token", viewer_token) == 2
    assert "no service 'nope'" in capsys.readouterr().err
    monkeypatch.delenv("KEEL_API_TOKEN", raising=False)
    assert _gate("checkout", "--url", base_url) == 2
    assert "no API token" in capsys.readouterr().err
    # a URL that is a web server but not Keel's root
    assert _gate("checkout", "--url", f"{base_url}/healthz", "--token", viewer_token) == 2
    assert "not a Keel's (HTTP 404" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_keel_blocks(capsys):
    url = f"http://127.0.0.1:{_free_port()}"
    assert _gate("checkout", "--url", url, "--token", "t", "--timeout", "2") == 2
    err = capsys.readouterr().err
    assert err.startswith("gate cannot decide: no answer from Keel at") and "reach" in err


@pytest.fixture
def fake_keel() -> Iterator[dict]:
    """A web server that answers whatever the test puts in `answer` (status, body, headers),
    or nothing at all when `hang` is set."""
    state: dict = {"answer": (200, b"", {}), "hang": threading.Event(), "release": None}
    release = threading.Event()
    state["release"] = release

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if state["hang"].is_set():
                release.wait(10)
                return
            status, body, headers = state["answer"]
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    release.set()
    server.shutdown()


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((200, b"<html>sign in</html>", {}), "the answer is not JSON"),
        ((200, b'{"decision": "allow"', {}), "the answer is not JSON"),
        ((200, b'["allow"]', {}), "not the gate's JSON object"),
        ((200, b'{"decision": "yes", "service": "checkout"}', {}), "bad decision"),
        (
            (
                200,
                b'{"service": "search", "decision": "allow", "decided": true, '
                b'"tier": "healthy", "reasons": [], "slos": []}',
                {},
            ),
            "for service 'search', not 'checkout'",
        ),
        ((302, b"", {"Location": "https://sso.example.com/"}), "redirect (HTTP 302)"),
        ((500, b'{"message": "Internal error"}', {}), "HTTP 500: Internal error"),
    ],
)
def test_anything_but_the_gates_answer_blocks(fake_keel, answer, reason, capsys):
    fake_keel["answer"] = answer
    assert _gate("checkout", "--url", fake_keel["url"], "--token", "t") == 2
    assert reason in capsys.readouterr().err


def test_a_keel_that_does_not_answer_in_time_blocks(fake_keel, capsys):
    fake_keel["hang"].set()
    assert _gate("checkout", "--url", fake_keel["url"], "--token", "t", "--timeout", "1") == 2
    assert "timed out" in capsys.readouterr().err
