"""One number per fact: an incident's debit (docs/budget.md) is the same on every surface,
counts each bad event once, covers the episode from where the SLI turned bad, and the
drafted postmortem summary follows corrected times."""

import re
from datetime import timedelta
from fractions import Fraction

import pytest
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from incidents.models import Incident
from incidents.services import incident_correct_time, incident_declare, incident_resolve
from postmortems import services as pm
from postmortems.render import render_html
from slos.models import IncidentImpact
from slos.services import slo_evaluate
from slos.services.impact import incident_impacts_update
from tests.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


def declare(service, responder, start, *, declared_after=MINUTE, title="Checkout errors"):
    return incident_declare(
        actor=Actor.of(responder),
        title=title,
        severity="SEV2",
        services=[service],
        started_at=start,
        at=start + declared_after,
    )


def resolve(incident, responder, end):
    incident_resolve(incident=incident, actor=Actor.of(responder), at=end)
    incident_impacts_update(incident_id=incident.pk, change="resolved", at=end)


@pytest.fixture
def demo(checkout, responder):
    """As on the demo: the SLO's data begins a day before a 60-minute burst (50 of 1,000
    requests a minute fail), and today is two days after it. The frozen debit is a share of
    the window in force at resolution (1,500 minutes of data: 1,500 allowed, 3,000 bad =
    200.0%); today's window holds 4,380 minutes, where the same events would be 68.5%."""
    now = timezone.now().replace(second=0, microsecond=0)
    end = now - timedelta(days=2)
    start = end - timedelta(minutes=60)
    first = start - timedelta(days=1)
    slo = SLOFactory(service=checkout, name="availability")
    minutes = int((now - first) / MINUTE)
    push_minutes(slo, first, minutes, good=1000, total=1000, now=now, worse=(start, 60, 950))
    incident = declare(checkout, responder, start, title="Payment provider timeouts")
    resolve(incident, responder, end)
    slo_evaluate(slo=slo, at=now)
    return slo, incident, end


def test_every_surface_shows_the_same_debit(demo, client: Client, responder):
    """Seen on the demo: the ledger said 29.3% while the list below it, the service page,
    the weekly report and the postmortem said 213.6%. Every surface now shows the one
    figure, and names the window it is a share of."""
    slo, incident, end = demo
    expected_share = Fraction(3000, 1500)
    figure = "200.0%"
    sentence = f"{figure} of the budget of the 30-day window ending {end:%Y-%m-%d %H:%M} UTC"
    today = f"{3000 / 4380 * 100:.1f}%"  # what the ledger used to say: 68.5%

    client.force_login(responder)
    surfaces = {
        "SLO page": text_of(client.get(f"/slos/{slo.pk}/").content.decode()),
        "service page": text_of(client.get("/slos/services/checkout/").content.decode()),
        "weekly report": text_of(client.get("/slos/report/").content.decode()),
        "incident room": text_of(client.get(f"/incidents/{incident.number}/").content.decode()),
    }
    postmortem = pm.postmortem_draft(incident=incident, actor=Actor.of(responder))
    surfaces["postmortem"] = text_of(render_html(pm.postmortem_document(postmortem=postmortem)))
    for name, text in surfaces.items():
        assert today not in text, name  # the figure of a window the debit is not a share of
        assert sentence in text, name

    ledger = surfaces["SLO page"]
    row = ledger[ledger.index("Allowance") : ledger.index("outside any incident")]
    assert f"{incident.reference} 3000 {sentence}" in row

    api = client.get(f"/api/v1/budget-impacts/?incident={incident.number}").json()
    [found] = api["results"]
    assert Fraction(found["fraction"]) == expected_share
    assert found["percent"] == figure
    assert found["text"].startswith(sentence)
    assert found["bad"].startswith("3000")

    ledger_api = client.get(f"/api/v1/slos/{slo.pk}/ledger/").json()
    [line] = [line for line in ledger_api["lines"] if line["debit"]]
    assert line["label"] == incident.reference and line["bad"] == "3000.000000"
    assert line["debit"]["percent"] == figure
    assert line["debit"]["text"].startswith(sentence)

    from slos.report import report_text, weekly_report

    assert sentence in report_text(weekly_report(at=timezone.now()))
    [impact] = postmortem.facts["budget_impact"]
    assert impact["text"].startswith(f"consumed {sentence}")


