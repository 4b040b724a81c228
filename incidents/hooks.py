"""The Alertmanager webhook receiver: authenticate, check, store raw, enqueue, answer.

Kept to the minimum on purpose (no DRF, no session): it is measured under alert storms.
"""

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import alertmanager
from .services import delivery_receive, integration_authenticate


def _error(status: int, message: str) -> JsonResponse:
    return JsonResponse({"message": message}, status=status)


def _read_body(request: HttpRequest, limit: int) -> bytes | JsonResponse:
    """The body, at most `limit` bytes (a longer one is refused with 413).

    A chunked body has no Content-Length, and Django then reads it as empty; it is read
    from the server's input stream instead, where the server ends that stream at the end
    of the body (gunicorn, uWSGI and mod_wsgi say so with `wsgi.input_terminated`)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "Invalid Content-Length header.")
    if declared > limit:
        return _error(413, f"The body is larger than the limit of {limit} bytes.")
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        if not request.META.get("wsgi.input_terminated"):
            return _error(
                411, "This server cannot read a chunked body; send it with a Content-Length."
            )
        stream = request.META["wsgi.input"]
        parts: list[bytes] = []
        size = 0
        while size <= limit:
            part = stream.read(min(64 * 1024, limit + 1 - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        body = b"".join(parts)
    else:
        body = request.read(limit + 1)
    if len(body) > limit:
        return _error(413, f"The body is larger than the limit of {limit} bytes.")
    return body


def _bearer(request: HttpRequest) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@csrf_exempt
@require_POST
def alertmanager_webhook(request: HttpRequest, token: str = "") -> JsonResponse:
    integration = integration_authenticate(token=token or _bearer(request))
    if integration is None:
        response = _error(401, "Missing, unknown or disabled integration token.")
        response["WWW-Authenticate"] = 'Bearer realm="keel"'
        return response
    body = _read_body(request, settings.KEEL_MAX_WEBHOOK_BYTES)
    if isinstance(body, JsonResponse):
        return body
    try:
        notification = alertmanager.parse(body)
    except alertmanager.PayloadError as exc:
        return _error(400, f"Not an Alertmanager v4 webhook payload: {exc}")
    delivery = delivery_receive(
        integration_id=integration.id,
        body=body,
        user_agent=request.headers.get("User-Agent", ""),
        group_hash=alertmanager.group_hash(notification.group_key),
    )
    return JsonResponse({"status": "accepted", "delivery": delivery.pk})
