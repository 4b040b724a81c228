"""Charts as inline SVG strings, so the page and the PDF draw the same thing (pure).

Every text that reaches the SVG is escaped; the output is safe to mark as HTML.
"""

from collections.abc import Sequence
from datetime import datetime
from html import escape
from typing import Any

from core import charts

WIDTH = 640
PALETTE = charts.BURN_DOWN_PALETTE


def _svg(height: int, body: list[str], label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(label)}" class="chart">'
        f"<title>{escape(label)}</title>" + "".join(body) + "</svg>"
    )


def durations_chart(durations: Sequence[dict[str, Any]]) -> str:
    """Horizontal bars: time to detect, acknowledge and resolve."""
    known = [d for d in durations if d.get("seconds") is not None]
    if not known:
        return ""
    longest = max(float(d["seconds"]) for d in known) or 1.0
    left, bar_h, gap = 170, 22, 12
    height = 20 + len(durations) * (bar_h + gap)
    body: list[str] = []
    for i, d in enumerate(durations):
        y = 10 + i * (bar_h + gap)
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(str(d['label']))}</text>"
        )
        if d.get("seconds") is None:
            body.append(f'<text x="{left}" y="{y + 15}" font-size="12">unknown</text>')
            continue
        w = max(2.0, (WIDTH - left - 110) * float(d["seconds"]) / longest)
        color = PALETTE[i % len(PALETTE)]
        body.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{color}"/>')
        body.append(
            f'<text x="{left + w + 6:.1f}" y="{y + 15}" font-size="12">'
            f"{escape(str(d['text']))}</text>"
        )
    return _svg(height, body, "Time to detect, acknowledge and resolve")


def activity_chart(timeline: Sequence[dict[str, Any]], *, buckets: int = 24) -> str:
    """Timeline activity: entries per slice of the incident, as columns."""
    times = [datetime.fromisoformat(e["at"]) for e in timeline if e.get("at")]
    if len(times) < 2:
        return ""
    start, end = min(times), max(times)
    span = (end - start).total_seconds() or 1.0
    counts = [0] * buckets
    for t in times:
        counts[min(buckets - 1, int((t - start).total_seconds() / span * buckets))] += 1
    top = max(counts)
    left, bottom, height = 40, 150, 180
    col = (WIDTH - left - 10) / buckets
    body = [
        f'<line x1="{left}" y1="{bottom}" x2="{WIDTH - 10}" y2="{bottom}" stroke="#555"/>',
        f'<text x="{left - 6}" y="{bottom - 116}" text-anchor="end" font-size="11">{top}</text>',
        f'<text x="{left}" y="{bottom + 16}" font-size="11">{start:%H:%M}</text>',
        f'<text x="{WIDTH - 10}" y="{bottom + 16}" text-anchor="end" font-size="11">'
        f"{end:%H:%M} UTC</text>",
    ]
    for i, c in enumerate(counts):
        if c:
            h = 120 * c / top
            body.append(
                f'<rect x="{left + i * col + 1:.1f}" y="{bottom - h:.1f}" width="{col - 2:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[0]}"/>'
            )
    return _svg(height, body, "Timeline activity over the incident")


def _points(burn: Sequence[Sequence[Any]]) -> list[tuple[datetime, float | None]]:
    return [(datetime.fromisoformat(at), None if v is None else float(v)) for at, v in burn]


def burn_down_chart(
    impacts: Sequence[dict[str, Any]],
    *,
    incident: tuple[datetime | None, datetime | None] | None = None,
) -> str:
    """Error budget remaining around the incident, one line per SLO (from the facts'
    `budget_impact`), with the incident's period shaded; empty without two points."""
    started, ended = incident or (None, None)
    return charts.burn_down(
        title="Error budget remaining around the incident",
        series=[charts.TimeSeries(str(i["slo"]), _points(i.get("burn", []))) for i in impacts],
        period=(started, ended) if started is not None else None,
        period_label="incident",
    )
