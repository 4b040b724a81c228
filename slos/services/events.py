"""Pushed SLI counts: batches of {at, good, total} into per-minute buckets."""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.actors import Actor
from core.roles import Role

from ..choices import SliSource
from ..errors import SloError
from ..models import SLO, SliBucket, SliDay

MAX_EVENTS_PER_BATCH = 10_000
MAX_COUNT = 10**15
FUTURE_TOLERANCE = timedelta(minutes=5)
MAX_AGE = timedelta(days=400)


def _parse(index: int, item: Any, now: datetime) -> tuple[datetime, int, int]:
    where = f"events[{index}]"
    if not isinstance(item, dict):
        raise SloError(f"{where} must be an object with at, good and total.", field="events")
    raw_at = item.get("at")
    at = parse_datetime(raw_at) if isinstance(raw_at, str) else None
    if at is None:
        raise SloError(f"{where}.at must be an ISO 8601 time.", field="events")
    if timezone.is_naive(at):
        raise SloError(f"{where}.at needs a time zone (e.g. ...Z).", field="events")
    if at > now + FUTURE_TOLERANCE:
        raise SloError(f"{where}.at is in the future.", field="events")
    if at < now - MAX_AGE:
        raise SloError(f"{where}.at is more than 400 days old.", field="events")
    counts = []
    for name in ("good", "total"):
        value = item.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            raise SloError(f"{where}.{name} must be a whole number ≥ 0.", field="events")
        counts.append(value)
    good, total = counts
    if good > total:
        raise SloError(f"{where}: good ({good}) exceeds total ({total}).", field="events")
    return at.astimezone(UTC).replace(second=0, microsecond=0), good, total


@transaction.atomic
def events_push(
    *, actor: Actor, slo: SLO, events: Sequence[Any], at: datetime | None = None
) -> int:
    """Add a batch of counts to the SLO's per-minute buckets; all or nothing.

    Counts for the same minute add up (a batch per minute per instance is fine). Returns the
    number of minutes touched.
    """
    actor.require(Role.RESPONDER)
    if slo.source != SliSource.PUSHED:
        raise SloError(f"{slo} reads its SLI from {slo.source}; it takes no pushed events.")
    if not isinstance(events, list) or not events:
        raise SloError("Send a non-empty list of events.", field="events")
    if len(events) > MAX_EVENTS_PER_BATCH:
        raise SloError(f"At most {MAX_EVENTS_PER_BATCH} events per batch.", field="events")
    now = at or timezone.now()
    minutes: dict[datetime, list[int]] = {}
    for index, item in enumerate(events):
        minute, good, total = _parse(index, item, now)
        pair = minutes.setdefault(minute, [0, 0])
        pair[0] += good
        pair[1] += total
    _upsert(slo.pk, minutes)
    return len(minutes)


def _upsert(slo_id: int, minutes: dict[datetime, list[int]]) -> None:
    days: dict[datetime, list[int]] = {}
    for minute, (good, total) in minutes.items():
        pair = days.setdefault(minute.replace(hour=0, minute=0, tzinfo=UTC), [0, 0])
        pair[0] += good
        pair[1] += total
    _add(SliBucket._meta.db_table, "minute", slo_id, minutes)
    _add(SliDay._meta.db_table, "day", slo_id, days)


def _add(table: str, column: str, slo_id: int, rows_by_time: dict[datetime, list[int]]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    rows = sorted(rows_by_time.items())
    placeholders = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for at, (good, total) in rows:
        params.extend([slo_id, adapt(at), good, total])
    # Same statement on PostgreSQL and SQLite: counts pushed for a minute (or day) add up.
    sql = (
        f"INSERT INTO {table} (slo_id, {column}, good, total) VALUES {placeholders} "  # noqa: S608
        f"ON CONFLICT (slo_id, {column}) DO UPDATE SET good = {table}.good + excluded.good, "
        f"total = {table}.total + excluded.total"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
