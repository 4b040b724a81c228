"""Time zone names the UI offers (pure; no Django)."""

import functools
import zoneinfo


@functools.cache
def available() -> frozenset[str]:
    """Every IANA zone name this system knows."""
    return frozenset(zoneinfo.available_timezones())


def choices() -> list[tuple[str, str]]:
    """Zones for a select box: UTC first, then alphabetical."""
    names = sorted(n for n in available() if "/" in n and not n.startswith(("Etc/", "SystemV/")))
    return [("UTC", "UTC"), *((n, n.replace("_", " ")) for n in names)]
