"""The Alertmanager v4 payload parser: real payload shapes, rejections, and fuzzing."""

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents import alertmanager
from incidents.alertmanager import Notification, PayloadError, incident_title, parse
from tests.incidents import payloads

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _body(alert_list: list[Any] | None = None, **overrides: Any) -> bytes:
    """A real-looking body with these alerts (valid or not) and top-level fields replaced."""
    alert_list = alert_list if alert_list is not None else [payloads.alert()]
    shaped = [
        a
        for a in alert_list
        if isinstance(a, dict) and isinstance(a.get("labels"), dict) and "status" in a
    ]
    payload = payloads.notification(shaped, status="firing")
    payload["alerts"] = alert_list
    payload.update(overrides)
    return payloads.body(payload)


# --- Real payload shapes --------------------------------------------------------------


def test_the_documented_payload_parses_into_one_firing_alert():
    notification = parse(_body())

    assert notification.status == "firing"
    assert notification.receiver == "keel"
    assert notification.group_key == '{}:{alertname="HighErrorRate", service="checkout"}'
    assert notification.group_labels == {"alertname": "HighErrorRate", "service": "checkout"}
    assert notification.external_url == "http://alertmanager:9093"
    assert notification.truncated_alerts == 0
    [alert] = notification.alerts
    assert alert.fingerprint == "7d2d332feada5c59"
    assert alert.is_firing
    assert alert.labels == {
        "alertname": "HighErrorRate",
        "severity": "critical",
        "service": "checkout",
    }
    assert alert.annotations["runbook_url"] == "https://runbooks.example/checkout-5xx"
    assert alert.starts_at == datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)


def test_the_zero_end_time_of_a_firing_alert_means_no_end():
    [alert] = parse(_body([payloads.alert(ends_at="0001-01-01T00:00:00Z")])).alerts

    assert alert.ends_at is None


def test_an_empty_generator_url_is_accepted():
    [alert] = parse(_body([payloads.alert(generator_url="")])).alerts

    assert alert.generator_url == ""


def test_a_missing_generator_url_and_annotations_default_to_empty():
    raw = payloads.alert()
    del raw["generatorURL"]
    del raw["annotations"]

    [alert] = parse(_body([raw])).alerts

    assert alert.generator_url == ""
    assert alert.annotations == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-21T16:25:35.169831Z", datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)),
        # nanoseconds: kept to the microsecond, truncated (not rounded)
        ("2026-11-21T16:25:35.169831999Z", datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)),
        ("2026-11-21T16:25:35.568Z", datetime(2026, 11, 21, 16, 25, 35, 568000, tzinfo=UTC)),
        ("2026-11-21T16:25:35.5Z", datetime(2026, 11, 21, 16, 25, 35, 500000, tzinfo=UTC)),
        ("2026-11-21T16:25:35Z", datetime(2026, 11, 21, 16, 25, 35, tzinfo=UTC)),
        ("2026-11-21t16:25:35z", datetime(2026, 11, 21, 16, 25, 35, tzinfo=UTC)),
        ("2026-11-21T17:25:35+01:00", datetime(2026, 11, 21, 16, 25, 35, tzinfo=UTC)),
        ("2026-11-21T11:55:35.25-04:30", datetime(2026, 11, 21, 16, 25, 35, 250000, tzinfo=UTC)),
        # an offset that moves the date across midnight and a year boundary
        ("2027-01-01T05:00:00+09:00", datetime(2026, 12, 31, 20, 0, tzinfo=UTC)),
        ("2026-11-21T16:25:35+00:00", datetime(2026, 11, 21, 16, 25, 35, tzinfo=UTC)),
    ],
)
def test_timestamps_of_any_precision_and_offset_become_utc(text, expected):
    [alert] = parse(_body([payloads.alert(starts_at=text)])).alerts

    assert alert.starts_at == expected
    assert alert.starts_at.utcoffset() == timedelta(0)


