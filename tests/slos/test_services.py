"""SLO services on PostgreSQL: pushed counts, evaluation, burn incidents, budget impact."""
# mypy: disable-error-code="operator"

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from catalog.models import Service
from core.actors import Actor
from incidents.models import Incident, TimelineEntry
from incidents.services import incident_correct_time, incident_declare, incident_resolve
from slos.errors import SloError
from slos.models import IncidentImpact, SliBucket, SloStatus
from slos.services import (
    correction_create,
    events_push,
    slo_create,
    slo_evaluate,
    slo_figures,
)
from tests.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SYSTEM = Actor.system()


def test_pushed_counts_add_up_per_minute(checkout):
    slo = SLOFactory(service=checkout)
    events = [
        {"at": "2026-11-20T11:58:10Z", "good": 90, "total": 100},
        {"at": "2026-11-20T11:58:50Z", "good": 10, "total": 10},
        {"at": "2026-11-20T11:59:00Z", "good": 5, "total": 5},
    ]
    assert events_push(actor=SYSTEM, slo=slo, events=events, at=NOW) == 2
    events_push(actor=SYSTEM, slo=slo, events=events[:1], at=NOW)
    rows = list(SliBucket.objects.filter(slo=slo).order_by("minute").values_list("good", "total"))
    assert rows == [(190, 210), (5, 5)]


@pytest.mark.parametrize(
    "bad",
    [
        {"at": "yesterday", "good": 1, "total": 1},
        {"at": "2026-11-20T11:00:00", "good": 1, "total": 1},
        {"at": "2026-11-20T11:00:00Z", "good": 2, "total": 1},
        {"at": "2026-11-20T11:00:00Z", "good": -1, "total": 1},
        {"at": "2026-11-20T11:00:00Z", "good": 1.5, "total": 2},
        {"at": "2026-11-21T11:00:00Z", "good": 1, "total": 1},
        "not an object",
    ],
)
def test_one_bad_event_refuses_the_whole_batch(checkout, bad):
    slo = SLOFactory(service=checkout)
    good = {"at": "2026-11-20T11:00:00Z", "good": 1, "total": 1}
    with pytest.raises(SloError) as raised:
        events_push(actor=SYSTEM, slo=slo, events=[good, bad], at=NOW)
    assert "events[1]" in raised.value.message
    assert not SliBucket.objects.exists()


def test_viewers_cannot_push(checkout, viewer):
    from django.core.exceptions import PermissionDenied

    slo = SLOFactory(service=checkout)
    with pytest.raises(PermissionDenied):
        events_push(
            actor=Actor.of(viewer),
            slo=slo,
            events=[{"at": "2026-11-20T11:00:00Z", "good": 1, "total": 1}],
            at=NOW,
        )


def test_e1_budget_from_pushed_counts(checkout):
    slo = SLOFactory(service=checkout)
    push_minutes(
        slo, NOW - timedelta(hours=2), 1, good=10_000_000 - 3_260, total=10_000_000, now=NOW
    )
    figures = slo_figures(slo, at=NOW)
    assert figures.allowed == 10_000
    assert figures.remaining == Decimal("0.674")
    assert figures.tier == "healthy"


def test_e4_timeslices_and_e7_correction(checkout, admin_user):
    slo = SLOFactory(service=checkout, budgeting_method="timeslices", slice_target=Decimal("0.99"))
    outage = NOW - timedelta(days=2)
    push_minutes(
        slo,
        NOW - timedelta(days=3),
        3 * 1440,
        good=1000,
        total=1000,
        now=NOW,
        worse=(outage, 40, 750),
    )
    figures = slo_figures(slo, at=NOW)
    assert figures.bad == 40
    assert figures.allowed == Decimal("43.2")
    assert round(float(1 - figures.remaining) * 100, 1) == 92.6

    # E7: a 120-minute correction covering the first 10 outage minutes... of a 30-minute outage
    SliBucket.objects.filter(slo=slo).delete()
    push_minutes(
        slo,
        NOW - timedelta(days=3),
        3 * 1440,
        good=1000,
        total=1000,
        now=NOW,
        worse=(outage, 30, 750),
    )
    correction_create(
        actor=Actor.of(admin_user),
        slo=slo,
        start=outage - timedelta(minutes=110),
        end=outage + timedelta(minutes=10),
        category="maintenance",
        reason="database failover drill",
    )
    figures = slo_figures(slo, at=NOW)
    assert figures.bad == 20
    assert figures.allowed == Decimal("43.08")
    assert round(float(1 - figures.remaining) * 100, 1) == 46.4


