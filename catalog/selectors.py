"""Reads of the catalog, with permissions: the door through which other apps read services
and teams."""

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from core.roles import Role, require_role

from .models import Service, Team


def _viewer(user: Any) -> None:
    """None is the system (tasks, commands), which is trusted."""
    if user is not None:
        require_role(user, Role.VIEWER)


def service_list(*, user: Any) -> QuerySet[Service]:
    _viewer(user)
    return Service.objects.select_related("owner").order_by("slug")


def service_by_slug(*, user: Any, slug: str) -> Service | None:
    _viewer(user)
    if "\x00" in slug:  # PostgreSQL text cannot hold it: no such service
        return None
    return Service.objects.select_related("owner").filter(slug=slug).first()


def team_list(*, user: Any) -> QuerySet[Team]:
    _viewer(user)
    return Team.objects.prefetch_related("members")


def team_by_slug(*, user: Any, slug: str) -> Team | None:
    _viewer(user)
    if "\x00" in slug:
        return None
    return Team.objects.filter(slug=slug).first()


def teams_owning(*, services: Iterable[Service] | QuerySet[Service]) -> list[Team]:
    """The teams owning any of `services`, by slug."""
    return list(Team.objects.filter(services__in=services).distinct().order_by("slug"))
