"""DRF authentication by `Authorization: Bearer <api token>` (or `Token <api token>`)."""

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from . import tokens
from .models import ApiToken


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        return self.authenticate_plaintext(header[1])

    def authenticate_plaintext(self, plaintext: str) -> tuple[Any, ApiToken]:
        """The user and token a plaintext API token names; AuthenticationFailed otherwise."""
        prefix = tokens.split_prefix(plaintext)
        token = (
            ApiToken.objects.select_related("user").filter(prefix=prefix).first()
            if prefix
            else None
        )
        if token is None or not tokens.matches(plaintext, token.digest):
            raise exceptions.AuthenticationFailed("Invalid API token.")
        if token.revoked_at is not None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("This API token has been revoked.")
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="keel"'
