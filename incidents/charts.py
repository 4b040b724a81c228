"""Incident metrics as charts: durations per period on a duration axis (pure; no Django)."""

from collections.abc import Sequence

from core import charts
from core.charts import Series


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


def line_chart(*, title: str, labels: Sequence[str], series: Sequence[Series]) -> str:
    """Durations (time to acknowledge, to resolve...) per period, one line per statistic,
    on an axis of round durations."""
    return charts.line_chart(
        title=title,
        labels=labels,
        series=series,
        format_value=human_duration,
        y_ceiling=charts.duration_ceiling,
    )


__all__ = ["Series", "human_duration", "line_chart"]
