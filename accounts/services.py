"""State changes for API tokens."""

from typing import Any

from django.db import transaction
from django.utils import timezone

from . import tokens, zones
from .models import ApiToken, Profile


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


def profile_set_time_zone(*, user: Any, time_zone: str) -> Profile:
    """Set the zone the UI shows times in; raise ValueError for a name that is not a zone."""
    if time_zone not in zones.available():
        raise ValueError(f"{time_zone!r} is not a known time zone.")
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return profile


def profile_chosen_time_zone(*, user: Any) -> str | None:
    """The zone the user chose for their times, or None if they never said (or it is gone)."""
    found = Profile.objects.filter(user=user).values_list("time_zone", flat=True).first()
    return found if found in zones.available() else None


def profile_time_zone(*, user: Any) -> str:
    """The zone a user's times are shown in (UTC until they choose one)."""
    return profile_chosen_time_zone(user=user) or "UTC"


def profile_has_chosen_zone(*, user: Any) -> bool:
    """Whether the user has ever said which zone they read times in."""
    return Profile.objects.filter(user=user).exists()


def profile_time_zones(*, users: Any) -> dict[int, str | None]:
    """Each user's chosen zone by user id; None for a user who has not chosen one."""
    ids = [u.pk for u in users]
    chosen = dict(Profile.objects.filter(user_id__in=ids).values_list("user_id", "time_zone"))
    return {pk: chosen[pk] if chosen.get(pk) in zones.available() else None for pk in ids}
