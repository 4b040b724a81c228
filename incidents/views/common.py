"""What the UI views share: finding an incident, and turning service errors into form errors."""

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ..models import Incident
from ..selectors import incident_find


def find_incident(user: Any, number: int) -> Incident:
    return incident_find(user=user, number=number)  # a missing one is a 404 saying which


def is_htmx(request: HttpRequest) -> bool:
    """Whether HTMX asked for a part of the page (django-htmx's middleware tells)."""
    return bool(getattr(request, "htmx", False))


def html_not_found(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer a missing incident, entry or integration with a page, not the API's JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404 as exc:
            return render(request, "partials/not_found.html", {"message": str(exc)}, status=404)

    return wrapper
