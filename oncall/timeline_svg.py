"""Server-side SVG of a schedule: one row per layer, the overrides and the final schedule
(pure; no Django). Every bar carries its text, so colour is never the only signal."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from html import escape

PALETTE = ("#cfe3ff", "#ffe3b3", "#d5f5d5", "#f3d1f4", "#ffd6d6", "#d9f0f7", "#ece2c6", "#e0dcff")
LABEL_WIDTH = 150
ROW_HEIGHT = 30
WIDTH = 1000


Bar = tuple[datetime, datetime, int | str]  # from, until, who (a user id or a name)


@dataclass(frozen=True)
class Row:
    label: str
    bars: Sequence[Bar]


@dataclass(frozen=True)
class LayerBars:
    """One layer's coverage; None when the layer cannot be resolved (drawn empty)."""

    label: str
    bars: Sequence[Bar] | None


def schedule_rows(
    *, layers: Sequence[LayerBars], overrides: Sequence[Bar], final: Sequence[Bar]
) -> list[Row]:
    """The rows of a schedule's timeline: its layers top to bottom as given, then the
    overrides, then the final schedule that results."""
    rows = [
        Row(layer.label + (" (error)" if layer.bars is None else ""), layer.bars or [])
        for layer in layers
    ]
    rows.append(Row("Overrides", overrides))
    rows.append(Row("Final schedule", final))
    return rows


def people(rows: Iterable[Row]) -> set[int | str]:
    """Everyone the rows show, to look up the names to draw."""
    return {who for row in rows for _, _, who in row.bars}


def render(
    rows: Sequence[Row], start: datetime, end: datetime, names: Mapping[int | str, str], tz: tzinfo
) -> str:
    span = (end - start).total_seconds()
    plot = WIDTH - LABEL_WIDTH
    colours: dict[int | str, str] = {}

    def x(t: datetime) -> float:
        return LABEL_WIDTH + plot * max(0.0, min(1.0, (t - start).total_seconds() / span))

    height = 24 + ROW_HEIGHT * len(rows)
    first, last = start.astimezone(tz), end.astimezone(tz)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="Schedule from {first:%Y-%m-%d} to {last:%Y-%m-%d}" '
        'font-family="system-ui, sans-serif" font-size="11">'
    ]
    day = start.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    while day < end:
        if day >= start:
            px = x(day)
            parts.append(
                f'<line x1="{px:.1f}" y1="14" x2="{px:.1f}" y2="{height}" stroke="#d0d7de"/>'
            )
            parts.append(f'<text x="{px + 2:.1f}" y="11" fill="#57606a">{day:%a %d}</text>')
        day = (day + timedelta(days=1, hours=2)).replace(hour=0).astimezone(tz)
    for i, row in enumerate(rows):
        y = 18 + i * ROW_HEIGHT
        parts.append(f'<text x="4" y="{y + 17}" font-weight="600">{escape(row.label)}</text>')
        for s, e, who in row.bars:
            colour = colours.setdefault(who, PALETTE[len(colours) % len(PALETTE)])
            x1, x2 = x(s), x(e)
            name = escape(names.get(who, str(who)))
            title = f"{name}: {s.astimezone(tz):%a %d %b %H:%M} - {e.astimezone(tz):%a %d %b %H:%M}"
            parts.append(
                f'<g><title>{title}</title><rect x="{x1:.1f}" y="{y}" '
                f'width="{max(1.0, x2 - x1):.1f}" '
                f'height="{ROW_HEIGHT - 6}" rx="3" fill="{colour}" stroke="#8c959f"/>'
            )
            if x2 - x1 > 7 * len(name):
                parts.append(f'<text x="{x1 + 4:.1f}" y="{y + 16}" fill="#1b1f24">{name}</text>')
            parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)