def test_parse_timestamp_keeps_the_zone_out_of_the_result():
    parsed = alertmanager.parse_timestamp("2026-03-29T03:30:00+02:00", "startsAt")

    assert parsed == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert parsed.tzinfo == UTC


def test_a_partial_resolve_is_judged_per_alert_not_by_the_top_level_status():
    body = _body(
        [
            payloads.alert(fingerprint="aaaa000000000001"),
            payloads.alert(
                fingerprint="aaaa000000000002",
                status="resolved",
                ends_at="2026-11-21T16:40:00.000000001Z",
            ),
        ],
        status="firing",
    )

    notification = parse(body)

    assert notification.status == "firing"
    statuses = {a.fingerprint: (a.status, a.ends_at) for a in notification.alerts}
    assert statuses == {
        "aaaa000000000001": ("firing", None),
        "aaaa000000000002": ("resolved", datetime(2026, 11, 21, 16, 40, tzinfo=UTC)),
    }


def test_truncated_alerts_are_counted():
    notification = parse(_body(truncatedAlerts=17))

    assert notification.truncated_alerts == 17


def test_a_missing_truncated_alerts_counts_as_zero():
    payload = payloads.notification([payloads.alert()])
    del payload["truncatedAlerts"]

    assert parse(payloads.body(payload)).truncated_alerts == 0


def test_escaped_angle_brackets_and_ampersands_come_back_as_characters():
    annotations = {"summary": "p99 > 2s & errors < 1%", "description": "<b>checkout</b>"}
    body = _body([payloads.alert(annotations=annotations)])
    assert b"\\u003e" in body and b"\\u0026" in body and b"\\u003c" in body

    [alert] = parse(body).alerts

    assert alert.annotations == annotations


def test_unicode_labels_and_annotations_survive():
    raw = payloads.alert(extra_labels={"team": "zahlungsverkehr-ü"})
    raw["annotations"] = {"summary": "Störung beim Bezahlen 💳"}

    escaped = _body([raw])
    raw_utf8 = json.dumps(payloads.notification([raw]), ensure_ascii=False).encode()

    [alert] = parse(raw_utf8).alerts
    assert parse(escaped) == parse(raw_utf8)

    assert alert.labels["team"] == "zahlungsverkehr-ü"
    assert alert.annotations["summary"] == "Störung beim Bezahlen 💳"


def test_a_body_given_as_text_parses_like_bytes():
    body = _body()

    assert parse(body.decode()) == parse(body)


@pytest.mark.parametrize("fingerprint", [None, ""])
def test_a_missing_fingerprint_becomes_a_stable_label_fingerprint(fingerprint):
    first = payloads.alert(extra_labels={"instance": "web-1"})
    second = payloads.alert(extra_labels={"instance": "web-1"})
    # the same labels in another order
    second["labels"] = dict(reversed(list(second["labels"].items())))
    for raw in (first, second):
        if fingerprint is None:
            del raw["fingerprint"]
        else:
            raw["fingerprint"] = fingerprint

    [a] = parse(_body([first])).alerts
    [b] = parse(_body([second])).alerts

    assert a.fingerprint == b.fingerprint
    assert len(a.fingerprint) == 16
    assert a.fingerprint == alertmanager.label_fingerprint(first["labels"])


def test_different_label_sets_get_different_label_fingerprints():
    one = alertmanager.label_fingerprint({"alertname": "A", "instance": "web-1"})
    two = alertmanager.label_fingerprint({"alertname": "A", "instance": "web-2"})

    assert one != two


def test_the_same_alert_twice_in_one_body_counts_once_and_the_later_copy_wins():
    firing = payloads.alert()
    resolved = payloads.alert(status="resolved", ends_at="2026-11-21T16:40:00Z")

    notification = parse(_body([firing, resolved]))

    [alert] = notification.alerts
    assert alert.status == "resolved"
    assert alert.ends_at == datetime(2026, 11, 21, 16, 40, tzinfo=UTC)


