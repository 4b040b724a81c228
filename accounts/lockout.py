"""Sign-in lock-outs (django-axes): which address a failed sign-in came from."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer's address; behind the TLS proxy (DJANGO_BEHIND_TLS_PROXY), the address that
    proxy appended last to X-Forwarded-For, which a client cannot forge."""
    if settings.KEEL_BEHIND_TLS_PROXY:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return str(request.META.get("REMOTE_ADDR") or "")
