"""Paging is fail-safe: a broken schedule layer, a step that reaches nobody, or an
incident no policy pages for still page someone, and the timeline says what happened."""

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from core.actors import Actor
from incidents.choices import EntryKind
from incidents.services import incident_declare, incident_reopen, incident_resolve
from oncall.choices import EscalationState, TargetKind
from oncall.models import Escalation, Layer, Page
from oncall.services import StepSpec, TargetSpec, policy_update, team_update
from oncall.tasks import escalation_begin
from tests.factories import person
from tests.incidents import payloads

from .conftest import on_call_now
from .failsafe import FAILURE, add_broken_layer


@pytest.fixture(autouse=True)
def _mail(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def declare(capture: Any, *services: Any) -> Any:
    with capture(execute=True):
        return incident_declare(
            actor=Actor.system(), title="Card payments failing", severity="SEV1", services=services
        )


def paged_entry(incident: Any) -> Any:
    return incident.timeline.filter(kind=EntryKind.PAGED).order_by("at", "id").last()


def test_a_broken_layer_pages_the_other_layers_and_the_timeline_says_what_failed(
    django_capture_on_commit_callbacks, policy, payments_service, schedule, cat, monkeypatch
):
    add_broken_layer(schedule, [cat], monkeypatch)
    expected = on_call_now(schedule)  # from the weekly layer, the broken one left out

    incident = declare(django_capture_on_commit_callbacks, payments_service)

    page = Page.objects.get()
    assert page.user_id == expected and page.step_position == 0
    assert len(mail.outbox) == 1
    entry = paged_entry(incident)
    assert 'layer 2 "Follow the sun" of payments/Primary' in entry.text
    assert FAILURE in entry.text
    assert f"Paged {page.user} from the other layers instead" in entry.text
    assert entry.data["degraded"] is True and entry.data["errors"][0]["layer_name"] == (
        "Follow the sun"
    )


def test_with_no_other_layer_the_teams_fallback_contacts_are_paged(
    django_capture_on_commit_callbacks, policy, payments_service, schedule, team, cat, monkeypatch
):
    Layer.objects.filter(schedule=schedule).delete()
    add_broken_layer(schedule, [cat], monkeypatch)
    dan = person("dan")
    team_update(user=None, team=team, fallback_contacts=[dan])

    incident = declare(django_capture_on_commit_callbacks, payments_service)

    assert [p.user for p in Page.objects.all()] == [dan]
    entry = paged_entry(incident)
    assert "Paged dan (the fallback contacts of Payments) instead" in entry.text
    assert entry.data["fallback"] == "the fallback contacts of Payments"


def test_without_fallback_contacts_keels_admins_are_paged(
    django_capture_on_commit_callbacks,
    policy,
    payments_service,
    schedule,
    cat,
    admin_user,
    monkeypatch,
):
    Layer.objects.filter(schedule=schedule).delete()
    add_broken_layer(schedule, [cat], monkeypatch)

    incident = declare(django_capture_on_commit_callbacks, payments_service)

    assert [p.user for p in Page.objects.all()] == [admin_user]
    assert mail.outbox[0].to == [admin_user.email]
    assert "Paged ada (Keel's admins) instead" in paged_entry(incident).text


def test_a_step_that_reaches_nobody_pages_the_fallback_instead_of_nobody(
    django_capture_on_commit_callbacks, policy, payments_service, team
):
    ghost = person("ghost")
    ghost.email = ""
    ghost.save(update_fields=["email"])
    policy_update(
        user=None,
        policy=policy,
        name=policy.name,
        repeat=0,
        is_default=True,
        steps=[
            StepSpec(
                escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.USER, user=ghost)]
            )
        ],
    )
    eve = person("eve")
    team_update(user=None, team=team, fallback_contacts=[eve])

    incident = declare(django_capture_on_commit_callbacks, payments_service)

    assert [p.user for p in Page.objects.all()] == [eve]
    assert "reaches nobody" in paged_entry(incident).text


def test_an_incident_of_no_service_pages_the_admins_and_says_so_in_the_room(
    django_capture_on_commit_callbacks, admin_user, responder
):
    incident = declare(django_capture_on_commit_callbacks)

    assert [p.user for p in Page.objects.all()] == [admin_user]
    entry = paged_entry(incident)
    assert entry.text == (
        "Nobody would be paged for this incident: it affects no service. "
        "Paged ada (Keel's admins) instead."
    )
    client = Client()
    client.force_login(responder)
    room = client.get(f"/incidents/{incident.number}/").content.decode()
    assert "Nobody would be paged for this incident: it affects no service." in room
    assert "Keel paged the fallback instead" in room


def test_a_team_without_any_policy_pages_its_fallback_contacts(
    django_capture_on_commit_callbacks, payments_service, team, cat
):
    """No escalation policy exists anywhere: the incident used to page nobody, silently."""
    team_update(user=None, team=team, fallback_contacts=[cat])

    incident = declare(django_capture_on_commit_callbacks, payments_service)

    assert [p.user for p in Page.objects.all()] == [cat]
    assert "Payments has no escalation policy" in paged_entry(incident).text


def test_nobody_at_all_to_page_is_said_on_the_timeline(db, django_capture_on_commit_callbacks):
    incident = declare(django_capture_on_commit_callbacks)

    assert not Page.objects.exists()
    assert "Nobody could be paged instead" in paged_entry(incident).text


def test_the_fallback_pages_once_per_opening_and_again_after_a_reopen(
    django_capture_on_commit_callbacks, admin_user
):
    incident = declare(django_capture_on_commit_callbacks)
    escalation_begin.apply((incident.pk,))  # a duplicate delivery of the task
    assert Page.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=Actor.of(admin_user))
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, actor=Actor.of(admin_user), reason="Back.")

    assert Page.objects.count() == 2
    assert Escalation.objects.filter(state=EscalationState.EXHAUSTED).count() == 2


def test_an_alert_opened_incident_with_a_broken_schedule_pages_and_records_it(
    django_capture_on_commit_callbacks,
    policy,
    schedule,
    team,
    checkout,
    cat,
    integration_and_token,
    monkeypatch,
):
    """Through the webhook and the real ingestion flow (tasks run in-process)."""
    checkout.owner = team
    checkout.save(update_fields=["owner"])
    add_broken_layer(schedule, [cat], monkeypatch)
    _, token = integration_and_token

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            "/hooks/alertmanager/",
            data=payloads.body(payloads.notification([payloads.alert(severity="page")])),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )

    assert response.status_code == 200
    page = Page.objects.get()
    assert page.user_id == on_call_now(schedule)
    entry = paged_entry(page.incident)
    assert "Follow the sun" in entry.text and "from the other layers instead" in entry.text
    assert mail.outbox[0].to == [page.user.email]


def test_a_bug_while_working_out_a_steps_recipients_still_pages_the_fallback(
    django_capture_on_commit_callbacks, policy, payments_service, team, cat, monkeypatch
):
    from oncall.services import fallback

    def broken(step, at):
        raise RuntimeError("unexpected")

    monkeypatch.setattr(fallback, "step_recipients", broken)
    team_update(user=None, team=team, fallback_contacts=[cat])

    incident = declare(django_capture_on_commit_callbacks, payments_service)

    assert [p.user for p in Page.objects.all()] == [cat]
    text = paged_entry(incident).text
    assert "Cannot work out whom step 1 of payments/Default pages: RuntimeError: unexpected" in text
