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


def service_get(*, user: Any, slug: str) -> Service:
    """One service and its owner; raises Service.DoesNotExist."""
    _viewer(user)
    return Service.objects.select_related("owner").get(slug=slug)


def service_by_slug(*, user: Any, slug: str) -> Service | None:
    _viewer(user)
    if "\x00" in slug:  # PostgreSQL text cannot hold it: no such service
        return None
    return Service.objects.select_related("owner").filter(slug=slug).first()


def service_choices(*, ordering: str = "name") -> QuerySet[Service]:
    """Every service, for a form or serializer field that names one. The field is built
    before any request: the view or API view that takes the form checks who may send it."""
    return Service.objects.order_by(ordering)


def services_owned(*, team: Team) -> QuerySet[Service]:
    """The services a team owns, by slug (a policy of the team may page for them)."""
    return Service.objects.filter(owner=team).order_by("slug")


def team_list(*, user: Any) -> QuerySet[Team]:
    _viewer(user)
    return Team.objects.prefetch_related("members")


def team_by_slug(*, user: Any, slug: str) -> Team | None:
    _viewer(user)
    if "\x00" in slug:
        return None
    return Team.objects.filter(slug=slug).first()


def team_choices(*, ordering: str = "name") -> QuerySet[Team]:
    """Every team, for a form or serializer field that names one (see `service_choices`)."""
    return Team.objects.order_by(ordering)


def teams_owning(*, services: Iterable[Service] | QuerySet[Service]) -> list[Team]:
    """The teams owning any of `services`, by slug."""
    return list(Team.objects.filter(services__in=services).distinct().order_by("slug"))
