"""One HTTP exchange with the MCP server: a Django request in, the SDK's ASGI answer out.

The SDK serves streamable HTTP as an ASGI app. Keel runs under WSGI (runserver, gunicorn's
sync workers), so each request is handed to the SDK's session manager in stateless JSON
mode: every POST carries one JSON-RPC message and gets its whole answer back, with no
session kept between requests. That is what protocol 2026-07-28 asks for anyway, and it
holds behind several worker processes, where a session kept in one process would be lost
to the next request landing on another.
"""

import logging
from collections.abc import MutableMapping
from typing import Any

import anyio
from django.http import HttpRequest
from mcp.server.lowlevel.server import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

Answer = tuple[int, list[tuple[str, str]], bytes]

# A manager starts and stops for every request: its INFO lines would be two per request.
logging.getLogger("mcp.server.streamable_http_manager").setLevel(logging.WARNING)


def asgi_scope(request: HttpRequest) -> dict[str, Any]:
    """The ASGI scope of a Django request (headers as the client sent them)."""
    meta = request.META
    try:
        port = int(meta.get("SERVER_PORT") or 0)
    except ValueError:
        port = 0
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method or "GET",
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.path.encode(),
        "root_path": "",
        "query_string": meta.get("QUERY_STRING", "").encode("latin-1"),
        "headers": [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in request.headers.items()
        ],
        "server": (meta.get("SERVER_NAME", "localhost"), port),
        "client": (meta.get("REMOTE_ADDR", ""), 0),
    }


async def exchange(server: Server[Any], scope: dict[str, Any], body: bytes) -> Answer:
    """Serve one request with a fresh stateless session manager and collect its answer."""
    manager = StreamableHTTPSessionManager(app=server, stateless=True, json_response=True)
    answered = anyio.Event()
    pending = [{"type": "http.request", "body": body, "more_body": False}]
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop()
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
            headers.extend(
                (bytes(k).decode("latin-1"), bytes(v).decode("latin-1"))
                for k, v in message.get("headers", [])
            )
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                answered.set()

    async with manager.run():
        await manager.handle_request(scope, receive, send)
    answered.set()
    return status, headers, b"".join(chunks)
