"""Which stored alert instance a reported alert is: an alert is its fingerprint while it fires.

Alertmanager keeps one alert per fingerprint and merges a firing alert that arrives again
with another `startsAt` (a restarted Prometheus, an HA peer, another precision) into it,
keeping the earlier start; a new instance begins only after the old one resolved. Keel
does the same, so that a resolve for the fingerprint always finds what it resolves.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from .. import alertmanager
from ..choices import AlertStatus
from ..models import Alert, Integration

# Reported starts of one instance differ below the second (micro-, milli- or no fraction).
START_TOLERANCE = timedelta(seconds=1)
OTHER_STARTS_KEPT = 20
UPDATE_FIELDS = [
    "status",
    "starts_at",
    "ends_at",
    "labels",
    "annotations",
    "generator_url",
    "last_seen_at",
    "times_seen",
    "other_starts",
    "incident",
]


@dataclass
class Matched:
    """What one delivery's alerts did to the stored instances."""

    existing: list[Alert] = field(default_factory=list)  # rows to update, once each
    new: list[Alert] = field(default_factory=list)  # rows to insert
    fired: list[Alert] = field(default_factory=list)  # began firing (new, or again)
    resolved: list[Alert] = field(default_factory=list)  # a firing instance resolved
    unseen_resolved: list[Alert] = field(default_factory=list)  # first heard of resolved
    started_earlier: list[Alert] = field(default_factory=list)  # joined with an earlier start

    @property
    def rows(self) -> list[Alert]:
        return [*self.existing, *self.new]


def load_instances(
    integration: Integration, parsed: tuple[alertmanager.ParsedAlert, ...]
) -> dict[str, list[Alert]]:
    """The instances a delivery's alerts may be, locked: each fingerprint's firing one, the
    ones with a reported start, and those that ended after the delivery's earliest start."""
    if not parsed:
        return {}
    earliest = min(p.starts_at for p in parsed) - START_TOLERANCE
    rows = (
        Alert.objects.select_for_update()
        .filter(integration=integration, fingerprint__in={p.fingerprint for p in parsed})
        .filter(
            Q(status=AlertStatus.FIRING)
            | Q(starts_at__in={p.starts_at for p in parsed})
            | Q(ends_at__gt=earliest)
        )
        .order_by("pk")
    )
    found: dict[str, list[Alert]] = {}
    for row in rows:
        found.setdefault(row.fingerprint, []).append(row)
    return found


def _covering(rows: list[Alert], starts_at: datetime) -> Alert | None:
    """The resolved instance a report starting at `starts_at` belongs to: the one with that
    very start, else one whose span (from just before its start to its end) holds it."""
    resolved = [r for r in rows if r.status != AlertStatus.FIRING and r.ends_at is not None]
    for row in resolved:
        if row.starts_at == starts_at:
            return row
    spans = [
        r
        for r in resolved
        if r.ends_at is not None and r.starts_at - START_TOLERANCE <= starts_at < r.ends_at
    ]
    return max(spans, key=lambda r: r.starts_at, default=None)


def _note_start(row: Alert, reported: datetime, rows: list[Alert]) -> bool:
    """Keep the earliest start of an instance; remember the others. True if it moved earlier.

    An earlier start is taken only where no other instance of the fingerprint lies.
    """
    if reported == row.starts_at:
        return False
    moved = False
    if reported < row.starts_at and not any(
        other is not row
        and (
            other.starts_at == reported or (other.ends_at is not None and other.ends_at > reported)
        )
        for other in rows
    ):
        reported, row.starts_at = row.starts_at, reported
        moved = True
    noted = reported.isoformat()
    others = list(row.other_starts or [])
    if noted not in others and len(others) < OTHER_STARTS_KEPT:
        row.other_starts = sorted([*others, noted])
    return moved


def _seen(row: Alert, p: alertmanager.ParsedAlert, now: datetime) -> None:
    row.labels = p.labels
    row.annotations = p.annotations
    row.generator_url = p.generator_url
    row.last_seen_at = now
    row.times_seen += 1


def match(
    *,
    integration: Integration,
    parsed: tuple[alertmanager.ParsedAlert, ...],
    group_hash: str,
    received_at: datetime,
    now: datetime,
) -> Matched:
    """Apply a delivery's alerts to the stored instances in memory (the caller saves)."""
    instances = load_instances(integration, parsed)
    out = Matched()
    touched: set[int] = set()

    def keep(row: Alert) -> None:
        if row.pk is not None and row.pk not in touched:
            touched.add(row.pk)
            out.existing.append(row)

    for p in parsed:
        rows = instances.setdefault(p.fingerprint, [])
        firing = next((r for r in rows if r.status == AlertStatus.FIRING), None)
        if firing is not None and (
            p.is_firing
            or (p.ends_at is not None and p.ends_at >= firing.starts_at - START_TOLERANCE)
        ):
            # The fingerprint's firing instance: a repeat, another start, or its resolve.
            _seen(firing, p, now)
            if _note_start(firing, p.starts_at, rows):
                out.started_earlier.append(firing)
            if not p.is_firing:
                firing.status = AlertStatus.RESOLVED
                firing.ends_at = max(p.ends_at or now, firing.starts_at)
                out.resolved.append(firing)
            keep(firing)
            continue
        prior = _covering(rows, p.starts_at)
        if prior is not None:
            _seen(prior, p, now)
            _note_start(prior, p.starts_at, rows)
            if p.is_firing and prior.ends_at is not None and received_at > prior.ends_at:
                # Reported firing after its end (a restarted Prometheus): firing again.
                prior.status, prior.ends_at = AlertStatus.FIRING, None
                out.fired.append(prior)
            # Otherwise older news (a retry that waited) or a repeated resolve: the first
            # end stands.
            keep(prior)
            continue
        row = Alert(
            integration=integration,
            fingerprint=p.fingerprint,
            starts_at=p.starts_at,
            ends_at=None if p.is_firing else max(p.ends_at or now, p.starts_at),
            status=p.status,
            labels=p.labels,
            annotations=p.annotations,
            generator_url=p.generator_url,
            group_hash=group_hash,
            first_seen_at=now,
            last_seen_at=now,
            times_seen=1,
            other_starts=[],
        )
        rows.append(row)
        out.new.append(row)
        (out.fired if p.is_firing else out.unseen_resolved).append(row)
    return out


def save(matched: Matched) -> None:
    """Write the changes: updates first (a resolve frees the fingerprint), then inserts."""
    if matched.existing:
        Alert.objects.bulk_update(matched.existing, UPDATE_FIELDS)
    if matched.new:
        Alert.objects.bulk_create(matched.new)
