"""The alert lists' label filter (API and page share it): Alertmanager's four operators,
whole-value regexes, and a clear refusal of anything else, never an ORM lookup or a raw
PostgreSQL regex error."""

from datetime import UTC, datetime

import pytest

from incidents import services
from incidents.label_matchers import MatcherError, parse_matcher
from tests.incidents import payloads

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture
def alerts(integration):
    payload = payloads.notification(
        [
            payloads.alert(fingerprint="co", alertname="HighErrorRate", service="checkout"),
            payloads.alert(fingerprint="cx", alertname="HighLatency", service="checkout-eu"),
            payloads.alert(fingerprint="se", alertname="SlowSearch", service="search"),
        ]
    )
    delivery = services.delivery_receive(
        integration_id=integration.pk, body=payloads.body(payload), at=T0
    )
    services.delivery_process(delivery_id=delivery.pk, at=T0)


def _api(client, matcher):
    response = client.get("/api/v1/alerts/", {"label": matcher})
    assert response.status_code == 200, response.content
    return sorted(a["fingerprint"] for a in response.json()["results"])


def _page(client, matcher):
    response = client.get("/alerts/", {"label": matcher})
    assert response.status_code == 200, response.content
    return sorted(a.fingerprint for a in response.context["page"].object_list)


CASES = [
    ("service=checkout", ["co"]),
    ('service="checkout"', ["co"]),
    ("service!=checkout", ["cx", "se"]),
    ("service=~checkout.*", ["co", "cx"]),
    ("service=~check", []),  # the whole value, as Alertmanager anchors it
    ("service!~checkout.*", ["se"]),
    ("alertname=~High(ErrorRate|Latency)", ["co", "cx"]),
    ("team=", ["co", "cx", "se"]),  # a missing label is the empty string
    ("team!=", []),
    ("team=~.*", ["co", "cx", "se"]),
    ("isnull=1", []),  # a label called isnull, not an ORM lookup
    ("service=regex=(", []),
    ("labels__isnull=1", []),
]


@pytest.mark.parametrize(("matcher", "expected"), CASES)
def test_api_label_matchers(viewer_api, alerts, matcher, expected):
    assert _api(viewer_api, matcher) == expected


@pytest.mark.parametrize(("matcher", "expected"), CASES)
def test_alerts_page_label_matchers(client, viewer, alerts, matcher, expected):
    client.force_login(viewer)
    assert _page(client, matcher) == expected


REFUSED = [
    "service=~(",
    "service!~[",
    "service=~(?P<x>a)",
    "service=~(?=a)",
    r"service=~\bcheckout",
    r"service=~(a)\1",
    "service=~a{300}",
    "service=~a{,5}",
    "service=~[[:alpha:]]+",
    "service=~a*+",
    "service=~" + "a" * 400,
    "no-operator",
    "=checkout",
]


@pytest.mark.parametrize("matcher", REFUSED)
def test_api_refuses_bad_matchers_with_a_message(viewer_api, alerts, matcher):
    response = viewer_api.get("/api/v1/alerts/", {"label": matcher})
    assert response.status_code == 400
    assert response.json()["message"].startswith("label: ")
    assert "label" in response.json()["errors"]


@pytest.mark.parametrize("matcher", REFUSED)
def test_alerts_page_refuses_bad_matchers_with_a_form_error(client, viewer, alerts, matcher):
    client.force_login(viewer)
    response = client.get("/alerts/", {"label": matcher})
    assert response.status_code == 400
    assert response.context["form"].errors["label"]
    assert response.context["page"] is None


def test_a_matcher_means_the_same_in_python_and_in_the_database(viewer_api, alerts):
    labels = {
        "co": {"service": "checkout", "alertname": "HighErrorRate"},
        "cx": {"service": "checkout-eu", "alertname": "HighLatency"},
        "se": {"service": "search", "alertname": "SlowSearch"},
    }
    for text, _ in CASES:
        matcher = parse_matcher(text)
        in_python = sorted(f for f, lab in labels.items() if matcher.matches(lab))
        assert _api(viewer_api, text) == in_python, text


def test_the_pure_parser_refuses_without_a_database():
    with pytest.raises(MatcherError, match="at most 255"):
        parse_matcher("a=~x{256}")
