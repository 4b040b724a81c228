"""A reopened incident pages again from the first step; an incident of several teams'
services runs each team's policy."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from core.actors import Actor
from incidents.choices import EntryKind
from incidents.models import Incident
from incidents.services import (
    incident_acknowledge,
    incident_reopen,
    incident_resolve,
)
from oncall.choices import EscalationState, TargetKind
from oncall.models import Escalation, Page
from oncall.services import (
    StepSpec,
    TargetSpec,
    layer_create,
    policy_create,
    policy_update,
    schedule_create,
    team_create,
)
from oncall.services.paging import acknowledge_url
from oncall.tasks import escalation_restart
from tests.factories import ServiceFactory, person

from .conftest import ANCHOR, on_call_now
from .test_paging import declare, run_overdue


@pytest.fixture(autouse=True)
def _mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def paged_steps(incident) -> list[int]:
    entries = incident.timeline.filter(kind=EntryKind.PAGED).order_by("at", "id")
    return [e.data["step"] for e in entries if "step" in e.data]


def test_a_reopened_incident_pages_the_current_on_call_again_from_step_one(
    django_capture_on_commit_callbacks, policy, schedule, payments_service, responder, cat
):
    policy_update(
        user=None,
        policy=policy,
        name=policy.name,
        repeat=1,  # still running after step 2
        is_default=True,
        steps=[
            StepSpec(
                escalate_after_minutes=5,
                targets=[TargetSpec(kind=TargetKind.SCHEDULE, schedule=schedule)],
            ),
            StepSpec(
                escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.USER, user=cat)]
            ),
        ],
    )
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, actor=Actor.of(responder))
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=Actor.of(responder))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, actor=Actor.of(responder), reason="It is back.")

    on_call = on_call_now(schedule)
    assert paged_steps(incident) == [1, 1]
    newest = Page.objects.order_by("-id").first()
    assert newest is not None
    assert (newest.user_id, newest.step_position, newest.round) == (on_call, 0, 0)
    assert len(mail.outbox) == 1 and incident.reference in mail.outbox[0].subject
    runs = list(Escalation.objects.filter(incident=incident).order_by("id"))
    assert [r.state for r in runs] == [EscalationState.ACKNOWLEDGED, EscalationState.RUNNING]

    # The acknowledgement from before the reopen does not stop the new run: step 2 fires.
    run_overdue(django_capture_on_commit_callbacks, 6)
    assert paged_steps(incident) == [1, 1, 2]
    assert Page.objects.order_by("-id").first().user == cat

    # The page's link says nobody has it now; acknowledging through it stops the paging.
    path = acknowledge_url(newest).split("8000", 1)[-1]
    client = Client()
    shown = client.get(path).content.decode()
    assert "Reopened since it was first acknowledged" in shown
    assert "Already acknowledged" not in shown
    assert client.post(path).status_code == 200
    assert Escalation.objects.get(pk=runs[1].pk).state == EscalationState.ACKNOWLEDGED
    assert "Already acknowledged" in client.get(path).content.decode()
    run_overdue(django_capture_on_commit_callbacks, 60)
    assert paged_steps(incident) == [1, 1, 2]


def test_reopening_while_the_escalation_still_runs_does_not_start_a_second_one(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    incident_resolve(incident=incident, actor=Actor.of(responder))  # its signal is lost
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, actor=Actor.of(responder))
    escalation_restart.apply((incident.pk,))  # a repeated delivery of the task

    assert Escalation.objects.filter(incident=incident).count() == 1
    assert Page.objects.count() == 1 and paged_steps(incident) == [1]
    # The one run carries on where it was.
    run_overdue(django_capture_on_commit_callbacks, 6)
    assert paged_steps(incident) == [1, 2]


def test_a_restart_is_not_repeated_by_a_duplicate_task_while_it_runs(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=Actor.of(responder))
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, actor=Actor.of(responder))
    escalation_restart.apply((incident.pk,))

    assert Escalation.objects.filter(state=EscalationState.RUNNING).count() == 1
    assert paged_steps(incident) == [1, 1]


def test_a_resolved_incident_is_not_restarted(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=Actor.of(responder))
    escalation_restart.apply((incident.pk,))
    assert paged_steps(incident) == [1]


@pytest.fixture
def search_team(db):
    dan, eve = person("dan"), person("eve")
    team = team_create(user=None, name="Search", slug="search", members=[dan, eve])
    rota = schedule_create(user=None, team=team, name="Search primary")
    layer_create(user=None, schedule=rota, name="Daily", participants=[dan, eve], handoff_at=ANCHOR)
    policy_create(
        user=None,
        team=team,
        name="Search default",
        steps=[
            StepSpec(
                escalate_after_minutes=5,
                targets=[TargetSpec(kind=TargetKind.SCHEDULE, schedule=rota)],
            ),
            StepSpec(
                escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.TEAM, team=team)]
            ),
        ],
    )
    service = ServiceFactory(slug="search-api", name="Search API")
    service.owner = team
    service.save(update_fields=["owner"])
    return team, rota, service


def test_an_incident_of_two_teams_services_runs_each_teams_policy(
    django_capture_on_commit_callbacks, policy, schedule, payments_service, search_team, responder
):
    from incidents.services import incident_declare

    _search, search_rota, search_service = search_team
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=Actor.of(responder),
            title="Checkout search broken",
            severity="SEV2",
            services=[payments_service, search_service],
        )

    runs = list(Escalation.objects.filter(incident=incident).select_related("policy__team"))
    assert sorted(r.policy.team.slug for r in runs) == ["payments", "search"]
    paged = set(Page.objects.values_list("user_id", flat=True))
    assert paged == {on_call_now(schedule), on_call_now(search_rota)}
    assert paged_steps(incident) == [1, 1]

    # One acknowledgement stops both teams' escalations.
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, actor=Actor.of(responder))
    assert {r.state for r in Escalation.objects.filter(incident=incident)} == {
        EscalationState.ACKNOWLEDGED
    }
    run_overdue(django_capture_on_commit_callbacks, 30)
    assert Page.objects.count() == 2

    # The incident room names both runs.
    client = Client()
    client.force_login(responder)
    room = client.get(reverse("ui:incident-room", args=[incident.number])).content.decode()
    assert "payments/Default" in room and "search/Search default" in room


def test_two_services_of_one_team_run_that_team_policy_once(
    django_capture_on_commit_callbacks, policy, team, payments_service, responder
):
    from incidents.services import incident_declare

    other = ServiceFactory(slug="payments-worker", name="Payments worker")
    other.owner = team
    other.save(update_fields=["owner"])
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=Actor.of(responder),
            title="Payments slow",
            severity="SEV3",
            services=[payments_service, other],
        )
    assert Escalation.objects.filter(incident=incident).count() == 1
    assert paged_steps(incident) == [1]


def test_a_reopened_incident_asks_for_acknowledgement_again_and_that_stops_the_paging(
    django_capture_on_commit_callbacks, policy, payments_service, responder, viewer
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, actor=Actor.of(responder))
    first = Incident.objects.get(pk=incident.pk).acknowledged_at
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=Actor.of(responder))
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, actor=Actor.of(responder))
    room_url = reverse("ui:incident-room", args=[incident.number])
    ack_url = reverse("ui:incident-acknowledge", args=[incident.number])
    assert Escalation.objects.filter(state=EscalationState.RUNNING).count() == 1

    watcher = Client()
    watcher.force_login(viewer)
    assert "Not acknowledged" in watcher.get(room_url).content.decode()
    assert watcher.post(ack_url).status_code == 403
    assert Escalation.objects.filter(state=EscalationState.RUNNING).count() == 1

    client = Client()
    client.force_login(responder)
    room = client.get(room_url).content.decode()
    assert ack_url in room and "not since the reopen" in room
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(ack_url).status_code == 302

    assert not Escalation.objects.filter(state=EscalationState.RUNNING).exists()
    reloaded = Incident.objects.get(pk=incident.pk)
    assert reloaded.acknowledged_at == first  # MTTA keeps the first acknowledgement
    assert first is not None and reloaded.last_acknowledged_at is not None
    assert reloaded.last_acknowledged_at > first
    assert (
        "acknowledged again since the reopen"
        in reloaded.timeline.filter(kind=EntryKind.ACKNOWLEDGED).last().text
    )
    run_overdue(django_capture_on_commit_callbacks, 60)
    assert paged_steps(incident) == [1, 1]
    after = client.get(room_url).content.decode()
    assert ack_url not in after and "Not acknowledged" not in after
    assert "Stopped: acknowledged" in after


def test_acknowledge_the_pages_acknowledges_a_reopened_incident_and_stops_paging_at_once(
    django_capture_on_commit_callbacks, policy, payments_service, responder, viewer
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, actor=Actor.of(responder))
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=Actor.of(responder))
    with django_capture_on_commit_callbacks(execute=True):
        incident_reopen(incident=incident, actor=Actor.of(responder))
    stop_url = reverse("oncall:incident-pages-acknowledge", args=[incident.number])

    watcher = Client()
    watcher.force_login(viewer)
    assert watcher.post(stop_url).status_code == 403
    assert Escalation.objects.filter(state=EscalationState.RUNNING).count() == 1

    client = Client()
    client.force_login(responder)
    assert client.post(stop_url).status_code == 302
    assert not Escalation.objects.filter(state=EscalationState.RUNNING).exists()
    assert not Incident.objects.get(pk=incident.pk).awaiting_acknowledgement
    assert "acknowledged the pages; escalation stopped" in incident.timeline.last().text
    run_overdue(django_capture_on_commit_callbacks, 60)
    assert paged_steps(incident) == [1, 1]
