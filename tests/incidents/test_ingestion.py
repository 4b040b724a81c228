"""Ingestion services against PostgreSQL: deliveries in, incidents and timelines out."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from catalog.models import Service
from core.actors import Actor
from incidents.choices import DeliveryState, EntryKind, Kind, ResolvePolicy, Severity, Status
from incidents.models import Alert, Delivery, Incident, TimelineEntry
from incidents.models.delivery import MAX_ATTEMPTS
from incidents.services import (
    alerts_resolve_quiet,
    deliveries_requeue,
    delivery_process,
    delivery_receive,
    incident_resolve,
)
from tests.factories import ServiceFactory, make_integration
from tests.incidents import payloads

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 21, 16, 30, tzinfo=UTC)
STARTS_A = "2026-11-21T16:25:35.169831Z"
STARTS_B = "2026-11-21T16:20:00.568Z"
RESOLVED_AT = "2026-11-21T16:45:00Z"


def _firing(fingerprint: str, **kwargs: Any) -> dict[str, Any]:
    return payloads.alert(fingerprint=fingerprint, **kwargs)


def _resolved(fingerprint: str, starts_at: str = STARTS_A, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("ends_at", RESOLVED_AT)
    return payloads.alert(fingerprint=fingerprint, status="resolved", starts_at=starts_at, **kwargs)


A = "aaaa00000000000a"
B = "bbbb00000000000b"
C = "cccc00000000000c"


def deliver(integration, alerts: list[dict[str, Any]], *, at: datetime = T0, **kw: Any) -> Delivery:
    """Store a body as the webhook would (on-commit enqueue never fires here), then process it."""
    body = payloads.body(payloads.notification(alerts, **kw))
    delivery = delivery_receive(
        integration_id=integration.pk, body=body, user_agent="Alertmanager/0.25.0", at=at
    )
    processed = delivery_process(delivery_id=delivery.pk, at=at)
    assert processed is not None
    return processed


def two_firing() -> list[dict[str, Any]]:
    return [
        _firing(A, starts_at=STARTS_A, severity="warning"),
        _firing(B, starts_at=STARTS_B, severity="critical"),
    ]


def entry_kinds(incident: Incident) -> list[str]:
    return list(incident.timeline.order_by("at", "id").values_list("kind", flat=True))


# --- Opening ----------------------------------------------------------------------------


def test_a_group_with_two_firing_alerts_opens_one_incident(integration, checkout):
    delivery = deliver(integration, two_firing())

    incident = Incident.objects.get()
    assert incident.reference == f"INC-{incident.number}"
    assert incident.title == "5xx rate above threshold"
    assert incident.kind == Kind.ALERT
    assert incident.status == Status.INVESTIGATING
    assert incident.severity == Severity.SEV2  # critical beats warning (SEV4)
    assert incident.started_at == datetime(2026, 11, 21, 16, 20, 0, 568000, tzinfo=UTC)
    assert incident.detected_at == delivery.received_at == T0
    assert list(incident.services.all()) == [checkout]
    assert incident.integration == integration
    assert incident.previous is None
    assert set(incident.alerts.values_list("fingerprint", flat=True)) == {A, B}
    assert entry_kinds(incident) == [
        EntryKind.ALERT_FIRED,  # B started first
        EntryKind.ALERT_FIRED,
        EntryKind.OPENED,
    ]
    opened = incident.timeline.get(kind=EntryKind.OPENED)
    assert opened.at == T0
    assert opened.text == "Opened from 2 firing alerts."
    assert opened.actor_integration == integration
    assert opened.actor_name == "integration:am-test"
    fired = incident.timeline.filter(kind=EntryKind.ALERT_FIRED).order_by("at")
    assert [e.data["fingerprint"] for e in fired] == [B, A]
    assert fired[0].text == "HighErrorRate fired: 5xx rate above threshold"

    assert delivery.state == DeliveryState.PROCESSED
    assert delivery.processed_at == T0
    assert delivery.attempts == 1
    assert delivery.error == ""
    assert delivery.outcome == {
        "alerts": 2,
        "new": 2,
        "fired": 2,
        "resolved": 0,
        "resolved_unseen": 0,
        "truncated_alerts": 0,
        "incident": incident.number,
        "opened": True,
    }


def test_alerts_keep_what_alertmanager_sent(integration):
    deliver(integration, [_firing(A, generator_url="")])

    alert = Alert.objects.get()
    assert alert.status == "firing"
    assert alert.ends_at is None
    assert alert.starts_at == datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)
    assert alert.generator_url == ""
    assert alert.runbook_url == "https://runbooks.example/checkout-5xx"
    assert alert.first_seen_at == alert.last_seen_at == T0
    assert alert.times_seen == 1


def test_incident_numbers_follow_one_another(integration):
    deliver(integration, [_firing(A)], group_labels={"alertname": "One"})
    deliver(integration, [_firing(B)], group_labels={"alertname": "Two"})

    first, second = Incident.objects.order_by("number")
    assert second.number == first.number + 1


@pytest.mark.parametrize(
    ("severity_label", "expected"),
    [
        ("page", Severity.SEV1),
        ("critical", Severity.SEV2),
        ("Critical ", Severity.SEV2),
        ("error", Severity.SEV3),
        ("warning", Severity.SEV4),
        ("info", Severity.SEV3),  # unknown: the integration's default
        ("", Severity.SEV3),
    ],
)
def test_severity_comes_from_the_severity_label(integration, severity_label, expected):
    deliver(integration, [_firing(A, severity=severity_label)])

    assert Incident.objects.get().severity == expected


def test_the_most_severe_alert_sets_the_severity():
    integration = make_integration(
        "custom-map", severity_mapping={"p1": "SEV1", "p3": "SEV3"}, default_severity="SEV4"
    )
    deliver(
        integration,
        [_firing(A, severity="p3"), _firing(B, severity="p1"), _firing(C, severity="none")],
    )

    assert Incident.objects.get().severity == Severity.SEV1


def test_service_labels_name_services_and_unknown_ones_are_discovered(integration, checkout):
    deliver(
        integration,
        [
            _firing(A, service="checkout"),
            _firing(B, service="Payments API"),
            _firing(C, service="Payments API"),
        ],
    )

    incident = Incident.objects.get()
    payments = Service.objects.get(slug="payments-api")
    assert payments.discovered is True
    assert payments.name == "Payments API"
    assert Service.objects.get(slug="checkout").discovered is False
    assert set(incident.services.all()) == {checkout, payments}
    assert Service.objects.count() == 2


def test_alerts_without_a_service_label_go_to_the_default_service(integration, checkout):
    ServiceFactory(slug="search")

    deliver(integration, [_firing(A, service=None), _firing(B, service=None)])

    assert list(Incident.objects.get().services.all()) == [checkout]
    assert not Service.objects.filter(discovered=True).exists()


def test_a_service_label_wins_over_the_default_service(integration, checkout):
    deliver(integration, [_firing(A, service="search"), _firing(B, service=None)])

    assert list(Incident.objects.get().services.values_list("slug", flat=True)) == ["search"]


def test_without_service_label_or_default_an_incident_has_no_service():
    integration = make_integration("no-default")

    deliver(integration, [_firing(A, service=None)])

    assert Incident.objects.get().services.count() == 0


def test_a_custom_service_label_is_used():
    integration = make_integration("by-app", service_label="app")

    deliver(integration, [_firing(A, service="ignored", extra_labels={"app": "ledger"})])

    assert list(Incident.objects.get().services.values_list("slug", flat=True)) == ["ledger"]


def test_truncated_alerts_are_noted_when_the_incident_opens(integration):
    delivery = deliver(integration, [_firing(A)], truncated=40)

    opened = Incident.objects.get().timeline.get(kind=EntryKind.OPENED)
    assert "left out 40 more" in opened.text
    assert opened.data["truncated_alerts"] == 40
    assert delivery.outcome["truncated_alerts"] == 40


def test_separate_groups_open_separate_incidents(integration):
    deliver(integration, [_firing(A)], group_labels={"alertname": "HighErrorRate"})
    deliver(integration, [_firing(B)], group_labels={"alertname": "DiskFull"})

    assert Incident.objects.count() == 2


def test_the_same_group_from_two_integrations_opens_two_incidents(integration):
    other = make_integration("am-other")

    deliver(integration, [_firing(A)])
    deliver(other, [_firing(A)])

    assert Incident.objects.count() == 2
    assert Alert.objects.count() == 2


# --- Redelivery ---------------------------------------------------------------------------


def test_redelivering_the_same_body_changes_only_when_alerts_were_last_seen(integration):
    deliver(integration, two_firing())
    incident = Incident.objects.get()
    entries = incident.timeline.count()

    outcomes = [
        deliver(integration, two_firing(), at=T0 + timedelta(seconds=10 * i)).outcome
        for i in range(1, 21)
    ]

    assert Incident.objects.count() == 1
    assert Alert.objects.count() == 2
    assert TimelineEntry.objects.count() == entries
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    for alert in Alert.objects.all():
        assert alert.times_seen == 21
        assert alert.first_seen_at == T0
        assert alert.last_seen_at == T0 + timedelta(seconds=200)
        assert alert.incident == incident
    assert all(o["new"] == 0 and o["fired"] == 0 and not o["opened"] for o in outcomes)
    assert {o["incident"] for o in outcomes} == {incident.number}
    assert Delivery.objects.filter(state=DeliveryState.PROCESSED).count() == 21


def test_processing_a_delivery_twice_counts_it_once(integration):
    delivery = deliver(integration, two_firing())

    again = delivery_process(delivery_id=delivery.pk, at=T0 + timedelta(minutes=5))

    assert again is not None
    assert again.processed_at == T0
    assert again.attempts == 1
    assert set(Alert.objects.values_list("times_seen", flat=True)) == {1}


def test_processing_an_unknown_delivery_does_nothing():
    assert delivery_process(delivery_id=987654321, at=T0) is None


# --- Resolving ----------------------------------------------------------------------------


def test_a_partial_resolve_records_it_and_the_incident_stays_investigating(integration):
    deliver(integration, two_firing())

    delivery = deliver(
        integration,
        [_resolved(A, starts_at=STARTS_A), _firing(B, starts_at=STARTS_B)],
        status="firing",
        at=T0 + timedelta(minutes=15),
    )

    incident = Incident.objects.get()
    assert incident.status == Status.INVESTIGATING
    resolved = incident.timeline.get(kind=EntryKind.ALERT_RESOLVED)
    assert resolved.data["fingerprint"] == A
    assert resolved.at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)
    assert resolved.text == "HighErrorRate resolved: 5xx rate above threshold"
    alert = Alert.objects.get(fingerprint=A)
    assert alert.status == "resolved"
    assert alert.ends_at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)
    assert Alert.objects.get(fingerprint=B).status == "firing"
    assert delivery.outcome["resolved"] == 1
    assert not incident.timeline.filter(kind=EntryKind.STATUS).exists()


def test_when_every_alert_resolves_the_incident_moves_to_monitoring(integration):
    deliver(integration, two_firing())
    later = T0 + timedelta(minutes=20)

    deliver(
        integration,
        [_resolved(A, starts_at=STARTS_A), _resolved(B, starts_at=STARTS_B)],
        at=later,
    )

    incident = Incident.objects.get()
    assert incident.status == Status.MONITORING
    assert incident.resolved_at is None
    assert incident.timeline.filter(kind=EntryKind.ALERT_RESOLVED).count() == 2
    status = incident.timeline.get(kind=EntryKind.STATUS)
    assert status.at == later
    assert status.data == {"from": Status.INVESTIGATING, "to": Status.MONITORING}
    assert "Every alert has resolved." in status.text


def test_with_the_resolved_policy_the_incident_resolves_when_every_alert_does():
    integration = make_integration("auto-resolve", resolve_policy=ResolvePolicy.RESOLVED)
    deliver(integration, two_firing())
    later = T0 + timedelta(minutes=20)

    deliver(
        integration,
        [_resolved(A, starts_at=STARTS_A), _resolved(B, starts_at=STARTS_B)],
        at=later,
    )

    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.resolved_at == later
    assert incident.timeline.filter(kind=EntryKind.RESOLVED).count() == 1


def test_a_repeated_resolve_keeps_the_first_end_and_adds_nothing(integration):
    deliver(integration, [_firing(A)])
    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))
    entries = TimelineEntry.objects.count()

    deliver(
        integration,
        [_resolved(A, ends_at="2026-11-21T17:30:00Z")],
        at=T0 + timedelta(minutes=40),
    )

    assert TimelineEntry.objects.count() == entries
    assert Alert.objects.get().ends_at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)
    assert Incident.objects.get().status == Status.MONITORING


def test_a_new_alert_firing_into_a_monitoring_incident_sends_it_back_to_investigating(
    integration,
):
    deliver(integration, [_firing(A)])
    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))
    assert Incident.objects.get().status == Status.MONITORING

    deliver(
        integration,
        [_resolved(A), _firing(C, starts_at="2026-11-21T16:55:00Z")],
        status="firing",
        at=T0 + timedelta(minutes=30),
    )

    incident = Incident.objects.get()
    assert incident.status == Status.INVESTIGATING
    assert Alert.objects.get(fingerprint=C).incident == incident
    last_status = incident.timeline.filter(kind=EntryKind.STATUS).order_by("at").last()
    assert last_status is not None
    assert last_status.data == {"from": Status.MONITORING, "to": Status.INVESTIGATING}
    assert "firing again" in last_status.text
    assert incident.timeline.filter(kind=EntryKind.ALERT_FIRED).count() == 2


def test_the_same_alert_firing_again_into_a_monitoring_incident_rejoins_it(integration):
    deliver(integration, [_firing(A)])
    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))

    deliver(
        integration,
        [_firing(A, starts_at="2026-11-21T16:58:00Z")],
        at=T0 + timedelta(minutes=30),
    )

    incident = Incident.objects.get()
    assert incident.status == Status.INVESTIGATING
    assert incident.alerts.count() == 2


def _store_only(integration, alerts: list[dict[str, Any]], *, at: datetime) -> Delivery:
    body = payloads.body(payloads.notification(alerts))
    return delivery_receive(integration_id=integration.pk, body=body, at=at)


def test_a_firing_retry_processed_after_the_resolve_does_not_undo_it(integration):
    # Alertmanager retried the firing body (slow answer); the copy waited in the queue
    # (or for the sweep) and a worker got to it only after the resolve was processed.
    deliver(integration, [_firing(A)])
    stale = _store_only(integration, [_firing(A)], at=T0 + timedelta(minutes=1))
    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))
    entries = TimelineEntry.objects.count()

    delivery_process(delivery_id=stale.pk, at=T0 + timedelta(minutes=21))

    alert = Alert.objects.get()
    assert alert.status == "resolved"
    assert alert.ends_at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)
    assert Incident.objects.get().status == Status.MONITORING
    assert TimelineEntry.objects.count() == entries


def test_a_firing_retry_processed_after_the_resolve_opens_no_new_incident():
    integration = make_integration("auto-resolve", resolve_policy=ResolvePolicy.RESOLVED)
    deliver(integration, [_firing(A)])
    stale = _store_only(integration, [_firing(A)], at=T0 + timedelta(minutes=1))
    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))

    delivery_process(delivery_id=stale.pk, at=T0 + timedelta(minutes=21))

    assert Incident.objects.count() == 1
    assert Incident.objects.get().status == Status.RESOLVED
    assert Alert.objects.get().status == "resolved"


def test_the_same_alert_reported_firing_after_its_end_is_firing_again(integration):
    # e.g. Prometheus restarted: Alertmanager resolved the alert, then it came back
    # with the same startsAt.
    deliver(integration, [_firing(A)])
    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))

    deliver(integration, [_firing(A)], at=T0 + timedelta(hours=1))

    alert = Alert.objects.get()
    assert alert.status == "firing"
    assert alert.ends_at is None
    assert Incident.objects.get().status == Status.INVESTIGATING


def test_a_fingerprint_firing_again_after_its_incident_resolved_opens_a_new_one():
    integration = make_integration("auto-resolve", resolve_policy=ResolvePolicy.RESOLVED)
    deliver(integration, [_firing(A)])
    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))
    first = Incident.objects.get()
    assert first.status == Status.RESOLVED

    delivery = deliver(
        integration,
        [_firing(A, starts_at="2026-11-21T18:00:00Z")],
        at=T0 + timedelta(hours=2),
    )

    second = Incident.objects.exclude(pk=first.pk).get()
    assert second.status == Status.INVESTIGATING
    assert second.previous == first
    assert second.started_at == datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    assert second.number == first.number + 1
    assert first.reference in second.timeline.get(kind=EntryKind.OPENED).text
    assert delivery.outcome["opened"] is True
    first.refresh_from_db()
    assert first.status == Status.RESOLVED
    assert list(first.alerts.values_list("starts_at", flat=True)) == [
        datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)
    ]


def test_a_resolve_for_an_alert_never_seen_firing_records_a_resolved_incident(
    integration, checkout, monkeypatch
):
    # The firing notification was lost on the way (Alertmanager does not retry it once
    # the group resolved): the history and the metrics still hold the alert, nobody is paged.
    from incidents.services import ingestion

    announced: list[str] = []
    monkeypatch.setattr(
        ingestion, "incident_changed_on_commit", lambda pk, change: announced.append(change)
    )

    delivery = deliver(integration, [_resolved(A)])

    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.kind == Kind.ALERT
    assert incident.started_at == datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)
    assert incident.resolved_at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)
    assert incident.detected_at == T0
    assert incident.title == "5xx rate above threshold"
    assert list(incident.services.all()) == [checkout]
    assert sorted(entry_kinds(incident)) == sorted(
        [EntryKind.ALERT_FIRED, EntryKind.ALERT_RESOLVED, EntryKind.OPENED, EntryKind.RESOLVED]
    )
    opened = incident.timeline.get(kind=EntryKind.OPENED)
    assert "first heard of when it resolved" in opened.text
    assert "nobody was paged" in opened.text
    assert delivery.state == DeliveryState.PROCESSED
    assert delivery.outcome["opened"] is True
    assert delivery.outcome["incident"] == incident.number
    assert delivery.outcome["resolved_unseen"] == 1
    alert = Alert.objects.get()
    assert alert.status == "resolved"
    assert alert.incident == incident
    # Announced as resolved (budget impact, postmortem), never as opened: paging starts
    # only on "opened".
    assert announced == ["resolved"]


def test_a_resolve_for_an_alert_never_seen_joins_the_groups_open_incident(integration):
    deliver(integration, [_firing(A)])

    deliver(
        integration, [_firing(A), _resolved(B, starts_at=STARTS_B)], at=T0 + timedelta(minutes=1)
    )

    incident = Incident.objects.get()
    assert incident.status == Status.INVESTIGATING  # A still fires
    assert Alert.objects.get(fingerprint=B).incident == incident
    kinds = [e.kind for e in incident.timeline.filter(data__fingerprint=B).order_by("at", "id")]
    assert kinds == [EntryKind.ALERT_FIRED, EntryKind.ALERT_RESOLVED]


def test_a_late_resolve_after_the_incident_was_resolved_by_hand_is_noted_there(integration):
    deliver(integration, [_firing(A)])
    incident = Incident.objects.get()
    incident_resolve(incident=incident, actor=Actor.system(), at=T0 + timedelta(minutes=5))

    deliver(integration, [_resolved(A)], at=T0 + timedelta(minutes=20))

    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.resolved_at == T0 + timedelta(minutes=5)
    assert incident.timeline.filter(kind=EntryKind.ALERT_RESOLVED).count() == 1
    assert Alert.objects.get().status == "resolved"


def test_the_same_alert_still_firing_after_a_hand_resolve_opens_nothing_new(integration):
    deliver(integration, [_firing(A)])
    incident_resolve(
        incident=Incident.objects.get(), actor=Actor.system(), at=T0 + timedelta(minutes=5)
    )

    for minutes in (10, 15, 20):
        deliver(integration, [_firing(A)], at=T0 + timedelta(minutes=minutes))

    assert Incident.objects.count() == 1
    assert Incident.objects.get().status == Status.RESOLVED


# --- Failures and the sweep -----------------------------------------------------------------


def _stored(integration, body: str, *, at: datetime) -> Delivery:
    return Delivery.objects.create(
        integration=integration, received_at=at, body=body, body_bytes=len(body.encode())
    )


def test_a_delivery_whose_body_no_longer_parses_fails_and_changes_nothing(integration):
    body = payloads.body(payloads.notification([payloads.alert()]) | {"version": "3"})
    delivery = _stored(integration, body.decode(), at=T0)

    result = delivery_process(delivery_id=delivery.pk, at=T0)

    assert result is not None
    assert result.state == DeliveryState.FAILED
    assert '"version": "4"' in result.error
    assert result.processed_at == T0
    assert result.attempts == MAX_ATTEMPTS  # never retried: the same body will never parse
    assert not Incident.objects.exists()
    assert not Alert.objects.exists()
    assert deliveries_requeue(at=T0 + timedelta(hours=1)) == 0
    assert Delivery.objects.get().state == DeliveryState.FAILED


def test_a_label_postgres_cannot_store_fails_the_delivery_with_a_message(integration):
    payload = payloads.notification([payloads.alert(extra_labels={"pod": "web-\ud800"})])
    delivery = _stored(integration, payloads.body(payload).decode(), at=T0)

    result = delivery_process(delivery_id=delivery.pk, at=T0)

    assert result is not None
    assert result.state == DeliveryState.FAILED
    assert "alerts[0].labels" in result.error
    assert result.attempts == MAX_ATTEMPTS
    assert not Incident.objects.exists()
    assert not Alert.objects.exists()


def test_requeue_processes_old_received_deliveries_and_leaves_fresh_ones(integration):
    old = delivery_receive(
        integration_id=integration.pk,
        body=payloads.body(payloads.notification([_firing(A)])),
        at=T0 - timedelta(minutes=10),
    )
    fresh = delivery_receive(
        integration_id=integration.pk,
        body=payloads.body(
            payloads.notification([_firing(B)], group_labels={"alertname": "DiskFull"})
        ),
        at=T0 - timedelta(seconds=5),
    )

    requeued = deliveries_requeue(at=T0)  # KEEL_TASKS_EAGER: the task runs inline

    assert requeued == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.state == DeliveryState.PROCESSED
    assert fresh.state == DeliveryState.RECEIVED
    assert Incident.objects.get().alerts.get().fingerprint == A


def test_requeue_retries_a_delivery_that_failed_for_a_passing_reason(integration):
    body = payloads.body(payloads.notification([_firing(A)])).decode()
    delivery = _stored(integration, body, at=T0 - timedelta(minutes=10))
    Delivery.objects.filter(pk=delivery.pk).update(
        state=DeliveryState.FAILED, attempts=2, error="OperationalError: server closed"
    )

    assert deliveries_requeue(at=T0) == 1

    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.PROCESSED
    assert delivery.attempts == 3
    assert delivery.error == ""
    assert Incident.objects.count() == 1


def test_requeue_ignores_processed_deliveries(integration):
    deliver(integration, [_firing(A)], at=T0 - timedelta(hours=1))

    assert deliveries_requeue(at=T0) == 0
    assert Alert.objects.get().times_seen == 1


# --- Quiet period -------------------------------------------------------------------------


def test_quiet_alerts_are_resolved_after_the_quiet_period(integration):
    quiet = make_integration("am-quiet", quiet_period=timedelta(hours=1))
    deliver(quiet, two_firing())
    deliver(integration, [_firing(C)])  # no quiet period: left alone

    assert alerts_resolve_quiet(at=T0 + timedelta(minutes=59)) == 0
    later = T0 + timedelta(hours=2)
    assert alerts_resolve_quiet(at=later) == 2

    incident = Incident.objects.get(integration=quiet)
    assert incident.status == Status.MONITORING
    assert set(Alert.objects.filter(integration=quiet).values_list("status", flat=True)) == {
        "resolved"
    }
    assert set(Alert.objects.filter(integration=quiet).values_list("ends_at", flat=True)) == {later}
    entries = incident.timeline.filter(kind=EntryKind.ALERT_RESOLVED)
    assert entries.count() == 2
    assert all("quiet period" in e.text for e in entries)
    untouched = Incident.objects.get(integration=integration)
    assert untouched.status == Status.INVESTIGATING
    assert Alert.objects.get(integration=integration).status == "firing"
    assert alerts_resolve_quiet(at=later + timedelta(hours=5)) == 0


def test_a_recently_seen_alert_is_not_quiet():
    quiet = make_integration("am-quiet", quiet_period=timedelta(hours=1))
    deliver(quiet, two_firing())
    deliver(quiet, [_firing(A, starts_at=STARTS_A)], at=T0 + timedelta(minutes=50))

    assert alerts_resolve_quiet(at=T0 + timedelta(minutes=70)) == 1

    assert Alert.objects.get(fingerprint=A).status == "firing"
    assert Alert.objects.get(fingerprint=B).status == "resolved"
    assert Incident.objects.get().status == Status.INVESTIGATING


def test_the_quiet_period_applies_the_resolved_policy():
    quiet = make_integration(
        "am-quiet", quiet_period=timedelta(hours=1), resolve_policy=ResolvePolicy.RESOLVED
    )
    deliver(quiet, [_firing(A)])
    later = T0 + timedelta(hours=3)

    alerts_resolve_quiet(at=later)

    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.resolved_at == later


def test_an_alert_resolved_by_the_quiet_period_that_fires_again_reopens_the_work():
    quiet = make_integration("am-quiet", quiet_period=timedelta(hours=1))
    deliver(quiet, [_firing(A)])
    alerts_resolve_quiet(at=T0 + timedelta(hours=2))
    assert Incident.objects.get().status == Status.MONITORING

    deliver(quiet, [_firing(A)], at=T0 + timedelta(hours=3))

    incident = Incident.objects.get()
    assert incident.status == Status.INVESTIGATING
    alert = Alert.objects.get()
    assert alert.status == "firing"
    assert alert.ends_at is None
    assert incident.timeline.filter(kind=EntryKind.ALERT_FIRED).count() == 2


def test_a_disabled_integration_is_not_swept():
    quiet = make_integration("am-quiet", quiet_period=timedelta(hours=1))
    deliver(quiet, [_firing(A)])
    quiet.enabled = False
    quiet.save(update_fields=["enabled"])

    assert alerts_resolve_quiet(at=T0 + timedelta(hours=2)) == 0
    assert Alert.objects.get().status == "firing"


# --- Large groups ---------------------------------------------------------------------------


def _many(count: int, *, status: str = "firing") -> list[dict[str, Any]]:
    return [
        payloads.alert(
            fingerprint=f"{i:016x}",
            alertname="DiskFull" if i % 2 else "HighErrorRate",
            extra_labels={"instance": f"node-{i}"},
            status=status,
            ends_at=RESOLVED_AT if status == "resolved" else None,
        )
        for i in range(count)
    ]


def test_a_large_group_gets_one_summary_entry_instead_of_one_per_alert(integration):
    deliver(integration, _many(250))

    incident = Incident.objects.get()
    assert incident.alerts.count() == 250
    fired = incident.timeline.get(kind=EntryKind.ALERT_FIRED)
    assert fired.text == "250 alerts fired: DiskFull, HighErrorRate."
    assert fired.data["count"] == 250
    assert len(fired.data["fingerprints"]) == 250
    assert entry_kinds(incident) == [EntryKind.ALERT_FIRED, EntryKind.OPENED]

    deliver(integration, _many(250, status="resolved"), at=T0 + timedelta(minutes=20))

    incident.refresh_from_db()
    assert incident.status == Status.MONITORING
    resolved = incident.timeline.get(kind=EntryKind.ALERT_RESOLVED)
    assert resolved.text == "250 alerts resolved: DiskFull, HighErrorRate."
    assert resolved.at == datetime(2026, 11, 21, 16, 45, tzinfo=UTC)


def test_up_to_ten_alerts_get_an_entry_each(integration):
    deliver(integration, _many(10))

    incident = Incident.objects.get()
    assert incident.timeline.filter(kind=EntryKind.ALERT_FIRED).count() == 10


def test_a_reopened_older_incident_is_the_one_alerts_join(integration, responder):
    deliver(integration, [_firing(A)])
    first = Incident.objects.get()
    incident_resolve(incident=first, actor=Actor.system(), at=T0 + timedelta(minutes=1))
    deliver(integration, [_firing(B, starts_at=STARTS_B)], at=T0 + timedelta(minutes=2))
    second = Incident.objects.exclude(pk=first.pk).get()
    assert second.previous == first
    incident_resolve(incident=second, actor=Actor.system(), at=T0 + timedelta(minutes=3))
    from incidents.services import incident_reopen

    incident_reopen(incident=first, actor=Actor.system(), at=T0 + timedelta(minutes=4))

    deliver(integration, [_firing(C)], at=T0 + timedelta(minutes=5))

    assert Incident.objects.count() == 2
    assert Alert.objects.get(fingerprint=C).incident == first


def test_an_alert_that_started_earlier_moves_the_incident_start(integration):
    deliver(integration, [_firing(A, starts_at=STARTS_A)])
    incident = Incident.objects.get()
    assert incident.started_at == datetime(2026, 11, 21, 16, 25, 35, 169831, tzinfo=UTC)

    deliver(integration, [_firing(B, starts_at=STARTS_B)], at=T0 + timedelta(minutes=1))

    incident.refresh_from_db()
    assert incident.started_at == datetime(2026, 11, 21, 16, 20, 0, 568000, tzinfo=UTC)
    correction = incident.timeline.get(kind=EntryKind.FIELD_CORRECTED)
    assert correction.data["field"] == "started_at"
    assert "an alert that started earlier joined (HighErrorRate)" in correction.text
    assert correction.actor_name == f"integration:{integration.name}"


def test_an_alert_that_started_later_leaves_the_incident_start(integration):
    deliver(integration, [_firing(B, starts_at=STARTS_B)])
    deliver(integration, [_firing(A, starts_at=STARTS_A)], at=T0 + timedelta(minutes=1))

    incident = Incident.objects.get()
    assert incident.started_at == datetime(2026, 11, 21, 16, 20, 0, 568000, tzinfo=UTC)
    assert not incident.timeline.filter(kind=EntryKind.FIELD_CORRECTED).exists()


# --- Severity of joining alerts --------------------------------------------------------


def test_a_more_severe_alert_joining_raises_the_severity_with_its_reason(integration):
    deliver(integration, [_firing(A, severity="warning")])
    incident = Incident.objects.get()
    assert incident.severity == Severity.SEV4

    later = T0 + timedelta(minutes=2)
    deliver(
        integration,
        [_firing(A, severity="warning"), _firing(B, alertname="CheckoutDown", severity="page")],
        at=later,
    )
    incident.refresh_from_db()
    assert incident.severity == Severity.SEV1
    entry = incident.timeline.get(kind=EntryKind.SEVERITY)
    assert entry.text == "Severity SEV4 → SEV1: CheckoutDown joined with severity=page."
    assert (entry.at, entry.actor_name) == (later, f"integration:{integration.name}")

    # Redelivered, nothing more happens; a milder alert joining does not lower it.
    deliver(integration, [_firing(B, alertname="CheckoutDown", severity="page")], at=later)
    deliver(integration, [_firing(C, severity="error")], at=later + timedelta(minutes=1))
    incident.refresh_from_db()
    assert incident.severity == Severity.SEV1
    assert incident.timeline.filter(kind=EntryKind.SEVERITY).count() == 1


def test_an_alert_of_the_incident_firing_again_keeps_a_severity_a_person_lowered(
    integration, responder
):
    from incidents.services import incident_set_severity

    deliver(integration, [_firing(A, severity="critical")])
    incident = Incident.objects.get()
    incident_set_severity(incident=incident, severity=Severity.SEV3, actor=Actor.of(responder))
    deliver(integration, [_resolved(A, severity="critical")], at=T0 + timedelta(minutes=20))
    deliver(
        integration,
        [_firing(A, severity="critical")],
        at=datetime(2026, 11, 21, 16, 50, tzinfo=UTC),
    )

    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.severity == Severity.SEV3
