"""The timeline entries of alerts that fired or resolved, and what follows for their open
incidents (back to investigating when alerts fire again; the resolve policy when every
alert has resolved). Written for ingestion and for the quiet-period sweep."""

from collections.abc import Iterable
from datetime import datetime

from core.actors import Actor

from ..choices import OPEN_STATUSES, AlertStatus, EntryKind, ResolvePolicy, Status
from ..models import Alert, Incident, Integration, TimelineEntry
from .incidents import incident_resolve, incident_set_status

# Up to this many alerts of one incident changing in one delivery get an entry each;
# more get one summary entry, so a storm does not bury the humans' entries.
ENTRIES_PER_ALERT_UP_TO = 10


def _alert_text(alert: Alert, verb: str) -> str:
    summary = alert.annotations.get("summary", "")
    return f"{alert.name} {verb}" + (f": {summary}" if summary else ".")


def _alert_data(alert: Alert) -> dict:
    return {
        "fingerprint": alert.fingerprint,
        "starts_at": alert.starts_at.isoformat(),
        "ends_at": alert.ends_at.isoformat() if alert.ends_at else None,
        "labels": alert.labels,
    }


def _alert_entries(
    alerts: list[Alert], *, kind: str, verb: str, actor: Actor, now: datetime, reason: str = ""
) -> list[TimelineEntry]:
    """One entry per alert, or one summary entry per incident when many change at once."""
    by_incident: dict[int, list[Alert]] = {}
    for alert in alerts:
        if alert.incident_id is not None:
            by_incident.setdefault(alert.incident_id, []).append(alert)
    suffix = f" ({reason})" if reason else ""
    entries = []
    for incident_id, group in by_incident.items():
        times = [
            (a.starts_at if kind == EntryKind.ALERT_FIRED else a.ends_at) or now for a in group
        ]
        if len(group) <= ENTRIES_PER_ALERT_UP_TO:
            entries += [
                TimelineEntry(
                    incident_id=incident_id,
                    kind=kind,
                    at=at,
                    text=_alert_text(a, verb) + suffix,
                    data=_alert_data(a),
                    **actor.entry_fields(),
                )
                for a, at in zip(group, times, strict=True)
            ]
            continue
        names = sorted({a.name for a in group})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        entries.append(
            TimelineEntry(
                incident_id=incident_id,
                kind=kind,
                at=min(times),
                text=f"{len(group)} alerts {verb}: {shown}.{suffix}",
                data={
                    "count": len(group),
                    "alertnames": names,
                    "fingerprints": [a.fingerprint for a in group],
                },
                **actor.entry_fields(),
            )
        )
    return entries


def record_alert_changes(
    *,
    fired: list[Alert],
    resolved: list[Alert],
    actor: Actor,
    now: datetime,
    resolved_reason: str = "",
    opened: Incident | None = None,
    extra_entries: Iterable[TimelineEntry] = (),
    integration: Integration | None = None,
    unseen: list[Alert] | None = None,
) -> None:
    """Timeline entries for alerts that fired or resolved, then each incident's policy.

    `unseen` alerts were first heard of resolved: each gets both entries, and the incident
    they joined its policy, but they do not send it back to investigating."""
    unseen = unseen or []
    entries = [*extra_entries]
    entries += _alert_entries(
        [*fired, *unseen], kind=EntryKind.ALERT_FIRED, verb="fired", actor=actor, now=now
    )
    entries += _alert_entries(
        [*resolved, *unseen],
        kind=EntryKind.ALERT_RESOLVED,
        verb="resolved",
        actor=actor,
        now=now,
        reason=resolved_reason,
    )
    TimelineEntry.objects.bulk_create(entries)

    refired_ids = {a.incident_id for a in fired if a.incident_id} - {opened.pk if opened else None}
    touched = refired_ids | {a.incident_id for a in [*resolved, *unseen] if a.incident_id}
    if not touched:
        return
    for incident in Incident.objects.select_related("integration").filter(
        pk__in=touched, status__in=OPEN_STATUSES
    ):
        still_firing = incident.alerts.filter(status=AlertStatus.FIRING).exists()
        if incident.pk in refired_ids and incident.status == Status.MONITORING and still_firing:
            incident_set_status(
                incident=incident,
                status=Status.INVESTIGATING,
                actor=actor,
                note="Alerts are firing again.",
                at=now,
            )
        elif not still_firing:
            source = incident.integration or integration
            policy = source.resolve_policy if source else ""
            note = "Every alert has resolved."
            if policy == ResolvePolicy.RESOLVED:
                incident_resolve(incident=incident, actor=actor, note=note, at=now)
            elif incident.status != Status.MONITORING:
                incident_set_status(
                    incident=incident, status=Status.MONITORING, actor=actor, note=note, at=now
                )
