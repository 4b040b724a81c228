"""State changes for API tokens."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from . import tokens
from .models import ApiToken


@transaction.atomic
def api_token_create(*, user: Any, name: str = "") -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the plaintext, which is never stored."""
    new = tokens.mint("api")
    token = ApiToken.objects.create(user=user, name=name, prefix=new.prefix, digest=new.digest)
    return token, new.plaintext


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    return token
