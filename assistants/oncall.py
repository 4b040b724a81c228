"""On-call tools: who is on call now or at a time, and the last handoff's notes."""

from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from mcp.server.mcpserver.exceptions import ToolError

from catalog.models import Service, Team
from catalog.selectors import team_by_slug
from oncall import selectors
from oncall.api.serializers import HandoffSerializer, OnCallNowSerializer
from slos.selectors import service_get

from .wire import as_json

Result = tuple[dict[str, Any], str]


def moment(text: str | None) -> datetime | None:
    """An ISO 8601 time with its zone, or None for now."""
    if not text:
        return None
    parsed = parse_datetime(text)
    if parsed is None:
        raise ToolError(f"{text!r} is not a time: give ISO 8601, e.g. 2026-11-25T09:00:00Z.")
    if timezone.is_naive(parsed):
        raise ToolError("Give the time with its zone, e.g. 2026-11-25T09:00:00Z.")
    return parsed


def team_of(user: Any, *, team: str | None, service: str | None) -> Team | None:
    """The team named, or the owner of the service named; None for every team."""
    if team:
        found = team_by_slug(user=user, slug=team)
        if found is None:
            raise ToolError(f"No team {team!r}.")
        return found
    if service:
        try:
            owner = service_get(user=user, slug=service).owner
        except Service.DoesNotExist:
            raise ToolError(f"No service {service!r}.") from None
        if owner is None:
            raise ToolError(f"{service} has no owning team, so no one is on call for it.")
        return owner
    return None


def on_call(
    *, user: Any, team: str | None = None, service: str | None = None, at: str | None = None
) -> Result:
    when = moment(at)
    found = team_of(user, team=team, service=service)
    rows = selectors.oncall_now(schedules=selectors.schedule_list(user=user, team=found), at=when)
    schedules = as_json(OnCallNowSerializer(rows, many=True).data)
    instant = "now" if when is None else f"at {when.isoformat()}"
    parts = [
        f"{row['schedule_name']} ({row['team']}): {row['now'] or 'no one'}"
        + (f" until {row['now_until']}" if row["now_until"] else "")
        + (f", then {row['next']}" if row["next"] else "")
        for row in schedules
    ]
    scope = found.slug if found is not None else "every team"
    summary = (
        f"On call for {scope} {instant}: " + "; ".join(parts) + "."
        if parts
        else f"{scope} has no on-call schedule."
    )
    return {"team": None if found is None else found.slug, "schedules": schedules}, summary


def handoff(
    *, user: Any, team: str | None = None, service: str | None = None, at: str | None = None
) -> Result:
    when = moment(at) or timezone.now()
    found = team_of(user, team=team, service=service)
    last = selectors.handoff_latest(user=user, at=when, team=found)
    scope = found.slug if found is not None else "any team"
    if last is None:
        return {"handoff": None}, f"No handoff of {scope} up to {when.isoformat()}."
    body = as_json(HandoffSerializer(last).data)
    body["schedule_name"] = last.schedule.name
    body["team"] = last.schedule.team.slug
    notes = body["notes"].strip() or "no notes"
    summary = (
        f"Last handoff of {last.schedule.name} ({body['team']}) at {body['shift_start']}: "
        f"{body['outgoing'] or 'no one'} to {body['incoming'] or 'no one'}"
        + (", acknowledged" if body["acknowledged_at"] else ", not acknowledged yet")
        + f". Notes: {notes}"
    )
    return {"handoff": body}, summary
