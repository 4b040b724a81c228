"""State changes of the catalog: services (created by hand, from SLO files, or discovered
from alert labels) and teams (members, zone, working hours, fallback contacts)."""

from collections.abc import Sequence
from datetime import time
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from core.errors import KeelError
from core.roles import Role, require_role, role_of

from .models import Service, Team, validate_time_zone
from .models.team import WORKING_DAYS_DEFAULT


def _require(user: Any, role: Role) -> None:
    """Check a user's role; None is the system (tasks, commands), which is trusted."""
    if user is not None:
        require_role(user, role)


def service_slug(label_value: str) -> str:
    """The slug an alert label value maps to (`Checkout API` → `checkout-api`)."""
    return slugify(label_value)[:100]


def service_create(*, slug: str, name: str = "", description: str = "") -> Service:
    return Service.objects.create(slug=slug, name=name or slug, description=description)


def service_set_owner(*, service: Service, team: object | None) -> Service:
    """The team that owns the service: its on-call is paged and it gets the SLO mail."""
    service.owner = team  # type: ignore[assignment]
    service.save(update_fields=["owner"])
    return service


def services_get_or_discover(*, label_values: set[str]) -> list[Service]:
    """The services named by alert labels, creating unknown ones as discovered."""
    slugs = {service_slug(v): v for v in label_values if service_slug(v)}
    found = {s.slug: s for s in Service.objects.filter(slug__in=slugs)}
    for slug, raw in slugs.items():
        if slug in found:
            continue
        try:
            with transaction.atomic():
                found[slug] = Service.objects.create(slug=slug, name=raw, discovered=True)
        except IntegrityError:  # created concurrently by another delivery
            found[slug] = Service.objects.get(slug=slug)
    return [found[s] for s in sorted(found)]


def check_zone(value: str, field: str = "time_zone") -> str:
    """`value` if it is an IANA time zone, else a KeelError naming `field`."""
    try:
        validate_time_zone(value)
    except Exception as exc:
        raise KeelError(
            f"{value!r} is not an IANA time zone (e.g. Europe/Berlin).", field=field
        ) from exc
    return value


def _check_working_hours(days: Sequence[int], start: time, end: time) -> list[int]:
    if any(not isinstance(d, int) or not 0 <= d <= 6 for d in days):
        raise KeelError("Working days are 0 (Monday) to 6 (Sunday).", field="working_days")
    if start >= end:
        raise KeelError(
            f"Working hours end after they start ({start:%H:%M} is not before {end:%H:%M}).",
            field="working_end",
        )
    return sorted(set(days))


def _check_fallback_contacts(people: Sequence[Any]) -> list[Any]:
    """Fallback contacts must be able to acknowledge what they are paged for."""
    for person in people:
        if not person.is_active:
            raise KeelError(f"{person} is deactivated.", field="fallback_contacts")
        if role_of(person) < Role.RESPONDER:
            raise KeelError(
                f"{person} is a viewer and cannot acknowledge a page; fallback contacts "
                "need the responder or admin role.",
                field="fallback_contacts",
            )
    return list(dict.fromkeys(people))


def _check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise KeelError("A team needs a name.", field="name")
    return name


@transaction.atomic
def team_create(
    *,
    user: Any,
    name: str,
    slug: str,
    time_zone: str = "UTC",
    members: Sequence[Any] = (),
    working_days: Sequence[int] = WORKING_DAYS_DEFAULT,
    working_start: time = time(9),
    working_end: time = time(18),
    fallback_contacts: Sequence[Any] = (),
) -> Team:
    """A new team. Off-hours (for reports) are outside its working days and hours,
    Monday to Friday 09:00-18:00 unless given. Its fallback contacts are paged when
    Keel cannot work out who is on call for it (else Keel's admins are)."""
    _require(user, Role.ADMIN)
    name = _check_name(name)
    fallback = _check_fallback_contacts(fallback_contacts)
    check_zone(time_zone)
    days = _check_working_hours(working_days, working_start, working_end)
    if Team.objects.filter(slug=slug).exists():
        raise KeelError(f"A team with the slug {slug!r} exists already.", field="slug")
    try:
        with transaction.atomic():
            team = Team.objects.create(
                name=name,
                slug=slug,
                time_zone=time_zone,
                working_days=days,
                working_start=working_start,
                working_end=working_end,
            )
    except IntegrityError as exc:  # a concurrent create of the same slug
        raise KeelError(f"A team with the slug {slug!r} exists already.", field="slug") from exc
    team.members.set(members)
    team.fallback_contacts.set(fallback)
    return team


@transaction.atomic
def team_update(
    *,
    user: Any,
    team: Team,
    name: str | None = None,
    time_zone: str | None = None,
    members: Sequence[Any] | None = None,
    working_days: Sequence[int] | None = None,
    working_start: time | None = None,
    working_end: time | None = None,
    fallback_contacts: Sequence[Any] | None = None,
) -> Team:
    """Change what is given. A schedule keeps its own zone when the team's changes."""
    _require(user, Role.ADMIN)
    fallback = None if fallback_contacts is None else _check_fallback_contacts(fallback_contacts)
    fields = []
    if name is not None:
        team.name = _check_name(name)
        fields.append("name")
    if time_zone is not None:
        team.time_zone = check_zone(time_zone)
        fields.append("time_zone")
    if working_days is not None or working_start is not None or working_end is not None:
        team.working_days = _check_working_hours(
            team.working_days if working_days is None else working_days,
            working_start or team.working_start,
            working_end or team.working_end,
        )
        team.working_start = working_start or team.working_start
        team.working_end = working_end or team.working_end
        fields += ["working_days", "working_start", "working_end"]
    if fields:
        team.save(update_fields=fields)
    if members is not None:
        team.members.set(members)
    if fallback is not None:
        team.fallback_contacts.set(fallback)
    return team
