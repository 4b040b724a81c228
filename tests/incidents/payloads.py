"""Alertmanager v4 webhook bodies shaped like the real thing (see docs/alertmanager.md)."""

import json
from datetime import UTC, datetime
from typing import Any

ZERO_TIME = "0001-01-01T00:00:00Z"


def ts(value: datetime) -> str:
    """Alertmanager's timestamp form: RFC 3339, UTC, fractional seconds when present."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert(
    *,
    fingerprint: str = "7d2d332feada5c59",
    alertname: str = "HighErrorRate",
    service: str | None = "checkout",
    severity: str = "critical",
    status: str = "firing",
    starts_at: str = "2026-11-21T16:25:35.169831Z",
    ends_at: str | None = None,
    generator_url: str = "http://prometheus:9090/graph?g0.expr=rate",
    annotations: dict[str, str] | None = None,
    extra_labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    labels = {"alertname": alertname, "severity": severity, **(extra_labels or {})}
    if service is not None:
        labels["service"] = service
    return {
        "status": status,
        "labels": labels,
        "annotations": annotations
        if annotations is not None
        else {
            "summary": "5xx rate above threshold",
            "runbook_url": "https://runbooks.example/checkout-5xx",
        },
        "startsAt": starts_at,
        "endsAt": ends_at if ends_at is not None else ZERO_TIME,
        "generatorURL": generator_url,
        "fingerprint": fingerprint,
    }


def notification(
    alerts: list[dict[str, Any]],
    *,
    group_labels: dict[str, str] | None = None,
    truncated: int = 0,
    status: str | None = None,
) -> dict[str, Any]:
    group_labels = group_labels or {"alertname": "HighErrorRate", "service": "checkout"}
    common = dict(alerts[0]["labels"]) if alerts else {}
    for other in alerts[1:]:
        common = {k: v for k, v in common.items() if other["labels"].get(k) == v}
    group_key = "{}:{" + ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items())) + "}"
    return {
        "receiver": "keel",
        "status": status
        or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved"),
        "alerts": alerts,
        "groupLabels": group_labels,
        "commonLabels": common,
        "commonAnnotations": {"summary": "5xx rate above threshold"} if alerts else {},
        "externalURL": "http://alertmanager:9093",
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": truncated,
    }


def body(payload: dict[str, Any]) -> bytes:
    """Serialize as Alertmanager does, escaping <, > and & as \\u003c, \\u003e, \\u0026."""
    text = json.dumps(payload)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()