def test_overlapping_incidents_debit_each_bad_event_once(checkout, responder, client, viewer):
    """Seen: the ledger debited the same bad events to two incidents and cut "outside any
    incident" accordingly. Now the overlap is shared equally, and the ledger says so."""
    now = timezone.now().replace(second=0, microsecond=0)
    burst = now - timedelta(hours=2)
    slo = SLOFactory(service=checkout, name="availability")
    push_minutes(
        slo, now - timedelta(hours=4), 240, good=1000, total=1000, now=now, worse=(burst, 30, 900)
    )
    first = declare(checkout, responder, burst, title="Checkout errors")
    second = declare(checkout, responder, burst + timedelta(minutes=10), title="Payments down")
    resolve(first, responder, burst + timedelta(minutes=20))
    resolve(second, responder, burst + timedelta(minutes=30))
    slo_evaluate(slo=slo, at=now)

    one = IncidentImpact.objects.get(incident=first)
    two = IncidentImpact.objects.get(incident=second)
    # The second incident opened ten minutes into the burst: its debit also starts where the
    # SLI turned bad. 30 bad minutes of 100 bad events; minutes 0-19 are in both periods:
    # 2,000 bad events shared equally, and the last 1,000 are the second incident's alone.
    assert one.bad + two.bad == 3000
    assert two.period_start == burst
    assert one.bad == 1000 and two.bad == 2000
    assert one.shared == [
        {"with": [second.reference], "bad": "2000.000000", "debited": "1000.000000"}
    ]

    client.force_login(viewer)
    text = text_of(client.get(f"/slos/{slo.pk}/").content.decode())
    assert "outside any incident 0 " in text
    assert f"shares 2,000 bad events equally with {second.reference} (1,000 debited here)" in text
    assert f"shares 2,000 bad events equally with {first.reference} (1,000 debited here)" in text
    # the earlier incident learned that its debit changed
    entries = list(Incident.objects.get(pk=first.pk).timeline.values_list("text", flat=True))
    assert any(f"shared with {second.reference}" in e for e in entries)


def test_the_debit_covers_the_episode_from_where_the_sli_turned_bad(
    checkout, responder, client, viewer
):
    """Seen: the incident opened when the page alert fired, 4.5 minutes into the burst, so a
    third of the burst was outside its debit. The period now starts where the SLI turned
    bad, says so, and a corrected start is taken as given."""
    now = timezone.now().replace(second=0, microsecond=0)
    burst = now - timedelta(hours=1)
    slo = SLOFactory(service=checkout, name="availability")
    push_minutes(
        slo, now - timedelta(hours=3), 180, good=1000, total=1000, now=now, worse=(burst, 14, 900)
    )
    opened = burst + timedelta(minutes=4, seconds=30)
    incident = declare(checkout, responder, opened, declared_after=timedelta(seconds=5))
    resolve(incident, responder, burst + timedelta(minutes=14))

    impact = IncidentImpact.objects.get(incident=incident)
    assert impact.period_start == burst
    assert impact.period_source == "sli"
    assert impact.bad == 1400  # the whole burst, not the 9 minutes after the alert
    client.force_login(viewer)
    room = text_of(client.get(f"/incidents/{incident.number}/").content.decode())
    assert f"{burst:%Y-%m-%d %H:%M} UTC to" in room
    assert "from where the SLI turned bad" in room

    corrected = burst + timedelta(minutes=2, seconds=15, milliseconds=250)
    incident_correct_time(
        incident=incident,
        field="started_at",
        value=corrected,
        reason="The first errors were at 2 min 15 s.",
        actor=Actor.of(responder),
        at=now,
    )
    incident_impacts_update(incident_id=incident.pk, change="times_corrected", at=now)
    impact.refresh_from_db()
    assert impact.period_start == corrected  # exact, not truncated to a whole second
    assert impact.period_source == "corrected"
    assert impact.bad == 1100  # minutes 3-13 start inside the corrected period
    room = text_of(client.get(f"/incidents/{incident.number}/").content.decode())
    assert f"{corrected:%Y-%m-%d %H:%M:%S}.250 UTC to" in room
    assert "from the corrected start" in room


