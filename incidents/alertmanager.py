"""Parse and validate Alertmanager webhook payloads (version 4); imports no Django."""

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

FIRING = "firing"
RESOLVED = "resolved"

# Bounds on what a sender's values become in Keel. A value kept in a JSON column (labels,
# annotations) or a text column (group key, generator URL) is kept whole: the body-size
# limit bounds it. A value that lands in a column of fixed width is refused with a message
# naming the field when it identifies something (a fingerprint), or cut with a note when it
# only names something (a title, a service discovered from a label).
FINGERPRINT_MAX = 64
TITLE_MAX = 300
SERVICE_NAME_MAX = 200
TRUNCATED_ALERTS_MAX = 2**31 - 1
# Keel's sane range of dates: an alert outside it is a sender's bug, not an event.
YEAR_MIN = 1970
YEAR_MAX = 2200
ELLIPSIS = "…"

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


class PayloadError(ValueError):
    """The body is not an Alertmanager v4 webhook payload; the message says why."""


@dataclass(frozen=True)
class ParsedAlert:
    """One alert instance, identified by (fingerprint, starts_at)."""

    fingerprint: str
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str

    @property
    def is_firing(self) -> bool:
        return self.status == FIRING


@dataclass(frozen=True)
class Notification:
    """One webhook notification: an alert group and the alerts sent with it."""

    receiver: str
    status: str
    group_key: str
    group_labels: dict[str, str]
    common_labels: dict[str, str]
    common_annotations: dict[str, str]
    external_url: str
    truncated_alerts: int
    alerts: tuple[ParsedAlert, ...]


def parse_timestamp(value: Any, where: str) -> datetime | None:
    """An RFC 3339 timestamp with up to nanosecond precision, as an aware UTC datetime.

    Go's zero time (`0001-01-01T00:00:00Z`), which Alertmanager sends as the `endsAt` of a
    firing alert, means "no time" and becomes None.
    """
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be an RFC 3339 timestamp string.")
    match = _TIMESTAMP.match(value)
    if match is None:
        raise PayloadError(f"{where} is not an RFC 3339 timestamp: {value[:40]!r}.")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zulu, sign, off_h, off_m = match.groups()[6:]
    if year <= 1:
        return None
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise PayloadError(f"{where} must be between the years {YEAR_MIN} and {YEAR_MAX}.")
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        if zulu:
            tz = UTC
        else:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            tz = timezone(-offset if sign == "-" else offset)
        return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise PayloadError(f"{where} is not a valid date: {value[:40]!r}.") from exc


def clip(text: str, limit: int) -> str:
    """`text` whole if it fits in `limit` characters, else its start ending in an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _unpaired_surrogate(text: str) -> bool:
    """`"\\ud800"` is a valid JSON escape but not text: PostgreSQL refuses to store it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _string_map(value: Any, where: str, *, required: bool = False) -> dict[str, str]:
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object of strings.")
    for key, item in value.items():
        if not isinstance(item, str):
            raise PayloadError(f"{where}.{key} must be a string.")
        if "\x00" in key or "\x00" in item:
            raise PayloadError(f"{where} must not contain NUL characters.")
        if _unpaired_surrogate(key) or _unpaired_surrogate(item):
            raise PayloadError(f"{where} must not contain unpaired UTF-16 surrogates.")
    return dict(value)