def test_the_same_fingerprint_with_another_start_is_another_alert():
    notification = parse(
        _body(
            [
                payloads.alert(starts_at="2026-11-21T16:25:35Z"),
                payloads.alert(starts_at="2026-11-21T18:00:00Z"),
            ]
        )
    )

    assert len(notification.alerts) == 2
    assert len({a.fingerprint for a in notification.alerts}) == 1


def test_a_large_group_keeps_every_alert_in_order():
    alerts = [
        payloads.alert(fingerprint=f"{i:016x}", extra_labels={"instance": f"web-{i}"})
        for i in range(3000)
    ]

    notification = parse(_body(alerts))

    assert [a.fingerprint for a in notification.alerts] == [f"{i:016x}" for i in range(3000)]


def test_an_empty_alert_list_is_a_valid_notification():
    notification = parse(_body([]))

    assert notification.alerts == ()


def test_group_hash_is_fixed_length_and_stable():
    long_key = "{}:{" + ", ".join(f'l{i}="{"v" * 50}"' for i in range(200)) + "}"

    assert len(alertmanager.group_hash(long_key)) == 64
    assert alertmanager.group_hash(long_key) == alertmanager.group_hash(long_key)
    assert alertmanager.group_hash(long_key) != alertmanager.group_hash(long_key + " ")


# --- Rejections: the message names the field ---------------------------------------------


def _alert_with(**changes: Any) -> dict[str, Any]:
    raw = payloads.alert()
    for key, value in changes.items():
        if value is _DELETE:
            del raw[key]
        else:
            raw[key] = value
    return raw


_DELETE = object()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (_body(version="3"), '"version": "4"'),
        (_body(version=4), '"version": "4"'),
        (
            payloads.body({k: v for k, v in payloads.notification([]).items() if k != "version"}),
            '"version": "4"',
        ),
        (_body(groupKey=None), "groupKey"),
        (_body(groupKey=12), "groupKey"),
        (_body(alerts={"0": payloads.alert()}), "alerts must be a list"),
        (_body(alerts=None), "alerts must be a list"),
        (_body(status="pending"), "status must be 'firing' or 'resolved'"),
        (_body(truncatedAlerts=-1), "truncatedAlerts"),
        (_body(truncatedAlerts="3"), "truncatedAlerts"),
        (_body(truncatedAlerts=True), "truncatedAlerts"),
        (_body(truncatedAlerts=1.5), "truncatedAlerts"),
        (_body(receiver=["keel"]), "receiver"),
        (_body(externalURL=5), "externalURL"),
        (_body(groupLabels=["alertname"]), "groupLabels"),
        (_body(commonLabels={"severity": 2}), "commonLabels.severity"),
        (_body(commonAnnotations={"summary": None}), "commonAnnotations.summary"),
        (_body(["not an alert"]), "alerts[0] must be an object"),
        (_body([_alert_with(labels={})]), "alerts[0].labels must have at least one label"),
        (_body([_alert_with(labels=_DELETE)]), "alerts[0].labels"),
        (_body([_alert_with(labels=None)]), "alerts[0].labels"),
        (_body([_alert_with(labels=["alertname"])]), "alerts[0].labels"),
        (_body([_alert_with(labels={"alertname": 1})]), "alerts[0].labels.alertname"),
        (_body([_alert_with(labels={"alertname": None})]), "alerts[0].labels.alertname"),
        (
            _body([payloads.alert(), _alert_with(labels={"x": {"nested": "y"}})]),
            "alerts[1].labels.x",
        ),
        (_body([_alert_with(annotations={"summary": 3})]), "alerts[0].annotations.summary"),
        (_body([_alert_with(status="pending")]), "alerts[0].status"),
        (_body([_alert_with(status=_DELETE)]), "alerts[0].status"),
        (_body([_alert_with(status="FIRING")]), "alerts[0].status"),
        (_body([_alert_with(startsAt=_DELETE)]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt=1700000000)]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="yesterday")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="2026-11-21")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="2026-11-21T16:25:35")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="2026-11-21T16:25:35.1234567890Z")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="2026-02-30T16:25:35Z")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="2026-11-21T24:00:00Z")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="2026-13-01T00:00:00Z")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="2026-11-21T16:25:35+24:00")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="9999-12-31T23:59:59-01:00")]), "alerts[0].startsAt"),
        (_body([_alert_with(startsAt="0001-01-01T00:00:00Z")]), "alerts[0].startsAt"),
        (
            _body([_alert_with(status="resolved", endsAt="0001-01-01T00:00:00Z")]),
            "alerts[0].endsAt must be set on a resolved alert",
        ),
        (_body([_alert_with(status="resolved", endsAt=_DELETE)]), "alerts[0].endsAt"),
        (_body([_alert_with(status="resolved", endsAt="soon")]), "alerts[0].endsAt"),
        (_body([_alert_with(fingerprint=7)]), "alerts[0].fingerprint"),
        (_body([_alert_with(fingerprint="f" * 65)]), "alerts[0].fingerprint"),
        (_body([_alert_with(generatorURL=False)]), "alerts[0].generatorURL"),
        (
            _body([payloads.alert(), payloads.alert(), _alert_with(status="gone")]),
            "alerts[2].status",
        ),
    ],
)
def test_invalid_payloads_are_rejected_naming_the_field(body, message):
    with pytest.raises(PayloadError) as error:
        parse(body)

    assert message in str(error.value)


