"""Incident roles: the commander and the responders. Each change writes the incident and
its timeline entry atomically; only people who may act on incidents can hold a role."""

from datetime import datetime
from typing import Any

from django.db import transaction

from core.actors import Actor
from core.errors import KeelError
from core.roles import Role

from .. import flows
from ..choices import EntryKind
from ..models import Incident
from .freshness import refuse_if_stale
from .incidents import _entry, _lock, _now, check_can_hold_a_role


@transaction.atomic
def incident_assign_commander(
    *,
    incident: Incident,
    commander: Any,
    actor: Actor,
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    """Make `commander` the incident commander (None: nobody)."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    if commander is not None:
        check_can_hold_a_role(commander, field="commander")
    if incident.commander_id == (commander.pk if commander else None):
        return incident
    refuse_if_stale(incident, based_on=based_on, depends_on={"commander"}, field="commander")
    incident.commander = commander
    incident.save(update_fields=["commander", "updated_at"])
    name = commander.get_username() if commander else None
    _entry(
        incident,
        kind=EntryKind.ROLE,
        actor=actor,
        at=_now(at),
        text=f"{name} is now the incident commander." if name else "No incident commander.",
        data={"role": "commander", "user": name},
    )
    flows.incident_changed_on_commit(incident.pk, flows.ROLES)
    return incident


@transaction.atomic
def incident_add_responder(
    *,
    incident: Incident,
    user: Any,
    actor: Actor,
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    check_can_hold_a_role(user, field="username")
    if incident.responders.filter(pk=user.pk).exists():
        return incident
    refuse_if_stale(
        incident,
        based_on=based_on,
        depends_on={f"responder:{user.get_username()}"},
        field="username",
    )
    incident.responders.add(user)
    _entry(
        incident,
        kind=EntryKind.ROLE,
        actor=actor,
        at=_now(at),
        text=f"{user.get_username()} joined as a responder.",
        data={"role": "responder", "user": user.get_username(), "added": True},
    )
    flows.incident_changed_on_commit(incident.pk, flows.ROLES)
    return incident


@transaction.atomic
def incident_remove_responder(
    *,
    incident: Incident,
    user: Any,
    actor: Actor,
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    refuse_if_stale(
        incident,
        based_on=based_on,
        depends_on={f"responder:{user.get_username()}"},
        field="username",
    )
    if not incident.responders.filter(pk=user.pk).exists():
        raise KeelError(f"{user.get_username()} is not a responder.", field="username")
    incident.responders.remove(user)
    _entry(
        incident,
        kind=EntryKind.ROLE,
        actor=actor,
        at=_now(at),
        text=f"{user.get_username()} left the responders.",
        data={"role": "responder", "user": user.get_username(), "added": False},
    )
    flows.incident_changed_on_commit(incident.pk, flows.ROLES)
    return incident
