"""One burn, one incident: Keel's own evaluation and its exported `KeelErrorBudgetBurn`
alerts coming back through Alertmanager describe the same burn, so they give it one
severity and at most one open incident; the end of a burn goes on the timeline and follows
the resolve policy; a ticket-level burn is never paged."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor
from incidents.choices import EntryKind, ResolvePolicy, Status
from incidents.models import Alert, Incident, TimelineEntry
from incidents.services import incident_resolve, integration_create
from slos.models import SloStatus
from slos.services import slo_evaluate
from tests.factories import SLOFactory, push_minutes
from tests.incidents import payloads

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(second=0, microsecond=0) - timedelta(minutes=5)


@pytest.fixture
def slo(checkout):
    """checkout/availability, evaluated quiet: two hours of clean traffic."""
    slo = SLOFactory(service=checkout, name="availability")
    push_minutes(slo, NOW - timedelta(hours=2), 90, good=1000, total=1000, now=NOW)
    slo_evaluate(slo=slo, at=NOW - timedelta(minutes=30))
    return slo


def _burst(slo, start, minutes: int = 30) -> None:
    push_minutes(slo, start, minutes, good=0, total=1000, now=start + timedelta(minutes=minutes))


def _clean(slo, start, minutes: int) -> None:
    push_minutes(slo, start, minutes, good=1000, total=1000, now=start + timedelta(minutes=minutes))


def _burn_alert(level: str, *, status: str = "firing", ends_at=None, fingerprint=None) -> dict:
    return payloads.alert(
        alertname="KeelErrorBudgetBurn",
        severity=level,
        status=status,
        fingerprint=fingerprint or ("a1" if level == "page" else "b2") * 8,
        extra_labels={"slo": "availability", "burn_window": f"{level}-fast"},
        starts_at=payloads.ts(NOW - timedelta(minutes=20)),
        ends_at=None if ends_at is None else payloads.ts(ends_at),
    )


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    def post(token: str, alerts: list[dict]) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/hooks/alertmanager/",
                data=payloads.body(
                    payloads.notification(
                        alerts,
                        group_labels={"alertname": "KeelErrorBudgetBurn", "service": "checkout"},
                    )
                ),
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
        assert response.status_code == 200

    return post


def _evaluate(slo, at, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return slo_evaluate(slo=slo, at=at)


def test_the_page_alert_through_alertmanager_has_the_severity_of_keels_own_evaluation(
    slo, integration_and_token, deliver, django_capture_on_commit_callbacks
):
    _, token = integration_and_token
    deliver(token, [_burn_alert("page")])  # the default mapping says page → SEV1
    incident = Incident.objects.get()
    assert incident.severity == "SEV2"
    _burst(slo, NOW - timedelta(minutes=30))
    status = _evaluate(slo, NOW, django_capture_on_commit_callbacks)
    assert status.alert_state == "page" and status.burn_incident == incident
    incident.refresh_from_db()
    assert incident.severity == "SEV2" and Incident.objects.count() == 1

    # Keel's evaluation first, then the alert: still one incident, still SEV2.
    Incident.objects.all().delete()
    Alert.objects.all().delete()
    SloStatus.objects.filter(slo=slo).update(alert_state="ok", firing=[])
    status = _evaluate(slo, NOW + timedelta(minutes=1), django_capture_on_commit_callbacks)
    own = status.burn_incident
    assert own.severity == "SEV2"
    deliver(token, [_burn_alert("page", fingerprint="c3" * 8)])
    assert list(Incident.objects.all()) == [own]
    own.refresh_from_db()
    assert own.severity == "SEV2"
    assert own.alerts.count() == 1
    assert not own.timeline.filter(kind=EntryKind.SEVERITY).exists()


def test_one_burn_has_one_open_incident_whichever_path_reports_it(
    slo, integration_and_token, deliver, django_capture_on_commit_callbacks, responder
):
    """Seen: the first burn's incident resolved while the burn went on; the evaluation
    opened a second, and the next alert a third. Now: the evaluation's new incident links
    to the first, and the alert joins it."""
    _, token = integration_and_token
    deliver(token, [_burn_alert("page")])
    first = Incident.objects.get()
    incident_resolve(incident=first, actor=Actor.of(responder), note="Looks fine")

    _burst(slo, NOW - timedelta(minutes=30))
    status = _evaluate(slo, NOW, django_capture_on_commit_callbacks)
    second = status.burn_incident
    assert second != first and second.is_open
    assert second.previous == first
    assert f"It follows {first.reference}." in second.timeline.get(kind="declared").text

    # The first alert resolves, then a second burst fires it again with a new start.
    deliver(token, [_burn_alert("page", status="resolved", ends_at=NOW + timedelta(minutes=1))])
    again = _burn_alert("page")
    again["startsAt"] = payloads.ts(NOW + timedelta(minutes=2))
    deliver(token, [again])
    assert (
        Incident.objects.filter(status__in=["investigating", "identified", "monitoring"]).count()
        == 1
    )
    assert Incident.objects.count() == 2
    assert Alert.objects.get(starts_at=NOW + timedelta(minutes=2)).incident == second
    assert SloStatus.objects.get(slo=slo).burn_incident == second

    # The evaluation's incident resolved too; the next alert opens a third, which follows it.
    incident_resolve(incident=second, actor=Actor.of(responder), note="Done")
    third_alert = _burn_alert("page", fingerprint="e5" * 8)
    deliver(token, [third_alert])
    third = Incident.objects.get(alerts__fingerprint="e5" * 8)
    assert third.previous == second  # the SLO's last burn incident, not the group's last


def test_the_end_of_a_burn_goes_on_the_timeline_and_follows_the_resolve_policy(
    slo, django_capture_on_commit_callbacks, checkout, deliver
):
    _burst(slo, NOW - timedelta(minutes=30))
    incident = _evaluate(slo, NOW, django_capture_on_commit_callbacks).burn_incident
    assert incident.status == Status.INVESTIGATING
    # The burst ends; an hour of clean traffic later no page-level pair fires.
    _clean(slo, NOW, 120)
    status = _evaluate(slo, NOW + timedelta(minutes=120), django_capture_on_commit_callbacks)
    assert status.alert_state != "page"
    incident.refresh_from_db()
    ended = incident.timeline.filter(kind=EntryKind.SLO_BURN, data__ended=True).get()
    assert "ended" in ended.text
    assert incident.status == Status.MONITORING  # the default resolve policy

    # The burn comes back: the same incident goes back to investigating.
    _burst(slo, NOW + timedelta(minutes=120), 30)
    status = _evaluate(slo, NOW + timedelta(minutes=150), django_capture_on_commit_callbacks)
    incident.refresh_from_db()
    assert status.burn_incident == incident and incident.status == Status.INVESTIGATING

    # An integration that resolves: its burn alert joined, resolved, and the burn ends.
    _, token = integration_create(
        actor=Actor.system(),
        name="am-resolves",
        default_service=checkout,
        resolve_policy=ResolvePolicy.RESOLVED,
    )
    deliver(token, [_burn_alert("page")])
    assert Incident.objects.count() == 1
    _clean(slo, NOW + timedelta(minutes=150), 150)
    status = _evaluate(slo, NOW + timedelta(minutes=300), django_capture_on_commit_callbacks)
    incident.refresh_from_db()
    # The burn's end is on the timeline, but the joined alert still fires: its resolve decides.
    assert incident.timeline.filter(kind=EntryKind.SLO_BURN, data__ended=True).count() == 2
    assert incident.status == Status.INVESTIGATING
    deliver(token, [_burn_alert("page", status="resolved", ends_at=NOW + timedelta(minutes=299))])
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED  # the joining integration's policy


def test_an_unreadable_sli_neither_ends_a_burn_nor_starts_one(
    slo, settings, django_capture_on_commit_callbacks
):
    _burst(slo, NOW - timedelta(minutes=30))
    incident = _evaluate(slo, NOW, django_capture_on_commit_callbacks).burn_incident
    slo.source, slo.total_query = "prometheus", "http_requests_total"
    slo.bad_query = 'http_requests_total{code="500"}'
    slo.save()
    settings.KEEL_PROMETHEUS_URL = "http://127.0.0.1:9"
    status = _evaluate(slo, NOW + timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert status.error and status.alert_state == "page"
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert not incident.timeline.filter(data__ended=True).exists()


def test_the_exported_ticket_alert_is_a_ticket_not_a_page(
    slo, integration_and_token, deliver, django_capture_on_commit_callbacks
):
    _, token = integration_and_token
    deliver(token, [_burn_alert("ticket")])
    assert not Incident.objects.exists()  # nothing opened, nobody paged
    alert = Alert.objects.get()
    assert alert.labels["severity"] == "ticket" and alert.incident is None
    deliver(token, [_burn_alert("ticket", status="resolved", ends_at=NOW)])
    assert Alert.objects.get().status == "resolved"
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()

    # A page-level alert of the same group opens the incident; the ticket one stays out.
    deliver(token, [_burn_alert("ticket", fingerprint="d4" * 8), _burn_alert("page")])
    incident = Incident.objects.get()
    assert incident.severity == "SEV2"
    assert list(incident.alerts.values_list("labels__severity", flat=True)) == ["page"]


def test_a_burn_alert_renamed_by_the_slo_files_alerting_name_is_still_the_slos_burn(
    slo, integration_and_token, deliver, django_capture_on_commit_callbacks
):
    """An SLO file's `alerting.name` renames the exported alert; its Keel labels (service,
    slo, severity, burn_window) still make it this SLO's burn: SEV2, one incident."""
    _, token = integration_and_token
    renamed = _burn_alert("page")
    renamed["labels"]["alertname"] = "CheckoutAvailabilityBurn"
    deliver(token, [renamed])
    incident = Incident.objects.get()
    assert incident.severity == "SEV2"
    _burst(slo, NOW - timedelta(minutes=30))
    status = _evaluate(slo, NOW, django_capture_on_commit_callbacks)
    assert status.burn_incident == incident and Incident.objects.count() == 1


def test_a_burn_first_heard_of_resolved_has_the_burns_severity(integration_and_token, deliver):
    """Its firing notification was lost: the resolved incident Keel records for it has the
    severity of the same burn seen firing, not the integration's mapping of `page`."""
    _, token = integration_and_token
    deliver(token, [_burn_alert("page", status="resolved", ends_at=NOW - timedelta(minutes=1))])
    incident = Incident.objects.get()
    assert incident.status == Status.RESOLVED
    assert incident.severity == "SEV2"
