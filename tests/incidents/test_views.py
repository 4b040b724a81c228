"""The incident pages: what each role sees and can do, bad input, bounded queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from incidents.choices import EntryKind, Severity, Status
from incidents.models import Alert, Incident, TimelineEntry
from incidents.services import (
    incident_acknowledge,
    incident_close,
    incident_declare,
    incident_reopen,
    incident_resolve,
)
from tests.factories import ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def _declare(user, title="Checkout is down", severity=Severity.SEV2, **kwargs):
    return incident_declare(actor=Actor.of(user), title=title, severity=severity, **kwargs)


@pytest.fixture
def as_responder(client, responder):
    client.force_login(responder)
    return client


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


def room(incident):
    return reverse("ui:incident-room", args=[incident.number])


def action(name, incident):
    return reverse(f"ui:incident-{name}", args=[incident.number])


# --- sign-in -------------------------------------------------------------------------


def test_pages_need_sign_in(client):
    for url in ["/", "/incidents/", "/alerts/", "/metrics/", "/incidents/declare/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_login_with_password_lands_on_the_dashboard(client, responder):
    response = client.post(
        "/login/", {"username": "rita", "password": "correct horse battery staple"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert b"Needs acknowledgement" in page.content


def test_login_with_wrong_password_shows_an_error_and_keeps_the_username(client, responder):
    response = client.post("/login/", {"username": "rita", "password": "nope"})
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert b'value="rita"' in response.content


def test_logout_is_a_post(as_responder):
    response = as_responder.post("/logout/")
    assert response.status_code == 302
    assert as_responder.get("/").status_code == 302


# --- dashboard -----------------------------------------------------------------------


def test_dashboard_puts_unacknowledged_first_and_shows_recently_resolved(as_responder, responder):
    _declare(responder, title="Payments timing out", severity=Severity.SEV1)
    worked = _declare(responder, title="Search slow", severity=Severity.SEV3)
    incident_acknowledge(incident=worked, actor=Actor.of(responder))
    done = _declare(responder, title="Old DNS issue")
    incident_resolve(incident=done, actor=Actor.of(responder))
    page = as_responder.get("/").content.decode()
    assert page.index("Needs acknowledgement") < page.index("Payments timing out")
    assert page.index("Payments timing out") < page.index("Being worked on")
    assert page.index("Being worked on") < page.index("Search slow")
    assert page.index("Resolved in the last") < page.index("Old DNS issue")
    assert "SEV1: 1" in page and "SEV3: 1" in page
    # the slots for on-call and SLOs are present
    assert "On call now" in page and "Error budgets at risk" in page


def test_a_reopened_incident_needs_acknowledgement_again_on_the_dashboard(as_responder, responder):
    back = _declare(responder, title="Queue backlog")
    incident_acknowledge(incident=back, actor=Actor.of(responder))
    incident_resolve(incident=back, actor=Actor.of(responder))
    incident_reopen(incident=back, actor=Actor.of(responder))
    page = as_responder.get("/").content.decode()
    assert "Needs acknowledgement (1)" in page
    assert page.index("Needs acknowledgement") < page.index("Queue backlog")
    assert page.index("Queue backlog") < page.index("Being worked on")


def test_dashboard_refresh_returns_only_the_live_part(as_responder, responder):
    _declare(responder, title="Payments timing out")
    response = as_responder.get("/", HTTP_HX_REQUEST="true")
    assert b"Payments timing out" in response.content
    assert b"<html" not in response.content


# --- incident list -------------------------------------------------------------------


def test_list_filters_by_status_severity_service_kind_text_and_dates(as_viewer, responder):
    checkout = ServiceFactory(slug="checkout")
    a = _declare(responder, title="Checkout errors", severity=Severity.SEV1, services=[checkout])
    b = _declare(responder, title="Search latency", severity=Severity.SEV3, summary="slow queries")
    c = _declare(responder, title="Drill: failover", kind="drill")
    incident_resolve(incident=b, actor=Actor.of(responder))

    def titles(query):
        response = as_viewer.get("/incidents/" + query)
        assert response.status_code == 200
        return {i.title for i in response.context["incidents"]}

    assert titles("") == {a.title, b.title, c.title}
    assert titles("?status=open") == {a.title, c.title}
    assert titles("?status=resolved") == {b.title}
    assert titles("?severity=SEV1") == {a.title}
    assert titles("?service=checkout") == {a.title}
    assert titles("?kind=drill") == {c.title}
    assert titles("?q=QUERIES") == {b.title}  # summary, case-insensitive
    today = timezone.localdate()
    assert titles(f"?since={today}&until={today}") == {a.title, b.title, c.title}
    assert titles(f"?until={today - timedelta(days=1)}") == set()


def test_list_sorts_and_paginates_with_bookmarkable_urls(as_viewer, responder):
    for n in range(55):
        _declare(responder, title=f"Incident {n:02d}")
    first = as_viewer.get("/incidents/?sort=number")
    numbers = [i.number for i in first.context["incidents"]]
    assert numbers == sorted(numbers) and len(numbers) == 50
    assert b"?sort=number&amp;page=2" in first.content
    second = as_viewer.get("/incidents/?sort=number&page=2")
    assert len(second.context["incidents"]) == 5
    assert second.context["incidents"][0].number == numbers[-1] + 1


def test_list_rejects_bad_filters_with_a_message_next_to_the_field(as_viewer):
    response = as_viewer.get("/incidents/?severity=SEV9&since=2026-05-02&until=2026-05-01")
    assert response.status_code == 400
    form = response.context["form"]
    assert "severity" in form.errors and "until" in form.errors
    assert b"The end of the range is before its start." in response.content


def test_list_runs_a_bounded_number_of_queries(as_viewer, responder, django_assert_max_num_queries):
    service = ServiceFactory(slug="api")
    for n in range(30):
        _declare(responder, title=f"Incident {n}", services=[service])
    as_viewer.get("/incidents/")  # the session's first request reads the profile
    with django_assert_max_num_queries(12):
        response = as_viewer.get("/incidents/")
    assert len(response.context["incidents"]) == 30


# --- declare -------------------------------------------------------------------------


def test_declare_creates_the_incident_and_opens_its_room(as_responder, responder):
    checkout = ServiceFactory(slug="checkout", name="Checkout")
    response = as_responder.post(
        "/incidents/declare/",
        {
            "title": "Card payments failing",
            "severity": "SEV1",
            "services": [checkout.pk],
            "summary": "Errors from **the PSP**",
            "kind": "manual",
        },
    )
    incident = Incident.objects.get(title="Card payments failing")
    assert response.status_code == 302 and response["Location"] == room(incident)
    assert incident.severity == "SEV1" and incident.commander == responder
    assert list(incident.services.all()) == [checkout]
    page = as_responder.get(room(incident)).content.decode()
    assert "<strong>the PSP</strong>" in page


def test_declare_with_bad_input_keeps_the_input_and_changes_nothing(as_responder):
    response = as_responder.post(
        "/incidents/declare/",
        {"title": "  ", "severity": "SEV9", "summary": "keep me", "kind": "manual"},
    )
    assert response.status_code == 400
    assert "severity" in response.context["form"].errors
    assert b"keep me" in response.content
    assert Incident.objects.count() == 0


def test_viewer_cannot_declare(as_viewer):
    page = as_viewer.get("/incidents/declare/")
    assert b"can see incidents but not declare them" in page.content
    response = as_viewer.post(
        "/incidents/declare/", {"title": "Nope", "severity": "SEV3", "kind": "manual"}
    )
    assert response.status_code == 403
    assert Incident.objects.count() == 0


# --- the room ------------------------------------------------------------------------


def test_room_shows_header_alerts_and_timeline(as_viewer, responder):
    incident = _declare(responder, title="Checkout is down", summary="See <script>x</script>")
    response = as_viewer.get(room(incident))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"INC-{incident.number}" in page and "Checkout is down" in page
    assert "Since start" in page and "Since detection" in page
    assert "declared" in page
    assert "<script>x</script>" not in page


def test_room_of_unknown_incident_is_a_404_page(as_viewer):
    response = as_viewer.get("/incidents/99999/")
    assert response.status_code == 404
    assert b"No incident INC-99999." in response.content and b"<html" in response.content
    assert as_viewer.post("/incidents/99999/acknowledge/").status_code == 404


def test_viewer_sees_no_action_and_every_action_is_refused(as_viewer, responder):
    incident = _declare(responder)
    page = as_viewer.get(room(incident)).content.decode()
    for label in ["Acknowledge", "Resolve", "Add note", "Change severity", "I'm the commander"]:
        assert f">{label}<" not in page
    posts = [
        ("acknowledge", {}),
        ("severity", {"severity-severity": "SEV1"}),
        ("status", {"status-status": "identified"}),
        ("note", {"note-text": "hello"}),
        ("command", {}),
        ("resolve", {}),
        ("details", {"details-title": "Renamed"}),
    ]
    for name, data in posts:
        response = as_viewer.post(action(name, incident), data)
        assert response.status_code == 403, name
        assert b"This needs the responder role." in response.content, name
    incident.refresh_from_db()
    assert incident.acknowledged_at is None and incident.severity == Severity.SEV2
    assert incident.status == Status.INVESTIGATING and incident.title == "Checkout is down"
    assert incident.timeline.count() == 1


def test_acknowledge_then_status_severity_note_and_resolve(as_responder, responder):
    incident = _declare(responder)
    assert as_responder.post(action("acknowledge", incident)).status_code == 302
    response = as_responder.post(
        action("status", incident), {"status-status": "identified", "status-note": "bad deploy"}
    )
    assert response.status_code == 302
    assert (
        as_responder.post(action("severity", incident), {"severity-severity": "SEV1"}).status_code
        == 302
    )
    assert (
        as_responder.post(
            action("note", incident), {"note-text": "Rolled back [v42](https://ci.example/42)"}
        ).status_code
        == 302
    )
    assert (
        as_responder.post(action("resolve", incident), {"resolve-note": "fixed"}).status_code == 302
    )
    incident.refresh_from_db()
    assert incident.acknowledged_by == responder
    assert incident.severity == Severity.SEV1 and incident.status == Status.RESOLVED
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["declared", "acknowledged", "status", "severity", "note", "resolved"]
    page = as_responder.get(room(incident)).content.decode()
    assert '<a href="https://ci.example/42" rel="noopener noreferrer nofollow">v42</a>' in page
    assert ">Reopen<" in page and ">Close<" in page and ">Acknowledge<" not in page


def test_status_form_offers_only_legal_moves_and_refuses_others(as_responder, responder):
    incident = _declare(responder)
    page = as_responder.get(room(incident)).content.decode()
    assert 'value="identified"' in page and 'value="monitoring"' in page
    response = as_responder.post(action("status", incident), {"status-status": "closed"})
    assert response.status_code == 400
    assert "status" in response.context["forms"]["status"].errors
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING


def test_empty_note_is_an_error_next_to_the_field(as_responder, responder):
    incident = _declare(responder)
    response = as_responder.post(action("note", incident), {"note-text": "   "})
    assert response.status_code == 400
    assert response.context["forms"]["note"].errors["text"]
    assert incident.timeline.filter(kind=EntryKind.NOTE).count() == 0


def test_note_markdown_is_sanitized(as_responder, responder):
    incident = _declare(responder)
    as_responder.post(
        action("note", incident),
        {"note-text": "<img src=x onerror=alert(1)> [x](javascript:alert(1)) **ok**"},
    )
    page = as_responder.get(room(incident)).content.decode()
    assert "<img" not in page and 'href="javascript' not in page
    assert "<strong>ok</strong>" in page


def test_take_command_and_manage_responders(as_responder, responder, admin_user):
    incident = _declare(admin_user)
    assert incident.commander == admin_user
    as_responder.post(action("command", incident))
    as_responder.post(action("responder-add", incident), {"responder-username": "ada"})
    incident.refresh_from_db()
    assert incident.commander == responder
    assert list(incident.responders.values_list("username", flat=True)) == ["ada"]
    bad = as_responder.post(action("responder-add", incident), {"responder-username": "ghost"})
    assert bad.status_code == 400
    assert b"No active user is named" in bad.content and b'value="ghost"' in bad.content
    as_responder.post(action("responder-remove", incident), {"responder-username": "ada"})
    assert incident.responders.count() == 0
    again = as_responder.post(action("responder-remove", incident), {"responder-username": "ada"})
    assert again.status_code == 400 and b"is not a responder" in again.content


def test_edit_details(as_responder, responder):
    api = ServiceFactory(slug="api", name="API")
    incident = _declare(responder)
    response = as_responder.post(
        action("details", incident),
        {"details-title": "API errors", "details-summary": "new", "details-services": [api.pk]},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.title == "API errors" and list(incident.services.all()) == [api]
    bad = as_responder.post(action("details", incident), {"details-title": ""})
    assert bad.status_code == 400 and bad.context["forms"]["details"].errors["title"]


def test_correct_start_time_in_the_users_zone_with_a_reason(as_responder, responder):
    incident = _declare(responder)
    earlier = timezone.now() - timedelta(hours=2)
    local = timezone.localtime(earlier).replace(microsecond=0, tzinfo=None)
    missing_reason = as_responder.post(
        action("correct", incident),
        {"correct-field": "started_at", "correct-value": local.isoformat(), "correct-reason": ""},
    )
    assert missing_reason.status_code == 400
    assert missing_reason.context["forms"]["correct"].errors["reason"]
    future = as_responder.post(
        action("correct", incident),
        {
            "correct-field": "started_at",
            "correct-value": (local + timedelta(days=2)).isoformat(),
            "correct-reason": "typo",
        },
    )
    assert future.status_code == 400
    assert b"cannot be in the future" in future.content
    ok = as_responder.post(
        action("correct", incident),
        {
            "correct-field": "started_at",
            "correct-value": local.isoformat(),
            "correct-reason": "graphs",
        },
    )
    assert ok.status_code == 302
    incident.refresh_from_db()
    assert abs((incident.started_at - earlier).total_seconds()) < 1
    assert incident.timeline.filter(kind=EntryKind.FIELD_CORRECTED).exists()


def test_reopen_and_close(as_responder, responder):
    incident = _declare(responder)
    assert as_responder.post(action("close", incident)).status_code == 302  # refused: open
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    incident_resolve(incident=incident, actor=Actor.of(responder))
    as_responder.post(action("reopen", incident), {"reopen-reason": "came back"})
    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    incident_resolve(incident=incident, actor=Actor.of(responder))
    as_responder.post(action("close", incident))
    incident.refresh_from_db()
    assert incident.status == Status.CLOSED


def test_pin_and_unpin_a_timeline_entry(as_responder, responder):
    incident = _declare(responder)
    entry = incident.timeline.get()
    url = reverse("ui:incident-pin", args=[incident.number, entry.pk])
    assert as_responder.post(url, {"pinned": "on"}).status_code == 302
    entry.refresh_from_db()
    assert entry.pinned
    as_responder.post(url, {})
    entry.refresh_from_db()
    assert not entry.pinned


def test_viewer_cannot_pin(as_viewer, responder):
    incident = _declare(responder)
    entry = incident.timeline.get()
    url = reverse("ui:incident-pin", args=[incident.number, entry.pk])
    assert as_viewer.post(url, {"pinned": "on"}).status_code == 403
    assert not TimelineEntry.objects.get(pk=entry.pk).pinned


def test_timeline_newest_first_with_a_toggle(as_viewer, responder):
    incident = _declare(responder)
    incident_acknowledge(incident=incident, actor=Actor.of(responder))
    newest = as_viewer.get(room(incident)).context["timeline"]
    assert [e.kind for e in newest] == ["acknowledged", "declared"]
    oldest = as_viewer.get(room(incident) + "?order=oldest").context["timeline"]
    assert [e.kind for e in oldest] == ["declared", "acknowledged"]


def test_live_part_is_sent_only_when_something_changed(as_viewer, responder):
    incident = _declare(responder)
    url = reverse("ui:incident-live", args=[incident.number])
    first = as_viewer.get(url)
    assert b"Timeline (1)" in first.content and b"<html" not in first.content
    stamp = first.context["stamp"]
    assert as_viewer.get(url, {"v": stamp}).status_code == 204
    incident_acknowledge(incident=incident, actor=Actor.of(responder))
    changed = as_viewer.get(url, {"v": stamp})
    assert changed.status_code == 200 and b"Timeline (2)" in changed.content


def test_room_runs_a_bounded_number_of_queries(
    as_viewer, responder, integration, django_assert_max_num_queries
):
    services = [ServiceFactory(slug=f"svc-{n}") for n in range(5)]
    incident = _declare(responder, services=services)
    incident_acknowledge(incident=incident, actor=Actor.of(responder))
    now = timezone.now()
    for n in range(40):
        incident.responders.add(UserFactory(username=f"helper{n}"))
        TimelineEntry.objects.create(
            incident=incident,
            kind=EntryKind.NOTE,
            at=now,
            text=f"note {n}",
            actor_user=responder,
            actor_name="rita",
        )
        Alert.objects.create(
            integration=integration,
            fingerprint=f"{n:016x}",
            starts_at=now - timedelta(minutes=n),
            status="firing",
            labels={"alertname": f"A{n}"},
            group_hash="g",
            first_seen_at=now,
            last_seen_at=now,
            incident=incident,
        )
    as_viewer.get(room(incident))
    with django_assert_max_num_queries(20):
        response = as_viewer.get(room(incident))
    assert len(response.context["timeline"]) == 42
    assert len(response.context["alerts"]) == 40


def test_large_lists_count_up_to_a_cap_and_pages_past_the_end_say_so(
    as_viewer, responder, monkeypatch
):
    monkeypatch.setattr("incidents.views.paging.COUNT_CAP", 3)
    for n in range(5):
        _declare(responder, title=f"Incident {n}")
    page = as_viewer.get("/incidents/").content.decode()
    assert "More than 3 incidents" in page
    past = as_viewer.get("/incidents/?page=7")
    assert past.status_code == 200
    assert "This page is past the end" in past.content.decode()
    assert as_viewer.get("/incidents/?page=junk").context["page"].number == 1


def test_dashboard_runs_a_bounded_number_of_queries(
    as_viewer, responder, django_assert_max_num_queries
):
    service = ServiceFactory(slug="api")
    for n in range(30):
        incident = _declare(responder, title=f"Incident {n}", services=[service])
        if n % 3 == 0:
            incident_acknowledge(incident=incident, actor=Actor.of(responder))
        if n % 5 == 0:
            incident_resolve(incident=incident, actor=Actor.of(responder))
    as_viewer.get("/")
    with django_assert_max_num_queries(25):
        response = as_viewer.get("/")
    shown = {
        i.pk
        for key in ("unacknowledged", "acknowledged", "resolved")
        for i in response.context[key]
    }
    assert len(shown) == 30


def test_a_closed_incident_room_offers_no_lifecycle_actions_and_one_impact_heading(
    as_responder, responder
):
    incident = _declare(responder, title="Old outage")
    incident_resolve(incident=incident, actor=Actor.of(responder))
    incident_close(incident=incident, actor=Actor.of(responder))
    page = as_responder.get(reverse("ui:incident-room", args=[incident.number])).content.decode()
    assert "actions-bar" not in page and "I'm the commander" not in page
    assert "Add a note" in page  # a note can still be added
    assert page.count("Error-budget impact</h2>") == 1
    assert "No SLO of this incident's services is affected." in page
