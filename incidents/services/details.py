"""Editing an incident's title, summary and affected services."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction

from catalog.models import Service
from core.actors import Actor
from core.errors import KeelError
from core.roles import Role

from .. import flows
from ..choices import EntryKind
from ..models import Incident
from .freshness import refuse_if_stale
from .incidents import _entry, _lock, _now


@transaction.atomic
def incident_update_details(
    *,
    incident: Incident,
    actor: Actor,
    title: str | None = None,
    summary: str | None = None,
    services: Iterable[Service] | None = None,
    at: datetime | None = None,
    based_on: int | None = None,
) -> Incident:
    """Edit the title, summary or affected services. Only the fields this edit would
    change must not have been edited since `based_on`."""
    actor.require(Role.RESPONDER)
    incident = _lock(incident)
    changes: dict[str, Any] = {}
    fields = ["updated_at"]
    if title is not None and title.strip() != incident.title:
        if not title.strip():
            raise KeelError("A title is required.", field="title")
        changes["title"] = {"from": incident.title, "to": title.strip()[:300]}
        incident.title = title.strip()[:300]
        fields.append("title")
    if summary is not None and summary != incident.summary:
        changes["summary"] = {"changed": True}
        incident.summary = summary
        fields.append("summary")
    if services is not None:
        new = sorted(s.slug for s in services)
        old = sorted(incident.services.values_list("slug", flat=True))
        if new != old:
            changes["services"] = {"from": old, "to": new}
    if not changes:
        return incident
    refuse_if_stale(incident, based_on=based_on, depends_on={f"details:{name}" for name in changes})
    if "services" in changes:
        incident.services.set(list(services or ()))
    incident.save(update_fields=fields)
    _entry(
        incident,
        kind=EntryKind.EDITED,
        actor=actor,
        at=_now(at),
        text=f"{actor.name} edited the {', '.join(changes)}.",
        data=changes,
    )
    flows.incident_changed_on_commit(incident.pk, flows.DETAILS)
    return incident