@pytest.mark.parametrize(
    ("alert_changes", "top_changes", "field"),
    [
        ({"labels": {"alertname": "A\u0000B"}}, {}, "alerts[0].labels"),
        ({"labels": {"alert\u0000name": "A"}}, {}, "alerts[0].labels"),
        ({"annotations": {"summary": "\u0000"}}, {}, "alerts[0].annotations"),
        ({"fingerprint": "ab\u0000"}, {}, "alerts[0].fingerprint"),
        ({"generatorURL": "http://x/\u0000"}, {}, "alerts[0].generatorURL"),
        ({}, {"groupKey": "{}:{a=\u0000}"}, "groupKey"),
        ({}, {"receiver": "ke\u0000el"}, "receiver"),
        ({}, {"groupLabels": {"a": "\u0000"}}, "groupLabels"),
        ({}, {"commonAnnotations": {"summary": "x\u0000"}}, "commonAnnotations"),
        ({}, {"externalURL": "\u0000"}, "externalURL"),
    ],
)
def test_nul_characters_are_rejected_naming_the_field(alert_changes, top_changes, field):
    body = _body([_alert_with(**alert_changes)], **top_changes)
    assert b"\\u0000" in body

    with pytest.raises(PayloadError) as error:
        parse(body)

    assert field in str(error.value)
    assert "NUL" in str(error.value)


@pytest.mark.parametrize(
    ("alert_changes", "top_changes", "field"),
    [
        ({"labels": {"alertname": "A\ud800"}}, {}, "alerts[0].labels"),
        ({"labels": {"\udfffname": "A"}}, {}, "alerts[0].labels"),
        ({"annotations": {"summary": "broken \udc00 text"}}, {}, "alerts[0].annotations"),
        ({"generatorURL": "http://x/\ud83d"}, {}, "alerts[0].generatorURL"),
        ({}, {"groupKey": "{}:{a=\ud800}"}, "groupKey"),
        ({}, {"commonLabels": {"a": "\ud800"}}, "commonLabels"),
    ],
)
def test_unpaired_surrogates_are_rejected_naming_the_field(alert_changes, top_changes, field):
    # Valid JSON escapes, but not text: PostgreSQL cannot store them, so accepting such a
    # body would answer 200 and then fail in the worker every time.
    body = _body([_alert_with(**alert_changes)], **top_changes)

    with pytest.raises(PayloadError) as error:
        parse(body)

    assert field in str(error.value)


