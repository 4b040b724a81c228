"""API error shape: every error is a JSON object with a `message` a person can act on."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.bounds import body_size_problem
from core.errors import KeelError

logger = logging.getLogger(__name__)


def _first_message(detail: Any) -> str:
    if isinstance(detail, dict):
        for key, value in detail.items():
            inner = _first_message(value)
            return inner if key == "non_field_errors" else f"{key}: {inner}"
    if isinstance(detail, list) and detail:
        return _first_message(detail[0])
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, KeelError):
        return Response(exc.body(), status=exc.status)
    if isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"message": _first_message(exc.detail), "errors": exc.detail}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"message": str(response.data["detail"])}
    return response


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"message": "Not found."}, status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"message": "Internal error; it has been logged."}, status=500)


JSON_PATHS = ("/api/", "/hooks/")


def wants_html(request: HttpRequest) -> bool:
    """A person's browser gets error pages in the layout; the API, the webhooks and clients
    that ask for JSON (and not HTML) get the JSON error shape."""
    if request.path.startswith(JSON_PATHS):
        return False
    accept = request.headers.get("Accept", "")
    return "text/html" in accept or "application/json" not in accept


def _page(
    request: HttpRequest, template: str, status: int, context: dict[str, Any]
) -> HttpResponse:
    try:
        return render(request, template, context, status=status)
    except Exception:  # the layout needs the database; an error page must not fail too
        logger.exception("The %s page could not be drawn in the layout", status)
        title = "Internal error" if status == 500 else "Error"
        return HttpResponse(
            f"<!doctype html><html lang=en><title>{title} · Keel</title><h1>{title}</h1>"
            "<p>Something went wrong on our side; it has been logged. "
            '<a href="/">Back to the dashboard</a></p>',
            status=status,
        )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if not wants_html(request):
        return json_not_found(request, exception)
    return _page(request, "404.html", 404, {})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = str(exception or "") or "Your role does not allow this."
    if not wants_html(request):
        return JsonResponse({"message": message}, status=403)
    return _page(request, "403.html", 403, {"exception": message})


def error_answer(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """A refused request (too large, malformed): JSON for the API, a page for a person."""
    if not wants_html(request):
        return JsonResponse({"message": message}, status=status)
    return _page(request, "400.html", status, {"exception": message})


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's answer to a request it cannot read: a body over DATA_UPLOAD_MAX_MEMORY_SIZE
    (sent without a length, so the bounds middleware could not tell), too many fields, a
    malformed multipart body."""

    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_answer(request, 413, body_size_problem(limit + 1, limit) or "")
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        message = f"The form has too many fields: at most {limit}; nothing was changed."
        return error_answer(request, 400, message)
    return error_answer(request, 400, "The request could not be read; nothing was changed.")


def server_error(request: HttpRequest) -> HttpResponse:
    if not wants_html(request):
        return json_server_error(request)
    return _page(request, "500.html", 500, {})


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent with a stale or missing CSRF token (an old tab, cookies cleared)."""
    message = "This form has expired or came from another site; nothing was changed."
    if not wants_html(request):
        return JsonResponse({"message": f"CSRF check failed: {reason}"}, status=403)
    return _page(request, "403_csrf.html", 403, {"exception": message})
