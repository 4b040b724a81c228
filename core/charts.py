"""Server-side SVG charts (pure; no Django): a line chart over labelled points and a
burn-down of budget remaining over time, and the pieces both draw with. The same SVG goes
into web pages and PDFs; every text that reaches it is escaped."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape as escape_attribute
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


def svg_open(width: int, height: int, title: str, desc: str, css: str = "chart") -> list[str]:
    """The opening of a fixed-size chart, with its title and description for screen
    readers."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" class="{css}" '
        f'font-family="sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(desc or 'No data')}</desc>",
    ]


def runs(points: Sequence[tuple[float, float] | None]) -> list[list[str]]:
    """The unbroken runs of points ("x,y"), split where a point is missing (None)."""
    found: list[list[str]] = [[]]
    for point in points:
        if point is None:
            if found[-1]:
                found.append([])
            continue
        found[-1].append(f"{point[0]:.1f},{point[1]:.1f}")
    return [run for run in found if run]


def x_labels(labels: Sequence[str], x_at: Callable[[int], float], y: float) -> list[str]:
    """Labels under the x axis: all of them, or every n-th so that about eight show."""
    every = max(1, max(len(labels), 1) // 8)
    return [
        f'<text x="{x_at(i):.1f}" y="{y}" text-anchor="middle" fill="#444">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % every == 0
    ]


def nice_ceiling(value: float) -> float:
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


def duration_ceiling(value: float, ticks: int = 4) -> float:
    """The top of a duration axis of `ticks` equal steps, each a round duration."""
    for step in DURATION_STEPS:
        if step * ticks >= value:
            return float(step * ticks)
    return nice_ceiling(value)


def marker(kind: str, x: float, y: float, color: str) -> str:
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


def _format_number(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    format_value: Callable[[float | None], str] = _format_number,
    y_ceiling: Callable[[float], float] = nice_ceiling,
    width: int = 640,
    height: int = 260,
) -> str:
    """An accessible SVG line chart of one or more series from 0 up: title and description
    for screen readers, a legend, y gridlines with formatted values, and a marker on every
    known point."""
    left, right, top, bottom = 56, 16, 28, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for s in series for v in s.values if v is not None]
    y_max = y_ceiling(max(known)) if known else 1.0
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
    parts = svg_open(width, height, title, desc)
    parts.append(
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
    )
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
    parts += x_labels(labels, x_at, top + plot_h + 16)
    if not known:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" '
            f'text-anchor="middle" fill="#444">No data in this period</text>'
        )
    for index, line in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        dash = DASHES[index % len(DASHES)]
        shape = MARKERS[index % len(MARKERS)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        points = [None if v is None else (x_at(i), y_at(v)) for i, v in enumerate(line.values)]
        for run in runs(points):
            parts.append(
                f'<polyline fill="none" stroke="{color}" stroke-width="2"{dash_attr} '
                f'points="{" ".join(run)}"/>'
            )
        for i, point in enumerate(line.values):
            if point is not None:
                parts.append(
                    f"<g><title>{escape(f'{line.name}, {labels[i]}: {format_value(point)}')}"
                    f"</title>{marker(shape, x_at(i), y_at(point), color)}</g>"
                )
        lx = left + (index % 4) * (plot_w / 4)
        ly = height - 22 + (index // 4) * 14
        parts.append(
            f'<line x1="{lx:.1f}" x2="{lx + 18:.1f}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="2"{dash_attr}/>'
            + marker(shape, lx + 9, ly - 4, color)
            + f'<text x="{lx + 24:.1f}" y="{ly}">{escape(line.name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class TimeSeries:
    """One burn-down line: a name and (time, share remaining or None for a gap) points."""

    name: str
    points: Sequence[tuple[datetime, float | None]]


BURN_DOWN_PALETTE = ("#2563eb", "#d97706", "#059669", "#dc2626", "#7c3aed", "#0891b2")


def burn_down(
    *,
    title: str,
    series: Sequence[TimeSeries],
    period: tuple[datetime, datetime | None] | None = None,
    period_label: str = "",
    width: int = 640,
) -> str:
    """Budget remaining over time, one line per series, from 100% down to 0%; `period`
    (its end None for still open) is shaded. The drawing stays within 0 to 100% (an
    overspent budget sits on the 0% line; the figures in the text are not clamped); gaps
    without data break the line. Empty when no series has two known points."""
    series = [s for s in series if sum(v is not None for _, v in s.points) >= 2]
    if not series:
        return ""
    t0 = min(p[0] for s in series for p in s.points)
    t1 = max(p[0] for s in series for p in s.points)
    span = (t1 - t0).total_seconds() or 1.0
    left, top, plot_h, plot_w = 50, 10, 160, width - 60
    height = top + plot_h + 30 + 16 * len(series)

    def x_at(t: datetime) -> float:
        return left + plot_w * max(0.0, min(1.0, (t - t0).total_seconds() / span))

    body: list[str] = []
    if period is not None:
        x0, x1 = x_at(period[0]), x_at(period[1] or t1)
        body.append(
            f'<rect x="{x0:.1f}" y="{top}" width="{max(1.0, x1 - x0):.1f}" height="{plot_h}" '
            'fill="#fde2e1" class="incident-window"/>'
            f'<text x="{(x0 + x1) / 2:.1f}" y="{top + 12}" text-anchor="middle" '
            f'font-size="10" fill="#b42318">{escape_attribute(period_label)}</text>'
        )
    body += [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#555"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#555"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">100%</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11">0%</text>',
        f'<text x="{left}" y="{top + plot_h + 14}" font-size="11">{t0:%b %d %H:%M}</text>',
        f'<text x="{left + plot_w}" y="{top + plot_h + 14}" text-anchor="end" font-size="11">'
        f"{t1:%b %d %H:%M} UTC</text>",
    ]
    for n, line in enumerate(series):
        color = BURN_DOWN_PALETTE[n % len(BURN_DOWN_PALETTE)]
        points = [
            None if v is None else (x_at(t), top + plot_h * (1 - max(0.0, min(1.0, v))))
            for t, v in line.points
        ]
        for run in runs(points):
            if len(run) >= 2:
                body.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" '
                    'stroke-width="2"/>'
                )
        y = top + plot_h + 30 + 16 * n
        body.append(f'<rect x="{left}" y="{y - 9}" width="10" height="10" fill="{color}"/>')
        body.append(
            f'<text x="{left + 16}" y="{y}" font-size="11">{escape_attribute(line.name)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape_attribute(title)}" class="chart">'
        f"<title>{escape_attribute(title)}</title>" + "".join(body) + "</svg>"
    )
