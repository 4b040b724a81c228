"""Sign-in lock-outs (django-axes): which address and which user name a failed sign-in
came from."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
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


def client_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The user name a sign-in tried, as axes records it: cut to the longest name a Keel
    user can have, since axes stores it in a column of 255 characters (a 1 MiB name was a
    500) and no longer name can be anyone's. Every sign-in form (Keel's, the admin's) and
    axes' own middleware come through here."""
    field = getattr(settings, "AXES_USERNAME_FORM_FIELD", "username")
    if credentials:
        raw = credentials.get(field)
    else:
        raw = getattr(request, "data", request.POST).get(field)
    most = get_user_model()._meta.get_field("username").max_length or 150
    return str(raw or "")[:most]