def test_e5_incident_impact_live_then_frozen_then_recomputed(
    checkout, responder, django_capture_on_commit_callbacks
):
    slo = SLOFactory(service=checkout)
    # 1000 requests a second; 5% errors for 30 minutes, 3 hours ago. The window containing
    # the incident is the 30 days before its end.
    started = NOW - timedelta(hours=3)
    window_start = started + timedelta(minutes=30) - timedelta(days=30)
    push_minutes(
        slo,
        window_start,
        43200,
        good=60_000,
        total=60_000,
        now=NOW,
        worse=(started, 30, 57_000),
    )
    actor = Actor.of(responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=actor,
            title="Checkout errors",
            severity="SEV2",
            services=[checkout],
            started_at=started,
            at=started + timedelta(minutes=20),
        )
    live = IncidentImpact.objects.get(incident=incident, slo=slo)
    assert not live.frozen
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=actor, at=started + timedelta(minutes=30))
    impact = IncidentImpact.objects.get(incident=incident, slo=slo)
    assert impact.frozen
    assert impact.bad == 90_000
    assert impact.allowed == 2_592_000
    assert round(float(impact.fraction) * 100, 2) == 3.47
    assert TimelineEntry.objects.filter(incident=incident, kind="budget_impact").count() == 1

    # the start was 10 minutes later than recorded: 20 minutes of errors fall inside
    with django_capture_on_commit_callbacks(execute=True):
        incident_correct_time(
            incident=incident,
            field="started_at",
            value=started + timedelta(minutes=10),
            reason="first error at 09:10",
            actor=actor,
        )
    impact.refresh_from_db()
    assert impact.frozen
    assert impact.bad == 60_000
    entry = TimelineEntry.objects.filter(incident=incident, kind="budget_impact").latest("id")
    assert "3.5% → 2.3%" in entry.text


def test_page_level_burn_opens_one_incident_and_joins_it(checkout):
    slo = SLOFactory(service=checkout)
    push_minutes(slo, NOW - timedelta(days=1), 1440 - 30, good=1000, total=1000, now=NOW)
    push_minutes(slo, NOW - timedelta(minutes=30), 30, good=500, total=1000, now=NOW)
    status = slo_evaluate(slo=slo, at=NOW)
    assert status.alert_state == "page"
    assert {w["name"] for w in status.firing} >= {"page-fast", "page-slow"}
    incident = status.burn_incident
    assert incident is not None and incident.is_open
    assert list(incident.services.all()) == [checkout]
    burn = TimelineEntry.objects.get(incident=incident, kind="slo_burn")
    assert "500.0x" in burn.text
    # still burning a minute later: same incident, no new entry
    push_minutes(slo, NOW, 1, good=500, total=1000, now=NOW + timedelta(minutes=1))
    again = slo_evaluate(slo=slo, at=NOW + timedelta(minutes=1))
    assert again.burn_incident_id == incident.pk
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.filter(incident=incident, kind="slo_burn").count() == 1


def test_no_data_is_not_a_full_budget(checkout):
    slo = SLOFactory(service=checkout)
    status = slo_evaluate(slo=slo, at=NOW)
    assert status.remaining is None
    assert status.tier == "freeze"
    assert SloStatus.objects.count() == 1