def test_drafted_summary_follows_a_time_correction(
    checkout, responder, django_capture_on_commit_callbacks
):
    """Seen: after a time correction the drafted summary still said "Resolved after 13 min
    53 s" while its facts said 18 min 21 s. Drafted text follows the facts until a person
    edits it."""
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(hours=1)
    incident = declare(checkout, responder, start)
    incident_resolve(
        incident=incident, actor=Actor.of(responder), at=start + timedelta(minutes=13, seconds=53)
    )
    postmortem = pm.postmortem_draft(incident=incident, actor=Actor.of(responder))
    summary = postmortem.sections.get(key="summary")
    assert "Resolved after 13 min 53 s." in summary.body

    with django_capture_on_commit_callbacks(execute=True):
        incident_correct_time(
            incident=Incident.objects.get(pk=incident.pk),
            field="started_at",
            value=start - timedelta(minutes=4, seconds=28),
            reason="Errors began earlier.",
            actor=Actor.of(responder),
            at=now,
        )
    postmortem.refresh_from_db()
    summary.refresh_from_db()
    ttr = next(d for d in postmortem.facts["durations"] if d["key"] == "time_to_resolve")
    assert ttr["text"] == "18 min 21 s"
    assert "Resolved after 18 min 21 s." in summary.body

    edited = summary.body + "A person's words.\n"
    pm.postmortem_edit_section(
        postmortem=postmortem,
        key="summary",
        body=edited,
        base_revision=summary.revision,
        actor=Actor.of(responder),
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident_correct_time(
            incident=Incident.objects.get(pk=incident.pk),
            field="started_at",
            value=start - timedelta(minutes=6),
            reason="Even earlier.",
            actor=Actor.of(responder),
            at=now,
        )
    postmortem.refresh_from_db()
    assert "19 min 53 s" in str(postmortem.facts["durations"])  # the facts did follow
    summary.refresh_from_db()
    assert summary.body == edited


def test_a_prometheus_period_is_queried_to_the_millisecond(checkout, monkeypatch):
    """Seen: periods were truncated to whole seconds. A period of 13 min 53.6 s asks
    Prometheus for exactly that."""
    from slos import sli
    from slos.prometheus import Sample

    asked: list[str] = []

    class Fake:
        def instant(self, query, *, at):
            asked.append(query)
            return Sample(Fraction(1000), at)

    monkeypatch.setattr(sli, "prometheus_client", lambda: Fake())
    slo = SLOFactory(
        service=checkout,
        source="prometheus",
        total_query="http_requests_total",
        bad_query='http_requests_total{code=~"5.."}',
    )
    start = timezone.now() - timedelta(hours=1)
    sli.counts(slo, start, start + timedelta(minutes=13, seconds=53, milliseconds=600))
    assert asked == [
        "sum(increase(http_requests_total[833600ms]))",
        'sum(increase(http_requests_total{code=~"5.."}[833600ms]))',
    ]


def test_the_postmortem_states_the_frozen_debit(
    checkout, responder, django_capture_on_commit_callbacks
):
    """The postmortem is drafted on resolution, possibly before the debit freezes: once it
    freezes (or is recomputed), an unpublished postmortem states the frozen figure."""
    now = timezone.now().replace(second=0, microsecond=0)
    burst = now - timedelta(hours=1)
    slo = SLOFactory(service=checkout, name="availability")
    push_minutes(
        slo, now - timedelta(hours=3), 150, good=1000, total=1000, now=now, worse=(burst, 10, 900)
    )
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(checkout, responder, burst)
    end = burst + timedelta(minutes=20)
    # Resolution: the postmortem's draft happens to run first and states the live figure...
    incident_resolve(incident=incident, actor=Actor.of(responder), at=end)
    postmortem = pm.postmortem_draft(incident=incident, actor=Actor.of(responder))
    live = postmortem.facts["budget_impact"][0]["fraction"]
    # ...then the debit freezes, as of the resolution
    with django_capture_on_commit_callbacks(execute=True):
        incident_impacts_update(incident_id=incident.pk, change="resolved", at=end)
    impact = IncidentImpact.objects.get(incident=incident)
    assert impact.frozen
    postmortem.refresh_from_db()
    [stated] = postmortem.facts["budget_impact"]
    assert Fraction(str(stated["fraction"])) == Fraction(impact.fraction)
    assert stated["fraction"] != live


def test_a_timeslice_episode_starts_at_the_first_bad_slice(checkout, responder):
    """For timeslices a minute is bad when its SLI is below the slice target: ten minutes at
    99.5% (within a 99% slice target) do not start the episode; the 95% burst does."""
    from decimal import Decimal

    now = timezone.now().replace(second=0, microsecond=0)
    burst = now - timedelta(hours=1)
    slo = SLOFactory(
        service=checkout,
        name="availability",
        budgeting_method="timeslices",
        slice_target=Decimal("0.99"),
    )
    push_minutes(
        slo,
        now - timedelta(hours=2),
        120,
        good=1000,
        total=1000,
        now=now,
        worse=(burst - timedelta(minutes=10), 10, 995),
    )
    push_minutes(slo, burst, 10, good=950, total=1000, now=now)
    incident = declare(checkout, responder, burst + timedelta(minutes=2, seconds=30))
    resolve(incident, responder, burst + timedelta(minutes=10))

    impact = IncidentImpact.objects.get(incident=incident)
    assert impact.period_start == burst
    assert impact.period_source == "sli"
    assert impact.bad == 10  # bad slices
