"""Compose a postmortem's facts from what Keel knows about the incident (pure).

The service gathers plain values; this module decides what goes into the document:
header, durations, alerts, the timeline (pinned entries plus the key events), and the
error-budget impact per SLO. The result is JSON-ready and is stored on the postmortem.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incidents.metrics import seconds_between

# Timeline kinds that always belong in the postmortem's timeline.
KEY_EVENT_KINDS = frozenset(
    {"opened", "declared", "acknowledged", "severity", "status", "resolved", "reopened", "closed"}
)


@dataclass(frozen=True)
class EntryFact:
    at: datetime
    kind: str
    actor: str
    text: str
    pinned: bool = False


@dataclass(frozen=True)
class AlertFact:
    name: str
    severity: str
    status: str
    starts_at: datetime
    ends_at: datetime | None
    summary: str = ""


@dataclass(frozen=True)
class ImpactFact:
    """One SLO's share of its window budget spent by the incident (fraction: 0.326 = 32.6%).

    `text` is the sentence the SLO part words from its figures; `burn` is the share of the
    budget remaining at times around the incident (None where there was no data).
    """

    slo: str
    service: str
    fraction: float
    window: str
    remaining_minutes: float | None = None
    remaining_fraction: float | None = None
    burn: Sequence[tuple[datetime, float | None]] = field(default_factory=tuple)
    text: str = ""
    method: str = ""
    remaining_bad: float | None = None


@dataclass(frozen=True)
class IncidentFacts:
    number: int
    title: str
    severity: str
    status: str
    kind: str
    services: Sequence[str]
    commander: str | None
    responders: Sequence[str]
    started_at: datetime
    detected_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


def format_duration(seconds: float | None) -> str:
    """`2 h 05 min`, `12 min 30 s`, `45 s`; an em dash when unknown."""
    if seconds is None:
        return "—"
    total = round(seconds)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h {minutes:02d} min"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    return f"{secs} s"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def impact_text(impact: ImpactFact) -> str:
    """“consumed 32.6% of the 30-day budget; 68 min remain”."""
    if impact.text:
        return impact.text
    text = f"consumed {impact.fraction * 100:.1f}% of the {impact.window} budget"
    if impact.remaining_minutes is not None:
        text += f"; {impact.remaining_minutes:.0f} min remain"
    elif impact.remaining_fraction is not None:
        text += f"; {impact.remaining_fraction * 100:.1f}% remains"
    return text


def select_timeline(entries: Iterable[EntryFact]) -> list[EntryFact]:
    """Pinned entries, the key lifecycle events, and the first alert that fired."""
    chosen: list[EntryFact] = []
    first_alert_seen = False
    for entry in sorted(entries, key=lambda e: e.at):
        first_alert = entry.kind == "alert_fired" and not first_alert_seen
        if entry.kind == "alert_fired":
            first_alert_seen = True
        if entry.pinned or entry.kind in KEY_EVENT_KINDS or first_alert:
            chosen.append(entry)
    return chosen


def compose_facts(
    incident: IncidentFacts,
    *,
    alerts: Iterable[AlertFact] = (),
    entries: Iterable[EntryFact] = (),
    impacts: Iterable[ImpactFact] = (),
) -> dict[str, Any]:
    """Everything the document states as fact, JSON-ready."""
    ttd = seconds_between(incident.started_at, incident.detected_at)
    tta = seconds_between(incident.detected_at, incident.acknowledged_at)
    ttr = seconds_between(incident.started_at, incident.resolved_at)
    return {
        "incident": {
            "number": incident.number,
            "reference": f"INC-{incident.number}",
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "kind": incident.kind,
            "services": list(incident.services),
            "commander": incident.commander,
            "responders": list(incident.responders),
        },
        "times": {
            "started_at": _iso(incident.started_at),
            "detected_at": _iso(incident.detected_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "resolved_at": _iso(incident.resolved_at),
        },
        "durations": [
            {
                "key": "time_to_detect",
                "label": "Time to detect",
                "seconds": ttd,
                "text": format_duration(ttd),
            },
            {
                "key": "time_to_acknowledge",
                "label": "Time to acknowledge",
                "seconds": tta,
                "text": format_duration(tta),
            },
            {
                "key": "time_to_resolve",
                "label": "Time to resolve",
                "seconds": ttr,
                "text": format_duration(ttr),
            },
        ],
        "alerts": [
            {
                "name": a.name,
                "severity": a.severity,
                "status": a.status,
                "starts_at": _iso(a.starts_at),
                "ends_at": _iso(a.ends_at),
                "summary": a.summary,
            }
            for a in sorted(alerts, key=lambda a: a.starts_at)
        ],
        "timeline": [
            {"at": _iso(e.at), "kind": e.kind, "actor": e.actor, "text": e.text, "pinned": e.pinned}
            for e in select_timeline(entries)
        ],
        "budget_impact": [
            {
                "slo": i.slo,
                "service": i.service,
                "fraction": i.fraction,
                "window": i.window,
                "remaining_minutes": i.remaining_minutes,
                "remaining_fraction": i.remaining_fraction,
                "remaining_bad": i.remaining_bad,
                "method": i.method,
                "text": impact_text(i),
                "burn": [[_iso(at), value] for at, value in i.burn],
            }
            for i in impacts
        ],
    }


def largest_budget_fraction(facts: dict[str, Any]) -> float:
    """The largest share of any SLO's window budget the incident spent (0 when unknown)."""
    return max((float(i.get("fraction") or 0) for i in facts.get("budget_impact", [])), default=0.0)


def default_summary(facts: dict[str, Any]) -> str:
    """A first sentence for the summary, from the facts (people then write the rest)."""
    inc = facts["incident"]
    services = ", ".join(inc["services"]) or "no service recorded"
    ttr = next(d for d in facts["durations"] if d["key"] == "time_to_resolve")["text"]
    return (
        f"{inc['reference']} ({inc['severity']}, {services}): {inc['title']}. "
        f"Resolved after {ttr}.\n"
    )
