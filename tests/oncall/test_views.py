"""On-call pages: now/next, the schedule page and its forms, policies, my on-call, health."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from incidents.services import incident_declare
from oncall.models import EscalationPolicy, Layer, Override

from .conftest import week_of


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_on_call_now_and_next_per_team_and_on_the_dashboard(schedule, ann, bob, viewer):
    expected = [ann, bob][week_of(timezone.now()) % 2]
    other = bob if expected == ann else ann
    client = logged_in(viewer)
    for path in ("/oncall/", "/oncall/teams/payments/", "/"):
        page = client.get(path).content.decode()
        row = page.split("Primary", 1)[1].split("</tr>", 1)[0]
        assert f"<strong>{expected.username}</strong>" in row, path
        assert other.username in row, path


def test_the_schedule_page_draws_layers_overrides_and_the_final_schedule(schedule, cat, viewer):
    start = timezone.now() + timedelta(days=1)
    Override.objects.create(
        schedule=schedule, user=cat, starts_at=start, ends_at=start + timedelta(hours=5)
    )
    page = logged_in(viewer).get(f"/oncall/schedules/{schedule.pk}/").content.decode()
    svg = page.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "1. Weekly" in svg and "Overrides" in svg and "Final schedule" in svg
    assert "<title>cat:" in svg
    assert "Add an override" not in page  # viewers see, responders act


def test_a_conflicting_override_is_explained_next_to_the_field_and_the_input_kept(
    schedule, ann, bob, cat
):
    start = (timezone.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    Override.objects.create(
        schedule=schedule, user=cat, starts_at=start, ends_at=start + timedelta(hours=6)
    )
    local = start.astimezone(ZoneInfo("Europe/Berlin"))
    response = logged_in(ann).post(
        f"/oncall/schedules/{schedule.pk}/overrides/",
        {
            "user": bob.pk,
            "starts_at": (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "reason": "swap for the concert",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Conflicts with an existing override: cat covers" in page
    assert 'value="swap for the concert"' in page
    assert Override.objects.count() == 1

    ok = logged_in(ann).post(
        f"/oncall/schedules/{schedule.pk}/overrides/",
        {
            "user": bob.pk,
            "starts_at": (local + timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (local + timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert ok.status_code == 302
    saved = Override.objects.get(user=bob)
    assert saved.starts_at == start + timedelta(hours=6)  # typed in the schedule's zone


def test_an_admin_edits_a_layer_from_the_schedule_page(schedule, admin_user, ann, bob, cat):
    layer = schedule.layers.get()
    client = logged_in(admin_user)
    form = client.get(f"/oncall/schedules/{schedule.pk}/?edit={layer.pk}").content.decode()
    assert 'value="ann, bob"' in form

    response = client.post(
        f"/oncall/schedules/{schedule.pk}/layers/",
        {
            "layer": layer.pk,
            "name": "Weekly",
            "participants": [ann.pk, bob.pk, cat.pk],
            "order": "cat, ann, bob",
            "shift_length": 2,
            "shift_unit": "days",
            "handoff_at": "2026-01-05T09:00",
            "starts_at": "2026-01-05T09:00",
        },
    )
    assert response.status_code == 302
    layer.refresh_from_db()
    assert [p.user.username for p in layer.participants.order_by("position")] == [
        "cat",
        "ann",
        "bob",
    ]
    assert (layer.shift_length, layer.shift_unit) == (2, "days")

    bad = client.post(
        f"/oncall/schedules/{schedule.pk}/layers/",
        {
            "name": "Nights",
            "participants": [ann.pk],
            "shift_length": 1,
            "shift_unit": "weeks",
            "handoff_at": "2026-01-05T09:00",
            "restriction_start": "22:00",
        },
    )
    assert bad.status_code == 400 and "Give both restriction hours" in bad.content.decode()
    assert Layer.objects.count() == 1


def test_a_responder_cannot_save_a_layer(schedule, ann):
    response = logged_in(ann).post(
        f"/oncall/schedules/{schedule.pk}/layers/",
        {
            "name": "X",
            "participants": [ann.pk],
            "shift_length": 1,
            "shift_unit": "weeks",
            "handoff_at": "2026-01-05T09:00",
        },
    )
    assert response.status_code == 403
    assert Layer.objects.count() == 1


def test_the_policy_editor_saves_ordered_steps(team, schedule, admin_user, cat):
    response = logged_in(admin_user).post(
        "/oncall/teams/payments/policies/new/",
        {
            "name": "Night",
            "repeat": 1,
            "is_default": "on",
            "step-0-targets": [f"schedule:{schedule.pk}"],
            "step-0-after": "5",
            "step-1-targets": [f"user:{cat.pk}", f"team:{team.pk}"],
            "step-1-after": "10",
        },
    )
    assert response.status_code == 302
    policy = EscalationPolicy.objects.get(name="Night")
    steps = list(policy.steps.order_by("position"))
    assert [s.escalate_after_minutes for s in steps] == [5, 10]
    assert sorted(t.kind for t in steps[1].targets.all()) == ["team", "user"]

    page = (
        logged_in(admin_user).get(f"/oncall/teams/payments/policies/{policy.pk}/").content.decode()
    )
    assert f'<option value="user:{cat.pk}" selected>' in page

    bad = logged_in(admin_user).post(
        f"/oncall/teams/payments/policies/{policy.pk}/",
        {"name": "Night", "repeat": 1, "step-0-after": "5"},
    )
    assert bad.status_code == 400 and "at least one step" in bad.content.decode()
    assert policy.steps.count() == 2


def test_my_oncall_shows_my_shifts_pages_and_contact_methods(
    django_capture_on_commit_callbacks, policy, payments_service, responder, ann, bob
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=Actor.of(responder),
            title="Ledger stuck",
            severity="SEV2",
            services=[payments_service],
        )
    paged = incident.pages.get().user
    client = logged_in(paged)
    page = client.get("/oncall/me/").content.decode()
    assert "Payments/Primary" in page or "payments/Primary" in page
    assert incident.reference in page

    bad = client.post("/oncall/me/", {"kind": "webhook", "address": "ftp://x"})
    assert (
        bad.status_code == 400
        and "http(s) URL" in bad.content.decode()
        and 'value="ftp://x"' in bad.content.decode()
    )
    ok = client.post("/oncall/me/", {"kind": "email", "address": "pager@example.com"})
    assert ok.status_code == 302 and paged.contact_methods.get().address == "pager@example.com"


def test_the_incident_room_lists_its_pages(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=Actor.of(responder),
            title="Ledger stuck",
            severity="SEV2",
            services=[payments_service],
        )
    page = logged_in(responder).get(f"/incidents/{incident.number}/").content.decode()
    pages = page.split('id="pages-heading"', 1)[1].split("</section>", 1)[0]
    assert incident.pages.get().user.username in pages and "Sent" in pages
    assert "Escalation: Running" in pages


def test_the_health_report_counts_pages_per_person_and_off_hours(
    django_capture_on_commit_callbacks, policy, payments_service, responder, viewer
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=Actor.of(responder),
            title="Ledger stuck",
            severity="SEV2",
            services=[payments_service],
        )
    name = incident.pages.get().user.username
    page = (
        logged_in(viewer).get("/oncall/health/", {"team": "payments", "weeks": 2}).content.decode()
    )
    assert "1 page from" in page
    row = page.split(f'<th scope="row">{name}</th>', 1)[1].split("</tr>", 1)[0]
    assert "<td>1</td>" in row


def test_pages_need_a_login(schedule):
    assert Client().get("/oncall/").status_code == 302
    assert Client().get(f"/oncall/schedules/{schedule.pk}/").status_code == 302


def test_the_health_report_names_noisy_alerts_and_those_without_a_runbook(
    django_capture_on_commit_callbacks, team, policy, checkout, integration_and_token, viewer
):
    from tests.incidents import payloads

    checkout.owner = team
    checkout.save(update_fields=["owner"])
    _, token = integration_and_token
    alerts = [
        payloads.alert(fingerprint="a000000000000001", alertname="HighErrorRate"),
        payloads.alert(
            fingerprint="a000000000000002",
            alertname="DiskFull",
            annotations={"summary": "disk"},
            starts_at="2026-11-21T16:26:00Z",
        ),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/hooks/alertmanager/",
            data=payloads.body(payloads.notification(alerts)),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 200

    page = logged_in(viewer).get("/oncall/health/", {"team": "payments"}).content.decode()

    noisy = page.split("Noisiest alerts", 1)[1].split("</table>", 1)[0]
    assert "HighErrorRate" in noisy and "DiskFull" in noisy
    no_runbook = page.split("Paged without a runbook", 1)[1].split("</table>", 1)[0]
    assert "DiskFull" in no_runbook and "HighErrorRate" not in no_runbook
