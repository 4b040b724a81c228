"""A local HTTP server that records webhook posts and answers as told."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Catcher:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answers to give, in order; then 200
        self.delay_seconds = 0.0
        self.url = ""
        self.answer_headers: dict[str, str] = {}  # sent with every answer
        self.answer_body = b"ok"
        self.request_hosts: list[str] = []  # the Host header of each request


@contextmanager
def webhook_catcher() -> Iterator[Catcher]:
    catcher = Catcher()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            catcher.request_hosts.append(self.headers.get("Host", ""))
            catcher.bodies.append(json.loads(self.rfile.read(length)))
            if catcher.delay_seconds:
                time.sleep(catcher.delay_seconds)
            status = catcher.statuses.pop(0) if catcher.statuses else 200
            self.send_response(status)
            for name, value in catcher.answer_headers.items():
                self.send_header(name, value)
            self.end_headers()
            with suppress(OSError):
                self.wfile.write(catcher.answer_body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    catcher.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield catcher
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
