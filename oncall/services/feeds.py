"""Secret, revocable iCal feed URLs; only a hash of the secret is stored."""

from datetime import datetime
from typing import Any

from django.db import transaction

from accounts import tokens
from core.errors import KeelError
from core.roles import Role, role_of

from ..models import CalendarFeed, Schedule
from ._common import now, require

TOKEN_KIND = "ical"


@transaction.atomic
def feed_create(
    *, user: Any, schedule: Schedule | None = None, person: Any = None
) -> tuple[CalendarFeed, str]:
    """A new feed for a schedule (any viewer) or a person (themselves, or an admin);
    returns the feed and its secret token, shown once."""
    require(user, Role.VIEWER)
    if (schedule is None) == (person is None):
        raise KeelError("A feed is for a schedule or for a person.", field="schedule")
    if (
        person is not None
        and user is not None
        and person.pk != user.pk
        and role_of(user) < Role.ADMIN
    ):
        raise KeelError("You can create calendar feeds for yourself only.", field="user")
    minted = tokens.mint(TOKEN_KIND)
    feed = CalendarFeed.objects.create(
        schedule=schedule, user=person, prefix=minted.prefix, digest=minted.digest, created_by=user
    )
    return feed, minted.plaintext


@transaction.atomic
def feed_revoke(*, user: Any, feed: CalendarFeed, at: datetime | None = None) -> CalendarFeed:
    require(user, Role.VIEWER)
    owner = feed.user_id or feed.created_by_id
    if user is not None and user.pk != owner and role_of(user) < Role.ADMIN:
        raise KeelError("Only its owner or an admin can revoke a feed.")
    if feed.revoked_at is None:
        feed.revoked_at = now(at)
        feed.save(update_fields=["revoked_at"])
    return feed


def feed_authenticate(token: str) -> CalendarFeed | None:
    """The active feed a secret token opens, or None; compared in constant time."""
    prefix = tokens.split_prefix(token)
    if prefix is None:
        return None
    feed = CalendarFeed.objects.select_related("schedule", "user").filter(prefix=prefix).first()
    if feed is None or feed.revoked_at is not None or not tokens.matches(token, feed.digest):
        return None
    return feed
