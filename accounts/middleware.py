"""Show times in the signed-in user's zone."""

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .services import profile_chosen_time_zone


class TimezoneMiddleware:
    """Activate the user's time zone for the request (UTC until they choose one). The
    profile is read on every request (one indexed row), not kept in the session, so that a
    change made in one session applies at once in the user's other sessions."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = None
        if user is not None and user.is_authenticated:
            name = profile_chosen_time_zone(user=user)
            # Pages ask for the zone until the user has said which (UTC until then).
            request.keel_zone_unchosen = name is None  # type: ignore[attr-defined]
        try:
            zone = zoneinfo.ZoneInfo(name) if name else None
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
