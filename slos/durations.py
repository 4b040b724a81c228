"""Durations as SLO files and Prometheus write them: `5m`, `1h`, `30d`, OpenSLO `1M` (pure)."""

from datetime import timedelta

_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "M": timedelta(days=30),
    "Q": timedelta(days=90),
    "y": timedelta(days=365),
    "Y": timedelta(days=365),
}


def parse_duration(text: str) -> timedelta:
    """`5m`, `1h`, `30d`, `4w`, OpenSLO `1M` (30 d), `1Q` (90 d), `1Y` (365 d); `1h30m`."""
    text = text.strip()
    if not text:
        raise ValueError("empty duration")
    total = timedelta(0)
    number = ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in _UNITS and number:
            total += int(number) * _UNITS[char]
            number = ""
        else:
            raise ValueError(f"{text!r} is not a duration like 5m, 1h or 30d")
    if number or total <= timedelta(0):
        raise ValueError(f"{text!r} is not a duration like 5m, 1h or 30d")
    return total


def duration_text(value: timedelta) -> str:
    """The shortest Prometheus duration for `value` (`30d`, `6h`, `5m`, `90s`)."""
    whole = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole and whole % size == 0:
            return f"{whole // size}{unit}"
    return f"{whole}s"
