"""Action items: creating, changing and removing them."""

from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction

from core.actors import Actor
from core.roles import Role
from incidents.models import Incident
from postmortems.models import (
    CLOSED_ACTION_STATUSES,
    ActionItem,
    ActionKind,
    ActionPriority,
    ActionStatus,
    Postmortem,
)
from postmortems.services.common import PostmortemError, now_or


def _clean_item_fields(fields: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "title" in fields:
        title = str(fields["title"] or "").strip()
        if not title:
            raise PostmortemError("A title is required.", field="title")
        clean["title"] = title[:300]
    if "description" in fields:
        clean["description"] = str(fields["description"] or "")
    if "priority" in fields:
        if fields["priority"] not in ActionPriority.values:
            raise PostmortemError("Priority is P0, P1 or P2.", field="priority")
        clean["priority"] = fields["priority"]
    if "kind" in fields:
        if fields["kind"] not in ActionKind.values:
            raise PostmortemError(f"Kind is one of {', '.join(ActionKind.values)}.", field="kind")
        clean["kind"] = fields["kind"]
    if "tracker_url" in fields:
        url = str(fields["tracker_url"] or "").strip()
        if url and not url.startswith(("https://", "http://")):
            raise PostmortemError("The tracker URL starts with https://.", field="tracker_url")
        if len(url) > 500:
            raise PostmortemError("The tracker URL is too long.", field="tracker_url")
        clean["tracker_url"] = url
    if "due_on" in fields:
        due = fields["due_on"]
        if isinstance(due, str):
            try:
                due = date.fromisoformat(due) if due else None
            except ValueError:
                raise PostmortemError("Use a date such as 2026-12-01.", field="due_on") from None
        clean["due_on"] = due
    for name in ("owner", "team"):
        if name in fields:
            clean[name] = fields[name]
    return clean


@transaction.atomic
def action_item_create(
    *, incident: Incident, actor: Actor, title: str, at: datetime | None = None, **fields: Any
) -> ActionItem:
    actor.require(Role.RESPONDER)
    clean = _clean_item_fields({"title": title, **fields})
    status = fields.get("status", ActionStatus.OPEN)
    if status not in ActionStatus.values:
        raise PostmortemError("Unknown status.", field="status")
    postmortem = Postmortem.objects.filter(incident=incident).first()
    item = ActionItem.objects.create(
        incident=incident,
        postmortem=postmortem,
        created_by=actor.user,
        status=status,
        completed_at=now_or(at) if status in CLOSED_ACTION_STATUSES else None,
        **clean,
    )
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem, actor: Actor, at: datetime | None = None, **fields: Any
) -> ActionItem:
    """Change an action item; moving it to done or won't do stamps completed_at."""
    actor.require(Role.RESPONDER)
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    clean = _clean_item_fields(fields)
    if "status" in fields:
        status = fields["status"]
        if status not in ActionStatus.values:
            raise PostmortemError(
                f"Status is one of {', '.join(ActionStatus.values)}.", field="status"
            )
        if status != item.status:
            closing = status in CLOSED_ACTION_STATUSES
            if closing and not item.is_closed:
                clean["completed_at"] = now_or(at)
            elif not closing:
                clean["completed_at"] = None
            clean["status"] = status
    for name, value in clean.items():
        setattr(item, name, value)
    if clean:
        try:
            with transaction.atomic():
                item.save(update_fields=[*clean, "updated_at"])
        except IntegrityError as exc:
            raise PostmortemError(f"The action item is not valid: {exc}.") from None
    return item


@transaction.atomic
def action_item_delete(*, item: ActionItem, actor: Actor) -> None:
    """Remove an action item entered by mistake (published versions keep their copy)."""
    actor.require(Role.RESPONDER)
    item.delete()