def test_admins_create_slos_and_bad_definitions_are_refused(checkout, admin_user, responder):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        slo_create(actor=Actor.of(responder), service=checkout, name="x", objective=Decimal("99"))
    with pytest.raises(SloError) as raised:
        slo_create(
            actor=Actor.of(admin_user),
            service=checkout,
            name="latency",
            objective=Decimal("99"),
            source="prometheus",
        )
    assert raised.value.field == "total_query"
    with pytest.raises(SloError) as raised:
        slo_create(actor=Actor.of(admin_user), service=checkout, name="a", objective=Decimal("100"))
    assert raised.value.field == "objective"
    slo = slo_create(
        actor=Actor.of(admin_user), service=checkout, name="a", objective=Decimal("99.95")
    )
    assert slo.windows()[0].factor == Fraction("14.4")


def test_daily_sums_agree_with_the_minutes(checkout):
    """A 30-day budget reads daily sums plus the partial days' minutes; it must equal the
    sum of every minute, whatever the batches and their time zones."""
    import random

    from slos import sli
    from slos.models import SliBucket

    slo = SLOFactory(service=checkout)
    rng = random.Random(4)
    for _ in range(20):
        events = []
        for _ in range(200):
            at = NOW - timedelta(minutes=rng.randrange(0, 40 * 1440))
            total = rng.randrange(0, 50)
            events.append(
                {
                    "at": at.astimezone(timezone_plus_5()).isoformat(),
                    "good": rng.randrange(0, total + 1),
                    "total": total,
                }
            )
        events_push(actor=SYSTEM, slo=slo, events=events, at=NOW)
    start = NOW - timedelta(days=30, minutes=17)
    counts = sli.counts(slo, start, NOW)
    minutes = SliBucket.objects.filter(slo=slo, minute__gte=start, minute__lt=NOW)
    assert counts.total == sum(minutes.values_list("total", flat=True))
    assert counts.good == sum(minutes.values_list("good", flat=True))


def timezone_plus_5():
    from datetime import timezone as tz

    return tz(timedelta(hours=5))


def test_an_alert_from_exported_rules_links_its_incident_to_the_slo(
    client, integration_and_token, django_capture_on_commit_callbacks
):
    """A KeelErrorBudgetBurn alert through Alertmanager opens an incident; the evaluator then
    joins that incident instead of opening a second one."""
    from tests.incidents import payloads

    _, token = integration_and_token
    slo = SLOFactory(service=Service.objects.get(slug="checkout"), name="availability")
    push_minutes(slo, NOW - timedelta(hours=2), 90, good=1000, total=1000, now=NOW)
    slo_evaluate(slo=slo, at=NOW - timedelta(minutes=30))
    alert = payloads.alert(
        alertname="KeelErrorBudgetBurn",
        extra_labels={"slo": "availability", "burn_window": "page-fast"},
        starts_at=payloads.ts(NOW - timedelta(minutes=5)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/hooks/alertmanager/",
            data=payloads.body(payloads.notification([alert])),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert SloStatus.objects.get(slo=slo).burn_incident == incident
    push_minutes(slo, NOW - timedelta(minutes=30), 30, good=0, total=1000, now=NOW)
    status = slo_evaluate(slo=slo, at=NOW)
    assert status.alert_state == "page"
    assert Incident.objects.count() == 1
    assert TimelineEntry.objects.filter(incident=incident, kind="slo_burn").count() == 1


def test_ticket_level_burn_emails_the_owning_team_and_opens_no_incident(
    checkout, responder, django_capture_on_commit_callbacks
):
    from django.core import mail

    from catalog.models import Team

    team = Team.objects.create(name="Payments", slug="payments")
    team.members.add(responder)
    checkout.owner = team
    checkout.save()
    slo = SLOFactory(service=checkout)
    # 0.5% errors for a day: burn 5, over ticket-fast (3) but under page-slow (6)
    push_minutes(slo, NOW - timedelta(days=1), 1440, good=995, total=1000, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        status = slo_evaluate(slo=slo, at=NOW)
    assert status.alert_state == "ticket"
    assert not Incident.objects.exists()
    assert [m.to for m in mail.outbox] == [[responder.email]]
    assert "ticket-fast" in mail.outbox[0].body
