"""Server-side SVG for budgets: the window's burn-down and burn rate over labelled points
(negative when overspent, with guide lines), the gauge and the sparkline (pure; no Django).
The drawing pieces are core.charts'."""

from collections.abc import Sequence
from xml.sax.saxutils import escape

from core.charts import runs, x_labels
from core.charts import svg_open as _svg_open

BLUE, ORANGE, RED, GREEN, GREY = "#0072B2", "#D55E00", "#B42318", "#009E73", "#8c959f"


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    unit: str = "%",
    guides: Sequence[tuple[float, str]] = (),
    floor: float | None = None,
    width: int = 640,
    height: int = 240,
) -> str:
    """One line over labelled points, with horizontal guides (e.g. the 0% line or an alert
    factor); handles negative values (an overspent budget) and gaps (None)."""
    left, right, top, bottom = 56, 16, 28, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    known = [v for v in values if v is not None]
    candidates = known + [g for g, _ in guides]
    low = min([*candidates, floor if floor is not None else 0.0]) if candidates else 0.0
    high = max([*candidates, 0.0]) if candidates else 1.0
    if high - low < 1e-9:
        high = low + 1
    span = high - low
    low, high = low - span * 0.05, high + span * 0.05
    n = max(len(values), 1)

    def x_at(i: int) -> float:
        return left + plot_w * (i + 0.5) / n

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * (v - low) / (high - low)

    desc = ", ".join(
        f"{lab} {'no data' if v is None else f'{v:.1f}{unit}'}"
        for lab, v in zip(labels, values, strict=False)
    )
    parts = _svg_open(width, height, title, desc)
    parts.append(
        f'<text x="{left}" y="16" font-size="13" font-weight="bold">{escape(title)}</text>'
    )
    for step in range(5):
        tick: float = low + (high - low) * step / 4
        y = y_at(tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eaeef2"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#444">'
            f"{tick:.0f}{escape(unit)}</text>"
        )
    for guide, label in guides:
        y = y_at(guide)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{RED}" stroke-dasharray="5 3"/>'
            f'<text x="{width - right}" y="{y - 3:.1f}" text-anchor="end" fill="{RED}">'
            f"{escape(label)}</text>"
        )
    parts += x_labels(labels, x_at, top + plot_h + 16)
    points = [None if v is None else (x_at(i), y_at(v)) for i, v in enumerate(values)]
    parts += [_polyline(run) for run in runs(points) if len(run) > 1]
    for i, value in enumerate(values):
        if value is not None:
            parts.append(
                f'<circle cx="{x_at(i):.1f}" cy="{y_at(value):.1f}" r="2.5" fill="{BLUE}"/>'
            )
    if not known:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" '
            f'fill="#444">No data</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _polyline(points: list[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{BLUE}" stroke-width="2"/>'


def gauge(remaining: float | None, *, width: int = 120, height: int = 14) -> str:
    """A bar of the remaining budget; the number itself is shown next to it, unclamped."""
    if remaining is None:
        return (
            "".join(_svg_open(width, height, "Budget remaining: no data", "", "gauge"))
            + f'<rect width="{width}" height="{height}" fill="#eaeef2"/></svg>'
        )
    share = min(max(remaining, 0.0), 1.0)
    color = GREEN if remaining > 0.5 else ORANGE if remaining >= 0.05 else RED
    return (
        "".join(_svg_open(width, height, f"Budget remaining {remaining * 100:.1f}%", "", "gauge"))
        + f'<rect width="{width}" height="{height}" fill="#eaeef2" rx="3"/>'
        + f'<rect width="{width * share:.1f}" height="{height}" fill="{color}" rx="3"/></svg>'
    )


def sparkline(values: Sequence[float], *, width: int = 120, height: int = 24) -> str:
    """Recent remaining-budget values as a tiny line."""
    if len(values) < 2:
        return ""
    low, high = min([*values, 0.0]), max([*values, 1.0])
    span = high - low or 1.0
    step = width / (len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (height - 4) * (v - low) / span:.1f}"
        for i, v in enumerate(values)
    )
    desc = f"from {values[0] * 100:.1f}% to {values[-1] * 100:.1f}%"
    return (
        "".join(_svg_open(width, height, "Budget remaining, recent hours", desc, "sparkline"))
        + f'<polyline points="{points}" fill="none" stroke="{BLUE}" stroke-width="1.5"/></svg>'
    )
