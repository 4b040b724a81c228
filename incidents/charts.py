"""Small server-side SVG charts (pure; no Django), the same in web pages and PDFs."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

# Distinguishable for colour-blind readers (Okabe-Ito); each series also gets its own
# marker shape and dash, so colour is never the only signal.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2", "10 4")
MARKERS = ("circle", "square", "triangle", "diamond", "circle", "square")


@dataclass(frozen=True)
class Series:
    """One line: a name and a value (or None for a gap) per x label."""

    name: str
    values: Sequence[float | None]


def human_duration(seconds: float | None) -> str:
    """Seconds as a short human duration: 45s, 12m, 3.5h, 2.1d."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 86400:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


def _nice_ceiling(value: float) -> float:
    """A round number at or above value (1, 2, 2.5 or 5 times a power of ten)."""
    if value <= 0:
        return 1.0
    power = 1.0
    while power * 10 <= value:
        power *= 10
    while power > value:
        power /= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


# Axis steps that read well as durations: seconds, minutes, hours, days.
DURATION_STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 172800, 604800, 1209600, 2592000,
)  # fmt: skip


def _duration_ceiling(value: float, ticks: int = 4) -> float:
    """The top of a duration axis of `ticks` equal steps, each a round duration."""
    for step in DURATION_STEPS:
        if step * ticks >= value:
            return float(step * ticks)
    return _nice_ceiling(value)


def _marker(kind: str, x: float, y: float, color: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" fill="{color}"/>'
    if kind == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 4:.1f} {x - 4:.1f},{y + 3:.1f} '
            f'{x + 4:.1f},{y + 3:.1f}" fill="{color}"/>'
        )
    if kind == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 4:.1f} {x + 4:.1f},{y:.1f} {x:.1f},{y + 4:.1f} '
            f'{x - 4:.1f},{y:.1f}" fill="{color}"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>'


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    format_value: Callable[[float | None], str] = human_duration,
    duration_axis: bool = True,
    width: int = 640,
    height: int = 260,
) -> str:
    """An accessible SVG line chart: title and description for screen readers, a legend,
    y gridlines with formatted values, and a marker on every known point."""
    left, right, top, bottom = 56, 16, 28, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for s in series for v in s.values if v is not None]
    top_value = max(known) if known else 0.0
    y_max = (_duration_ceiling if duration_axis else _nice_ceiling)(top_value) if known else 1.0
    n = max(len(labels), 1)

    def x_at(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    desc = "; ".join(
        f"{s.name}: "
        + ", ".join(f"{lab} {format_value(v)}" for lab, v in zip(labels, s.values, strict=False))
        for s in series
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="chart" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc or 'No data')}</desc>",
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    for step in range(5):
        tick = y_max * step / 4
        y = y_at(tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>'
        )
        if not known:
            continue
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{escape(format_value(tick))}</text>"
        )
    every = max(1, n // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{x_at(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                f'fill="#444">{escape(label)}</text>'
            )
    if not known:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
            f'text-anchor="middle" fill="#444">No data in this period</text>'
        )
    for index, line in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        marker = MARKERS[index % len(MARKERS)]
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, point in enumerate(line.values):
            if point is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{x_at(i):.1f},{y_at(point):.1f}")
        if segment:
            segments.append(segment)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for points in segments:
            parts.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash_attr} '
                f'points="{" ".join(points)}"/>'
            )
        for i, point in enumerate(line.values):
            if point is not None:
                parts.append(
                    f"<g><title>{escape(f'{line.name}, {labels[i]}: {format_value(point)}')}"
                    f"</title>{_marker(marker, x_at(i), y_at(point), color)}</g>"
                )
        lx = left + (index % 4) * (plot_w / 4)
        ly = height - 22 + (index // 4) * 14
        parts.append(
            f'<line x1="{lx:.1f}" x2="{lx + 18:.1f}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="2"{dash_attr}/>'
            + _marker(marker, lx + 9, ly - 4, color)
            + f'<text x="{lx + 24:.1f}" y="{ly}">{escape(line.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
