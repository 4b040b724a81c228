"""A small Prometheus HTTP API client: instant and range queries with timeouts.

"No data" (an empty result) is `None`, never 0; NaN and infinities are errors, as are
unreachable servers and error responses, each with a message a person can act on.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

WINDOW_PLACEHOLDER = "{{.window}}"
SECONDS_PLACEHOLDER = "{{.seconds}}"


class PrometheusError(Exception):
    """A query that could not be answered: unreachable, refused, malformed or not a number."""


@dataclass(frozen=True)
class Sample:
    value: Fraction
    at: datetime


def _number(text: str, query: str) -> Fraction:
    value = float(text)
    if not math.isfinite(value):
        raise PrometheusError(f"query returned {text}: {query}")
    return Fraction(Decimal(text))


class PrometheusClient:
    def __init__(self, base_url: str, *, timeout: float = 5.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise PrometheusError(f"Prometheus URL {base_url!r} is not an http(s) URL")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, params: dict[str, str]) -> dict[str, object]:
        url = f"{self.base_url}{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                detail = json.loads(body).get("error", "")
            except (ValueError, AttributeError):
                detail = body[:200].decode("utf-8", "replace")
            raise PrometheusError(f"Prometheus answered {error.code}: {detail}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PrometheusError(
                f"Prometheus at {self.base_url} is unreachable: {reason}"
            ) from error
        try:
            payload = json.loads(body)
        except ValueError as error:
            raise PrometheusError("Prometheus answered with something that is not JSON") from error
        if not isinstance(payload, dict) or payload.get("status") != "success":
            detail = payload.get("error") if isinstance(payload, dict) else ""
            raise PrometheusError(f"Prometheus query failed: {detail}")
        data = payload.get("data")
        if not isinstance(data, dict):
            raise PrometheusError("Prometheus answered without data")
        return data

    def instant(self, query: str, *, at: datetime) -> Sample | None:
        """The sum of an instant vector (or a scalar) at `at`; None when there is no series."""
        data = self._get("/api/v1/query", {"query": query, "time": f"{at.timestamp():.3f}"})
        kind = data.get("resultType")
        result = data.get("result")
        if kind == "scalar" and isinstance(result, list):
            return Sample(_number(str(result[1]), query), at)
        if kind != "vector" or not isinstance(result, list):
            raise PrometheusError(f"expected an instant vector, got {kind}: {query}")
        if not result:
            return None
        total = Fraction(0)
        for series in result:
            total += _number(str(series["value"][1]), query)
        return Sample(total, at)

    def range(
        self, query: str, *, start: datetime, end: datetime, step_seconds: int
    ) -> list[tuple[datetime, Fraction]]:
        """A range query summed over series: [(timestamp, value)], steps without data left out."""
        data = self._get(
            "/api/v1/query_range",
            {
                "query": query,
                "start": f"{start.timestamp():.3f}",
                "end": f"{end.timestamp():.3f}",
                "step": str(step_seconds),
            },
        )
        result = data.get("result")
        if data.get("resultType") != "matrix" or not isinstance(result, list):
            raise PrometheusError(f"expected a range vector: {query}")
        sums: dict[float, Fraction] = {}
        for series in result:
            for ts, text in series["values"]:
                value = float(text)
                if not math.isfinite(value):
                    continue
                sums[float(ts)] = sums.get(float(ts), Fraction(0)) + Fraction(Decimal(text))
        tz = start.tzinfo
        return [(datetime.fromtimestamp(ts, tz), value) for ts, value in sorted(sums.items())]


def lookback_text(seconds: int | Fraction) -> str:
    """A lookback as PromQL writes it: `300s`, or `833600ms` for a period that does not end
    on a whole second (milliseconds are Prometheus's finest unit)."""
    value = Fraction(seconds)
    if value.denominator == 1:
        return f"{value.numerator}s"
    return f"{round(value * 1000)}ms"


def window_query(template: str, seconds: int | Fraction) -> tuple[str, int | Fraction]:
    """The PromQL for events over the last `seconds`, and the factor that turns its value into
    a count. `{{.window}}` becomes the lookback (`300s`) and `{{.seconds}}` its length in
    seconds; a template of rates (without `{{.seconds}}`) is multiplied by the seconds; a bare
    counter selector is wrapped in `sum(increase(...[Ns]))`. Seconds need not be whole."""
    lookback = lookback_text(seconds)
    exact = Fraction(seconds)
    if exact.denominator == 1:
        number = str(exact.numerator)
    else:
        seconds = Fraction(round(exact * 1000), 1000)
        number = str(Decimal(round(exact * 1000)) / 1000)
    if WINDOW_PLACEHOLDER in template or SECONDS_PLACEHOLDER in template:
        query = template.replace(WINDOW_PLACEHOLDER, lookback).replace(SECONDS_PLACEHOLDER, number)
        rates = "rate(" in template and "increase(" not in template
        scale = seconds if rates and SECONDS_PLACEHOLDER not in template else 1
        return query, scale
    return f"sum(increase({template.strip()}[{lookback}]))", 1