def _string(value: Any, where: str, *, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise PayloadError(f"{where} must be a string.")
    if "\x00" in value:
        raise PayloadError(f"{where} must not contain NUL characters.")
    if _unpaired_surrogate(value):
        raise PayloadError(f"{where} must not contain unpaired UTF-16 surrogates.")
    return value


def label_fingerprint(labels: dict[str, str]) -> str:
    """A stable fingerprint for senders that omit one (Alertmanager always sends its own)."""
    canonical = json.dumps(labels, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _parse_alert(raw: Any, where: str) -> ParsedAlert:
    if not isinstance(raw, dict):
        raise PayloadError(f"{where} must be an object.")
    labels = _string_map(raw.get("labels"), f"{where}.labels", required=True)
    if not labels:
        raise PayloadError(f"{where}.labels must have at least one label.")
    status = raw.get("status")
    if status not in (FIRING, RESOLVED):
        raise PayloadError(f"{where}.status must be 'firing' or 'resolved'.")
    starts_at = parse_timestamp(raw.get("startsAt"), f"{where}.startsAt")
    if starts_at is None:
        raise PayloadError(f"{where}.startsAt must be a real time, not the zero time.")
    ends_at = None
    if status == RESOLVED:
        ends_at = parse_timestamp(raw.get("endsAt"), f"{where}.endsAt")
        if ends_at is None:
            raise PayloadError(f"{where}.endsAt must be set on a resolved alert.")
    fingerprint = _string(raw.get("fingerprint"), f"{where}.fingerprint", default="")
    if len(fingerprint) > FINGERPRINT_MAX:
        raise PayloadError(f"{where}.fingerprint is longer than {FINGERPRINT_MAX} characters.")
    return ParsedAlert(
        fingerprint=fingerprint or label_fingerprint(labels),
        status=status,
        labels=labels,
        annotations=_string_map(raw.get("annotations"), f"{where}.annotations"),
        starts_at=starts_at,
        ends_at=ends_at,
        generator_url=_string(raw.get("generatorURL"), f"{where}.generatorURL", default=""),
    )


def parse(body: bytes | str) -> Notification:
    """Validate a webhook body and return its notification, or raise PayloadError."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise PayloadError("The body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise PayloadError("The body must be a JSON object.")
    if data.get("version") != "4":
        raise PayloadError('Only Alertmanager webhook payloads with "version": "4" are accepted.')
    group_key = _string(data.get("groupKey"), "groupKey")
    raw_alerts = data.get("alerts")
    if not isinstance(raw_alerts, list):
        raise PayloadError("alerts must be a list.")
    truncated = data.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise PayloadError("truncatedAlerts must be a non-negative integer.")
    if truncated > TRUNCATED_ALERTS_MAX:
        raise PayloadError(f"truncatedAlerts must be at most {TRUNCATED_ALERTS_MAX}.")
    # The same alert twice in one body: the later copy wins.
    alerts: dict[tuple[str, datetime], ParsedAlert] = {}
    for index, raw in enumerate(raw_alerts):
        alert = _parse_alert(raw, f"alerts[{index}]")
        alerts[(alert.fingerprint, alert.starts_at)] = alert
    status = data.get("status", FIRING)
    if status not in (FIRING, RESOLVED):
        raise PayloadError("status must be 'firing' or 'resolved'.")
    return Notification(
        receiver=_string(data.get("receiver"), "receiver", default=""),
        status=status,
        group_key=group_key,
        group_labels=_string_map(data.get("groupLabels"), "groupLabels"),
        common_labels=_string_map(data.get("commonLabels"), "commonLabels"),
        common_annotations=_string_map(data.get("commonAnnotations"), "commonAnnotations"),
        external_url=_string(data.get("externalURL"), "externalURL", default=""),
        truncated_alerts=truncated,
        alerts=tuple(alerts.values()),
    )


def group_hash(group_key: str) -> str:
    """A fixed-length key for an alert group (group keys can be longer than an index allows)."""
    return hashlib.sha256(group_key.encode()).hexdigest()


def service_name(label_value: str) -> str:
    """The name of a service discovered from a label value (cut to fit, with an ellipsis)."""
    return clip(label_value.strip(), SERVICE_NAME_MAX)


def incident_title(notification: Notification, limit: int = TITLE_MAX) -> str:
    """A readable incident title: the common summary, else the alert name and group labels."""
    summary = notification.common_annotations.get("summary", "").strip()
    if summary:
        return clip(summary, limit)
    name = notification.common_labels.get("alertname") or notification.group_labels.get(
        "alertname", ""
    )
    if not name and notification.alerts:
        name = notification.alerts[0].labels.get("alertname", "")
    extra = ", ".join(
        f"{key}={value}"
        for key, value in sorted(notification.group_labels.items())
        if key != "alertname"
    )
    title = " ".join(part for part in (name, f"({extra})" if extra else "") if part)
    return clip(title or "Alert group", limit)
