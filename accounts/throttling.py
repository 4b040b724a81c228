"""API rate limits: each API token has its own budget of requests (DRF throttling)."""

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken

if TYPE_CHECKING:  # DRF imports this module while it defines APIView
    from rest_framework.views import APIView

OFF = ("", "off")


class ApiTokenRateThrottle(SimpleRateThrottle):
    """KEEL_API_RATE_LIMIT requests per period for each API token; a browser session counts
    per user, and a request without credentials per client address. Over the limit the
    API answers 429 with Retry-After (core/api_errors.py gives it the usual JSON message)."""

    scope = "api_token"

    def get_rate(self) -> str | None:
        rate = str(settings.KEEL_API_RATE_LIMIT or "").strip()
        return None if rate.lower() in OFF else rate

    def allow_request(self, request: Request, view: "APIView") -> bool:
        # The rate is read per request, so a change of settings applies without a restart
        # of the class (DRF would otherwise read it once, at import).
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: "APIView") -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"addr-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
