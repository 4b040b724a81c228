"""Request checks that hold for every view: what a request may carry, bounded in one place
(`core.bounds`, with the sizes from settings), answered before any view or form reads it."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from core.api_errors import error_answer
from core.bounds import body_size_problem, query_size_problem

NUL_MESSAGE = "Query parameters may not contain the NUL character (%00)."
OWN_LIMITS = ("/hooks/",)
"""Paths that read and bound their bodies themselves (the webhooks: KEEL_MAX_WEBHOOK_BYTES)."""


def refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """An error answer: JSON with a message for the API (and clients asking for JSON), a
    page in the layout for a person."""

    if not hasattr(request, "user"):  # answered before the authentication middleware
        request.user = SimpleLazyObject(lambda: auth.get_user(request))  # type: ignore[assignment]
    return error_answer(request, status, message)


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class RequestBoundsMiddleware:
    """A query string longer than KEEL_MAX_QUERY_BYTES is a 414, one with a NUL character a
    400 (PostgreSQL cannot compare text with NUL), a body declared larger than
    KEEL_MAX_BODY_BYTES a 413, before any view, filter or the CSRF check reads them; a
    method a view does not take is a 405 page rather than an empty answer."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        problem = query_size_problem(len(query.encode()), settings.KEEL_MAX_QUERY_BYTES)
        if problem is not None:
            return refusal(request, 414, problem)
        if any(
            "\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()
        ):
            return refusal(request, 400, NUL_MESSAGE)
        if not request.path.startswith(OWN_LIMITS):
            problem = body_size_problem(_declared_length(request), settings.KEEL_MAX_BODY_BYTES)
            if problem is not None:
                return refusal(request, 413, problem)
        response = self.get_response(request)
        if response.status_code == 405 and not response.content:
            # require_POST's bare answer, e.g. to an action's URL opened in a new tab.
            allowed = response.get("Allow", "")
            message = f"Only {allowed} requests are taken here; nothing was changed."
            page = refusal(request, 405, message)
            page["Allow"] = allowed
            return page
        return response