def test_a_properly_paired_surrogate_escape_is_an_emoji_and_is_accepted():
    raw = payloads.alert(annotations={"summary": "card \U0001f4b3"})
    body = _body([raw])
    assert b"\\ud83d\\udcb3" in body

    [alert] = parse(body).alerts

    assert alert.annotations["summary"] == "card \U0001f4b3"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not valid JSON"),
        (b"   ", "not valid JSON"),
        (b"{", "not valid JSON"),
        (b"{'version': '4'}", "not valid JSON"),
        (b"\xff\xfe\xfd", "not valid JSON"),
        (b'{"version": "4", "receiver": "k\xe9el"}', "not valid JSON"),
        (b'{"version": "\xc3\x28"}', "not valid JSON"),
        (b"[" * 100_000, "not valid JSON"),
        (b'{"a":' * 100_000, "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b"null", "must be a JSON object"),
        (b"[]", "must be a JSON object"),
        (b'"version 4"', "must be a JSON object"),
        (b"4", "must be a JSON object"),
        (b"true", "must be a JSON object"),
        (b"[" + _body() + b"]", "must be a JSON object"),
    ],
)
def test_bodies_that_are_not_json_objects_are_rejected(body, message):
    with pytest.raises(PayloadError) as error:
        parse(body)

    assert message in str(error.value)


def test_a_utf16_body_is_understood():
    # json.loads detects UTF-16/32 from the first bytes; Alertmanager sends UTF-8, but a
    # proxy re-encoding the body must not make Keel crash.
    body = _body().decode().encode("utf-16")

    assert parse(body) == parse(_body())


# --- incident_title -----------------------------------------------------------------------


def _notification(
    *,
    common_annotations: dict[str, str] | None = None,
    common_labels: dict[str, str] | None = None,
    group_labels: dict[str, str] | None = None,
    alert_labels: list[dict[str, str]] | None = None,
) -> Notification:
    alerts = tuple(
        alertmanager.ParsedAlert(
            fingerprint=f"{i:016x}",
            status="firing",
            labels=labels,
            annotations={},
            starts_at=datetime(2026, 11, 21, tzinfo=UTC),
            ends_at=None,
            generator_url="",
        )
        for i, labels in enumerate(alert_labels or [])
    )
    return Notification(
        receiver="keel",
        status="firing",
        group_key="{}:{}",
        group_labels=group_labels or {},
        common_labels=common_labels or {},
        common_annotations=common_annotations or {},
        external_url="",
        truncated_alerts=0,
        alerts=alerts,
    )


@pytest.mark.parametrize(
    ("kwargs", "title"),
    [
        (
            {
                "common_annotations": {"summary": "  5xx rate above threshold \n"},
                "common_labels": {"alertname": "HighErrorRate"},
            },
            "5xx rate above threshold",
        ),
        (
            {
                "common_annotations": {"summary": "   "},
                "common_labels": {"alertname": "HighErrorRate"},
                "group_labels": {"alertname": "HighErrorRate", "service": "checkout"},
            },
            "HighErrorRate (service=checkout)",
        ),
        (
            {
                "common_labels": {"alertname": "DiskFull"},
                "group_labels": {"cluster": "eu-1", "alertname": "DiskFull", "az": "b"},
            },
            "DiskFull (az=b, cluster=eu-1)",
        ),
        ({"group_labels": {"alertname": "FromGroup"}}, "FromGroup"),
        (
            {
                "group_labels": {"service": "checkout"},
                "alert_labels": [{"alertname": "First"}, {"alertname": "Second"}],
            },
            "First (service=checkout)",
        ),
        ({"group_labels": {"service": "checkout"}}, "(service=checkout)"),
        ({}, "Alert group"),
        ({"alert_labels": [{"instance": "web-1"}]}, "Alert group"),
    ],
)
def test_incident_title(kwargs, title):
    assert incident_title(_notification(**kwargs)) == title


