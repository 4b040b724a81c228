"""Reading an SLO's SLI over a period, from pushed buckets or from Prometheus.

Both sources answer the same question: good, bad and total events (and, for timeslices,
bad slices) in [start, end), with corrected periods left out. `None` means no data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDay, TruncHour

from . import budget
from .choices import BudgetingMethod, SliSource
from .models import SLO, Correction, SliBucket, SliDay
from .prometheus import PrometheusClient, PrometheusError, window_query

MINUTE = timedelta(minutes=1)


class SliError(Exception):
    """The SLI could not be read (Prometheus down, a bad query, NaN)."""


@dataclass(frozen=True)
class Counts:
    good: Fraction
    total: Fraction
    bad_slices: int = 0
    data_at: datetime | None = None

    @property
    def bad(self) -> Fraction:
        return self.total - self.good


def corrections_for(slo: SLO, start: datetime, end: datetime) -> list[budget.Interval]:
    """Corrected periods of the SLO (or its whole service) overlapping [start, end)."""
    rows = Correction.objects.filter(
        Q(slo=slo) | Q(service_id=slo.service_id), start__lt=end, end__gt=start
    ).values_list("start", "end")
    return budget.merge_intervals((max(s, start), min(e, end)) for s, e in rows)


def floor_minute(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def _bad_minute(target: Any) -> Case:
    """1 for a pushed minute with traffic whose good share is below the slice target."""
    below = ExpressionWrapper(F("total") * Value(target), output_field=DecimalField())
    return Case(
        When(Q(total__gt=0) & Q(good__lt=below), then=1),
        default=0,
        output_field=IntegerField(),
    )


def _minute_filter(start: datetime, end: datetime, excluded: list[budget.Interval]) -> Q:
    # A bucket belongs to the period when its minute starts inside it.
    query = Q(minute__gte=start, minute__lt=end)
    for ex_start, ex_end in excluded:
        query &= ~Q(minute__gte=floor_minute(ex_start), minute__lt=ex_end)
    return query


DAY = timedelta(days=1)


def _day_ceiling(at: datetime) -> datetime:
    midnight = at.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight if midnight == at else midnight + DAY


def _pushed_by_days(slo: SLO, start: datetime, end: datetime) -> Counts | None:
    """Occurrences over a long period without corrections: whole UTC days from the daily
    sums, the partial days at either end from the minute buckets."""
    first_day = _day_ceiling(start)
    last_day = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = SliDay.objects.filter(slo=slo, day__gte=first_day, day__lt=last_day).aggregate(
        sum_good=Sum("good"), sum_total=Sum("total"), rows=Count("day")
    )
    # Two tight index ranges (one OR-ed query would scan the whole SLO's minutes).
    head, tail = (
        SliBucket.objects.filter(slo=slo, minute__gte=low, minute__lt=high).aggregate(
            sum_good=Sum("good"), sum_total=Sum("total"), rows=Count("minute")
        )
        for low, high in ((start, first_day), (last_day, end))
    )
    edges = {
        key: int(head[key] or 0) + int(tail[key] or 0) for key in ("sum_good", "sum_total", "rows")
    }
    if not days["rows"] and not edges["rows"]:
        return None
    newest = (
        SliBucket.objects.filter(slo=slo, minute__gte=start, minute__lt=end)
        .order_by("-minute")
        .values_list("minute", flat=True)
        .first()
    )
    return Counts(
        good=Fraction(int(days["sum_good"] or 0) + int(edges["sum_good"] or 0)),
        total=Fraction(int(days["sum_total"] or 0) + int(edges["sum_total"] or 0)),
        data_at=newest + MINUTE if newest else None,
    )


def _pushed(
    slo: SLO, start: datetime, end: datetime, excluded: list[budget.Interval]
) -> Counts | None:
    timeslices = slo.budgeting_method == BudgetingMethod.TIMESLICES
    if not timeslices and not excluded and end - start > 2 * DAY:
        return _pushed_by_days(slo, start, end)
    rows = SliBucket.objects.filter(_minute_filter(start, end, excluded), slo=slo)
    aggregates: dict[str, Any] = {
        "sum_good": Sum("good"),
        "sum_total": Sum("total"),
        "rows": Count("minute"),  # not the id: the covering index alone answers
        "newest": Max("minute"),
    }
    if timeslices and slo.slice_seconds == 60:
        target = slo.slice_target
        aggregates["bad_slices"] = Sum(_bad_minute(target))
    found = rows.aggregate(**aggregates)
    if not found["rows"]:
        return None
    bad_slices = int(found.get("bad_slices") or 0)
    if timeslices and slo.slice_seconds != 60:
        bad_slices = _bad_slices_grouped(slo, rows.values_list("minute", "good", "total"))
    return Counts(
        good=Fraction(int(found["sum_good"] or 0)),
        total=Fraction(int(found["sum_total"] or 0)),
        bad_slices=bad_slices,
        data_at=found["newest"] + MINUTE if found["newest"] else None,
    )


def _bad_slices_grouped(slo: SLO, rows: object) -> int:
    slices: dict[int, list[int]] = {}
    for minute, good, total in rows:  # type: ignore[attr-defined]
        key = int(minute.timestamp()) // slo.slice_seconds
        pair = slices.setdefault(key, [0, 0])
        pair[0] += good
        pair[1] += total
    return budget.bad_slices(((g, t) for g, t in slices.values()), slo.slice_target or 1)


def prometheus_client() -> PrometheusClient:
    url = settings.KEEL_PROMETHEUS_URL
    if not url:
        raise SliError("No Prometheus is configured (KEEL_PROMETHEUS_URL).")
    return PrometheusClient(url, timeout=settings.KEEL_PROMETHEUS_TIMEOUT_SECONDS)


def _prometheus_span(
    client: PrometheusClient, slo: SLO, start: datetime, end: datetime
) -> tuple[Fraction, Fraction] | None:
    seconds = budget.seconds(end - start)  # exact: a period need not end on a whole second
    if seconds <= 0:
        return Fraction(0), Fraction(0)
    if seconds.denominator != 1 and seconds * 1000 != round(seconds * 1000):
        seconds = Fraction(round(seconds * 1000), 1000)  # Prometheus counts milliseconds
    total_query, total_scale = window_query(slo.total_query, seconds)
    total = client.instant(total_query, at=end)
    if total is None:
        return None
    if slo.bad_query:
        bad_query, bad_scale = window_query(slo.bad_query, seconds)
        bad = client.instant(bad_query, at=end)
        # No error series at all (nothing ever failed) is zero bad events, not missing data.
        bad_value = bad.value * bad_scale if bad is not None else Fraction(0)
        good_value = total.value * total_scale - bad_value
    else:
        good_query, good_scale = window_query(slo.good_query, seconds)
        good = client.instant(good_query, at=end)
        if good is None:
            return None
        good_value = good.value * good_scale
    return good_value, total.value * total_scale


def _prometheus_bad_slices(
    client: PrometheusClient, slo: SLO, start: datetime, end: datetime
) -> int:
    step = slo.slice_seconds
    bad = 0
    chunk = timedelta(seconds=step * 10_000)  # under Prometheus's 11,000 points per query
    cursor = start + timedelta(seconds=step)
    while cursor <= end:
        chunk_end = min(end, cursor + chunk)
        total_q, _ = window_query(slo.total_query, step)
        totals = dict(client.range(total_q, start=cursor, end=chunk_end, step_seconds=step))
        if slo.bad_query:
            bad_q, _ = window_query(slo.bad_query, step)
            bads = dict(client.range(bad_q, start=cursor, end=chunk_end, step_seconds=step))
            pairs = [(t - bads.get(ts, 0), t) for ts, t in totals.items()]
        else:
            good_q, _ = window_query(slo.good_query, step)
            goods = dict(client.range(good_q, start=cursor, end=chunk_end, step_seconds=step))
            pairs = [(goods.get(ts, Fraction(0)), t) for ts, t in totals.items()]
        bad += budget.bad_slices(pairs, slo.slice_target or 1)
        cursor = chunk_end + timedelta(seconds=step)
    return bad


def _prometheus(
    slo: SLO, start: datetime, end: datetime, excluded: list[budget.Interval]
) -> Counts | None:
    try:
        client = prometheus_client()
        found = _prometheus_span(client, slo, start, end)
        if found is None:
            return None
        good, total = found
        for ex_start, ex_end in excluded:
            inner = _prometheus_span(client, slo, ex_start, ex_end)
            if inner is not None:
                good -= inner[0]
                total -= inner[1]
        bad_slices = 0
        if slo.budgeting_method == BudgetingMethod.TIMESLICES:
            parts = budget.subtract((start, end), excluded)
            bad_slices = sum(_prometheus_bad_slices(client, slo, s, e) for s, e in parts)
    except PrometheusError as error:
        raise SliError(str(error)) from error
    return Counts(
        good=max(good, Fraction(0)),
        total=max(total, Fraction(0)),
        bad_slices=bad_slices,
        data_at=end,
    )


def counts(slo: SLO, start: datetime, end: datetime, *, corrected: bool = True) -> Counts | None:
    """Good/total events (and bad slices) of the SLO in [start, end), corrections left out."""
    excluded = corrections_for(slo, start, end) if corrected else []
    if slo.source == SliSource.PUSHED:
        return _pushed(slo, start, end, excluded)
    return _prometheus(slo, start, end, excluded)


def pushed_burn_counts(
    slo: SLO, at: datetime, lookbacks: list[timedelta]
) -> dict[timedelta, tuple[int, int]]:
    """(bad, total) of a pushed SLI for each lookback ending at `at`, in one query."""
    longest = max(lookbacks)
    excluded = corrections_for(slo, at - longest, at)
    aggregates = {}
    for i, lookback in enumerate(lookbacks):
        since = Q(minute__gte=at - lookback)
        aggregates[f"g{i}"] = Sum(Case(When(since, then=F("good")), default=0))
        aggregates[f"t{i}"] = Sum(Case(When(since, then=F("total")), default=0))
    found = SliBucket.objects.filter(_minute_filter(at - longest, at, excluded), slo=slo).aggregate(
        **aggregates
    )
    result = {}
    for i, lookback in enumerate(lookbacks):
        total = int(found[f"t{i}"] or 0)
        good = int(found[f"g{i}"] or 0)
        result[lookback] = (total - good, total)
    return result


def bucketed(
    slo: SLO, start: datetime, end: datetime, step: timedelta
) -> list[tuple[datetime, Fraction, Fraction, int]]:
    """(bucket start, bad, total, bad slices) per hour or day in [start, end), for charts.
    Buckets without data are left out."""
    if slo.source == SliSource.PUSHED:
        trunc = TruncDay("minute") if step >= timedelta(days=1) else TruncHour("minute")
        excluded = corrections_for(slo, start, end)
        target = slo.slice_target or 1
        rows = (
            SliBucket.objects.filter(_minute_filter(start, end, excluded), slo=slo)
            .annotate(bucket=trunc)
            .values("bucket")
            .annotate(
                sum_good=Sum("good"),
                sum_total=Sum("total"),
                slices=Sum(_bad_minute(target)),
            )
            .order_by("bucket")
        )
        return [
            (
                row["bucket"],
                Fraction(row["sum_total"] - row["sum_good"]),
                Fraction(row["sum_total"]),
                int(row["slices"] or 0),
            )
            for row in rows
        ]
    seconds = int(step.total_seconds())
    try:
        client = prometheus_client()
        first = start + step
        total_q, total_scale = window_query(slo.total_query, seconds)
        totals = dict(client.range(total_q, start=first, end=end, step_seconds=seconds))
        if slo.bad_query:
            bad_q, bad_scale = window_query(slo.bad_query, seconds)
            bads = {
                ts: v * bad_scale
                for ts, v in client.range(bad_q, start=first, end=end, step_seconds=seconds)
            }
        else:
            good_q, good_scale = window_query(slo.good_query, seconds)
            goods = dict(client.range(good_q, start=first, end=end, step_seconds=seconds))
            bads = {
                ts: t * total_scale - goods.get(ts, Fraction(0)) * good_scale
                for ts, t in totals.items()
            }
    except PrometheusError as error:
        raise SliError(str(error)) from error
    return [
        (ts - step, bads.get(ts, Fraction(0)), total * total_scale, 0)
        for ts, total in sorted(totals.items())
    ]


@dataclass
class PushedReading:
    """What one evaluation of a pushed, uncorrected occurrences SLO reads: the window's counts
    and (bad, total) for each burn-rate lookback."""

    counts: Counts | None
    burns: dict[timedelta, tuple[int, int]]


def _group_sums(queryset: Any, **extra: Any) -> dict[int, dict[str, Any]]:
    rows = queryset.values("slo_id").annotate(sum_good=Sum("good"), sum_total=Sum("total"), **extra)
    return {row["slo_id"]: row for row in rows}


def pushed_readings(
    slos: list[SLO],
    *,
    start: datetime,
    end: datetime,
    at: datetime,
    lookbacks: list[timedelta],
) -> dict[int, PushedReading]:
    """The readings `counts` and `pushed_burn_counts` would give, for many SLOs sharing one
    window [start, end) and one set of lookbacks, in a few grouped queries instead of several
    per SLO. Only for pushed occurrences SLOs with no correction in the periods read, and
    windows longer than two days (the daily sums cover the middle); the caller checks that."""
    ids = [slo.pk for slo in slos]
    if not ids:
        return {}
    first_day = _day_ceiling(start)
    last_day = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    days = _group_sums(
        SliDay.objects.filter(slo_id__in=ids, day__gte=first_day, day__lt=last_day),
        rows=Count("day"),
    )
    head = _group_sums(
        SliBucket.objects.filter(slo_id__in=ids, minute__gte=start, minute__lt=first_day),
        rows=Count("minute"),
    )
    tail = _group_sums(
        SliBucket.objects.filter(slo_id__in=ids, minute__gte=last_day, minute__lt=end),
        rows=Count("minute"),
        newest=Max("minute"),
    )
    longest = max(lookbacks)
    burn_sums: dict[str, Any] = {}
    for i, lookback in enumerate(lookbacks):
        since = Q(minute__gte=at - lookback)
        burn_sums[f"g{i}"] = Sum(Case(When(since, then=F("good")), default=0))
        burn_sums[f"t{i}"] = Sum(Case(When(since, then=F("total")), default=0))
    burn_rows = {
        row["slo_id"]: row
        for row in SliBucket.objects.filter(slo_id__in=ids, minute__gte=at - longest, minute__lt=at)
        .values("slo_id")
        .annotate(**burn_sums)
    }
    empty: dict[str, Any] = {}
    readings = {}
    for slo in slos:
        day, first, last = days.get(slo.pk, empty), head.get(slo.pk, empty), tail.get(slo.pk, empty)
        counts: Counts | None = None
        if day.get("rows") or first.get("rows") or last.get("rows"):
            newest = last.get("newest")
            if newest is None:  # nothing today: the newest bucket is further back
                newest = (
                    SliBucket.objects.filter(slo=slo, minute__gte=start, minute__lt=end)
                    .order_by("-minute")
                    .values_list("minute", flat=True)
                    .first()
                )
            good = sum(int(part.get("sum_good") or 0) for part in (day, first, last))
            total = sum(int(part.get("sum_total") or 0) for part in (day, first, last))
            counts = Counts(
                good=Fraction(good),
                total=Fraction(total),
                data_at=newest + MINUTE if newest else None,
            )
        found = burn_rows.get(slo.pk, empty)
        burns = {}
        for i, lookback in enumerate(lookbacks):
            burn_total = int(found.get(f"t{i}") or 0)
            burns[lookback] = (burn_total - int(found.get(f"g{i}") or 0), burn_total)
        readings[slo.pk] = PushedReading(counts=counts, burns=burns)
    return readings


def corrected_slo_ids(slos: list[SLO], start: datetime, end: datetime) -> set[int]:
    """The SLOs among `slos` with a correction (theirs or their service's) overlapping
    [start, end), in one query."""
    rows = Correction.objects.filter(
        Q(slo__in=[slo.pk for slo in slos]) | Q(service_id__in={slo.service_id for slo in slos}),
        start__lt=end,
        end__gt=start,
    ).values_list("slo_id", "service_id")
    slo_ids = {slo_id for slo_id, _ in rows if slo_id}
    service_ids = {service_id for _, service_id in rows if service_id}
    return {slo.pk for slo in slos if slo.pk in slo_ids or slo.service_id in service_ids}


def minutes(slo: SLO, start: datetime, end: datetime) -> list[tuple[datetime, Fraction, Fraction]]:
    """(minute, bad, total) for each minute with data in [start, end): the SLI at the finest
    grain Keel reads it, to find where an episode began. Corrected minutes are left out."""
    start, end = floor_minute(start), floor_minute(end) + MINUTE
    if slo.source == SliSource.PUSHED:
        excluded = corrections_for(slo, start, end)
        rows = (
            SliBucket.objects.filter(_minute_filter(start, end, excluded), slo=slo)
            .order_by("minute")
            .values_list("minute", "good", "total")
        )
        return [(minute, Fraction(total - good), Fraction(total)) for minute, good, total in rows]
    try:
        client = prometheus_client()
        first = start + MINUTE
        total_q, total_scale = window_query(slo.total_query, 60)
        totals = dict(client.range(total_q, start=first, end=end, step_seconds=60))
        if slo.bad_query:
            bad_q, bad_scale = window_query(slo.bad_query, 60)
            bads = {
                ts: v * bad_scale
                for ts, v in client.range(bad_q, start=first, end=end, step_seconds=60)
            }
        else:
            good_q, good_scale = window_query(slo.good_query, 60)
            goods = dict(client.range(good_q, start=first, end=end, step_seconds=60))
            bads = {
                ts: t * total_scale - goods.get(ts, Fraction(0)) * good_scale
                for ts, t in totals.items()
            }
    except PrometheusError as error:
        raise SliError(str(error)) from error
    return [
        (ts - MINUTE, max(bads.get(ts, Fraction(0)), Fraction(0)), total * total_scale)
        for ts, total in sorted(totals.items())
    ]