def test_incident_title_is_cut_to_the_limit():
    long = _notification(common_annotations={"summary": "x" * 1000})
    many_labels = _notification(group_labels={f"label{i:03}": "value" * 5 for i in range(100)})

    assert incident_title(long) == "x" * 299 + "…"  # the ellipsis says it was cut
    assert len(incident_title(many_labels)) == 300
    assert incident_title(many_labels).endswith("…")
    assert incident_title(long, limit=20) == "x" * 19 + "…"
    assert incident_title(_notification(common_annotations={"summary": "y" * 300})) == "y" * 300


def test_incident_title_of_a_real_body_is_its_common_summary():
    assert incident_title(parse(_body())) == "5xx rate above threshold"


# --- Fuzzing ------------------------------------------------------------------------------


def _storable(value: Any) -> bool:
    """PostgreSQL stores this text: no NUL, no unpaired surrogate."""
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, tuple | list):
        return all(_storable(v) for v in value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return "\x00" not in value
    return True


def _parse_or_error(body: bytes | str) -> Notification | None:
    """Parse; an accepted notification must be storable, a refusal must say why."""
    try:
        notification = parse(body)
    except PayloadError as error:
        assert str(error)
        return None
    assert _storable(notification.group_key)
    assert _storable([notification.group_labels, notification.common_labels])
    assert _storable(notification.common_annotations)
    for alert in notification.alerts:
        assert alert.labels
        assert _storable([alert.fingerprint, alert.labels, alert.annotations, alert.generator_url])
        assert alert.starts_at.utcoffset() is not None
        assert (alert.ends_at is None) == alert.is_firing
    return notification


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    # any code point, surrogates and NUL included: json.dumps escapes them as \\uXXXX
    | st.text(alphabet=st.characters(exclude_categories=()), max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(alphabet=st.characters(exclude_categories=()), max_size=10),
            children,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_parse_or_raise_payload_error(data):
    _parse_or_error(data)


@FUZZ
@given(st.text(max_size=300))
def test_any_text_parses_or_raises_payload_error(text):
    _parse_or_error(text)


@FUZZ
@given(json_values)
def test_any_json_value_parses_or_raises_payload_error(value):
    _parse_or_error(json.dumps(value))


_FIELD_PATHS = [
    ("version",),
    ("groupKey",),
    ("status",),
    ("receiver",),
    ("alerts",),
    ("truncatedAlerts",),
    ("groupLabels",),
    ("commonLabels",),
    ("commonAnnotations",),
    ("externalURL",),
    ("alerts", 0),
    ("alerts", 0, "labels"),
    ("alerts", 0, "labels", "alertname"),
    ("alerts", 0, "annotations"),
    ("alerts", 0, "status"),
    ("alerts", 0, "startsAt"),
    ("alerts", 0, "endsAt"),
    ("alerts", 0, "fingerprint"),
    ("alerts", 0, "generatorURL"),
]

timestamp_like = st.from_regex(
    r"\A\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\Z"
)


@FUZZ
@given(
    path=st.sampled_from(_FIELD_PATHS),
    value=json_values | timestamp_like,
    status=st.sampled_from(["firing", "resolved"]),
)
def test_a_valid_payload_with_one_field_replaced_parses_or_raises_payload_error(
    path, value, status
):
    payload = payloads.notification(
        [
            payloads.alert(
                status=status, ends_at="2026-11-21T17:00:00Z" if status == "resolved" else None
            )
        ]
    )
    target: Any = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value

    _parse_or_error(payloads.body(payload))


label_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=15
)
label_maps = st.dictionaries(label_text, label_text, min_size=1, max_size=5)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def generated_alerts(draw: Any) -> dict[str, Any]:
    labels = draw(label_maps)
    starts = draw(instants)
    status = draw(st.sampled_from(["firing", "resolved"]))
    ends = (
        payloads.ts(
            starts + draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)))
        )
        if status == "resolved"
        else payloads.ZERO_TIME
    )
    return {
        "status": status,
        "labels": labels,
        "annotations": draw(st.dictionaries(label_text, label_text, max_size=3)),
        "startsAt": payloads.ts(starts),
        "endsAt": ends,
        "generatorURL": draw(st.sampled_from(["", "http://prometheus:9090/graph?g0.expr=up"])),
        # Alertmanager's fingerprint is a function of the label set.
        "fingerprint": alertmanager.label_fingerprint(labels),
    }


@FUZZ
@given(
    alerts=st.lists(generated_alerts(), max_size=8, unique_by=lambda a: a["fingerprint"]),
    truncated=st.integers(min_value=0, max_value=10_000),
)
def test_valid_generated_payloads_round_trip(alerts, truncated):
    payload = payloads.notification(alerts, truncated=truncated)

    notification = parse(payloads.body(payload))

    assert notification.truncated_alerts == truncated
    assert len(notification.alerts) == len(alerts)
    for raw, alert in zip(alerts, notification.alerts, strict=True):
        assert alert.labels == raw["labels"]
        assert alert.annotations == raw["annotations"]
        assert alert.status == raw["status"]
        assert alert.fingerprint == raw["fingerprint"]
        assert payloads.ts(alert.starts_at) == raw["startsAt"]
        if raw["status"] == "resolved":
            assert alert.ends_at is not None and payloads.ts(alert.ends_at) == raw["endsAt"]
        else:
            assert alert.ends_at is None


@FUZZ
@given(
    instant=instants, offset_minutes=st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59)
)
def test_any_offset_names_the_same_instant(instant, offset_minutes):
    zone = timezone(timedelta(minutes=offset_minutes))
    local = instant.astimezone(zone)
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = local.strftime("%Y-%m-%dT%H:%M:%S.%f") + f"{sign}{hours:02}:{minutes:02}"

    assert alertmanager.parse_timestamp(text, "startsAt") == instant


# --- Bounds on what a sender's values become --------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("startsAt", "1969-12-31T23:59:59Z", "alerts[0].startsAt must be between the years"),
        ("startsAt", "2201-01-01T00:00:00Z", "alerts[0].startsAt must be between the years"),
        ("startsAt", "9999-12-31T23:59:59.999999999Z", "alerts[0].startsAt must be between"),
    ],
)
def test_dates_outside_keels_range_are_refused_naming_the_field(field, value, message):
    alert = payloads.alert()
    alert[field] = value

    with pytest.raises(PayloadError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(_body([alert]))


def test_a_resolved_alert_ending_outside_keels_range_is_refused():
    alert = payloads.alert(status="resolved", ends_at="2300-01-01T00:00:00Z")

    with pytest.raises(PayloadError, match=r"alerts\[0\]\.endsAt must be between the years"):
        parse(_body([alert]))


def test_an_absurd_truncated_alerts_count_is_refused():
    with pytest.raises(PayloadError, match="truncatedAlerts must be at most"):
        parse(_body([payloads.alert()], truncatedAlerts=2**63))


def test_a_firing_alerts_zero_end_time_is_still_no_end():
    [alert] = parse(_body([payloads.alert()])).alerts

    assert alert.ends_at is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("checkout", "checkout"),
        ("  checkout  ", "checkout"),
        ("x" * 200, "x" * 200),
        ("x" * 201, "x" * 199 + "…"),
        ("é" * 5000, "é" * 199 + "…"),
    ],
)
def test_service_names_from_labels_fit_the_catalog(value, expected):
    assert alertmanager.service_name(value) == expected
    assert len(alertmanager.service_name(value)) <= alertmanager.SERVICE_NAME_MAX
