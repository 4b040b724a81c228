"""Paging: an incident opening pages whoever is on call, escalates, and stops on acknowledge."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from incidents.choices import EntryKind
from incidents.services import incident_acknowledge, incident_declare, incident_resolve
from oncall.choices import Channel, EscalationState, PageStatus, TargetKind
from oncall.models import Escalation, Page
from oncall.services import StepSpec, TargetSpec, contact_method_create, page_deliver
from oncall.services.escalation import escalations_overdue
from oncall.services.paging import acknowledge_url
from oncall.tasks import escalation_step
from tests.catcher import webhook_catcher

from .conftest import on_call_now


@pytest.fixture(autouse=True)
def _paging_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KEEL_PAGE_WEBHOOK_ALLOW_HTTP = True
    settings.KEEL_OUTBOUND_ALLOW = ["127.0.0.1/32"]  # the catcher
    settings.KEEL_PAGE_RETRY_BASE_SECONDS = 0
    settings.KEEL_PAGE_WEBHOOK_TIMEOUT_SECONDS = 0.5


def declare(django_capture_on_commit_callbacks, service, responder):
    with django_capture_on_commit_callbacks(execute=True):
        return incident_declare(
            actor=Actor.of(responder),
            title="Card payments failing",
            severity="SEV1",
            services=[service],
        )


def run_overdue(django_capture_on_commit_callbacks, minutes):
    at = timezone.now() + timedelta(minutes=minutes)
    for args in escalations_overdue(at=at):
        with django_capture_on_commit_callbacks(execute=True):
            escalation_step.apply(args)


def test_opening_an_incident_pages_whoever_is_on_call_by_email(
    django_capture_on_commit_callbacks, policy, payments_service, responder, ann, bob
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)

    on_call = ann if on_call_now(policy.steps.first().targets.first().schedule) == ann.pk else bob
    page = Page.objects.get()
    assert (page.user, page.channel, page.status, page.attempts) == (
        on_call,
        Channel.EMAIL,
        PageStatus.SENT,
        1,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [on_call.email]
    assert incident.reference in mail.outbox[0].subject
    assert "/oncall/pages/ack/" in mail.outbox[0].body
    entry = incident.timeline.get(kind=EntryKind.PAGED)
    assert str(on_call) in entry.text and entry.data["step"] == 1


def test_steps_escalate_in_order_and_repeat_stops_when_exhausted(
    django_capture_on_commit_callbacks, policy, payments_service, responder, cat
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    run_overdue(django_capture_on_commit_callbacks, 1)  # not yet due: escalate after 5 minutes
    assert Page.objects.count() == 1

    run_overdue(django_capture_on_commit_callbacks, 6)

    assert [p.user for p in Page.objects.order_by("id")][1] == cat
    assert [
        e.data["step"] for e in incident.timeline.filter(kind=EntryKind.PAGED).order_by("id")
    ] == [1, 2]
    escalation = Escalation.objects.get()
    assert escalation.state == EscalationState.EXHAUSTED  # no repeats configured
    run_overdue(django_capture_on_commit_callbacks, 60)
    assert Page.objects.count() == 2


def test_acknowledging_stops_the_escalation(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident_acknowledge(incident=incident, actor=Actor.of(responder))

    run_overdue(django_capture_on_commit_callbacks, 30)

    assert Page.objects.count() == 1
    assert Escalation.objects.get().state == EscalationState.ACKNOWLEDGED
    assert Page.objects.get().acknowledged_at is not None


def test_a_resolved_incident_stops_escalating_even_if_the_signal_was_missed(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    incident_resolve(incident=incident, actor=Actor.of(responder))  # on-commit callbacks dropped

    run_overdue(django_capture_on_commit_callbacks, 30)

    assert Page.objects.count() == 1
    assert Escalation.objects.get().state == EscalationState.RESOLVED


def test_an_incident_of_a_service_without_an_owner_pages_the_admins_and_says_why(
    django_capture_on_commit_callbacks, policy, checkout, responder, admin_user
):
    incident = declare(django_capture_on_commit_callbacks, checkout, responder)

    page = Page.objects.get()
    assert (page.user, page.status) == (admin_user, PageStatus.SENT)
    assert mail.outbox[0].to == [admin_user.email]
    entry = incident.timeline.get(kind=EntryKind.PAGED)
    assert "no team owns checkout" in entry.text and "ada" in entry.text
    assert Escalation.objects.get().policy is None


def test_the_signed_link_acknowledges_as_the_paged_person(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    page = Page.objects.get()
    client = Client(enforce_csrf_checks=True)
    path = acknowledge_url(page).split("8000", 1)[-1]

    shown = client.get(path)
    assert shown.status_code == 200 and incident.reference in shown.content.decode()
    incident.refresh_from_db()
    assert incident.acknowledged_at is None  # a GET (mail scanners follow links) changes nothing
    csrf = shown.cookies["csrftoken"].value
    done = client.post(path, {"csrfmiddlewaretoken": csrf})

    assert done.status_code == 200
    incident.refresh_from_db()
    assert incident.acknowledged_by == page.user
    assert "acknowledged" in done.content.decode().lower()


def test_a_tampered_or_expired_link_changes_nothing(
    django_capture_on_commit_callbacks, settings, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    page = Page.objects.get()
    path = acknowledge_url(page).split("8000", 1)[-1]
    assert Client().post(path[:-3] + "xyz/").status_code == 400
    settings.KEEL_PAGE_ACK_LINK_MAX_AGE_SECONDS = -1
    response = Client().post(path)
    assert response.status_code == 400 and "expired" in response.content.decode()
    incident.refresh_from_db()
    assert incident.acknowledged_at is None


# --- webhook contact methods against a local catcher ------------------------------------


def test_a_webhook_page_is_delivered_as_slack_compatible_json(
    django_capture_on_commit_callbacks, policy, payments_service, responder, ann, bob
):
    with webhook_catcher() as catcher:
        for person in (ann, bob):
            contact_method_create(user=person, owner=person, kind="webhook", address=catcher.url)
        incident = declare(django_capture_on_commit_callbacks, payments_service, responder)

    page = Page.objects.get()
    assert (page.channel, page.status, page.attempts) == (Channel.WEBHOOK, PageStatus.DELIVERED, 1)
    assert page.delivered_at is not None
    [body] = catcher.bodies
    assert incident.reference in body["text"]
    assert (
        body["acknowledge_url"].startswith("http")
        and "/oncall/pages/ack/" in body["acknowledge_url"]
    )
    assert (
        mail.outbox == []
    )  # a person with a contact method is paged through it, not by account email


def test_a_webhook_answering_500_is_retried_until_delivered(
    django_capture_on_commit_callbacks, policy, payments_service, responder, ann, bob
):
    with webhook_catcher() as catcher:
        catcher.statuses = [500, 503]
        for person in (ann, bob):
            contact_method_create(user=person, owner=person, kind="webhook", address=catcher.url)
        declare(django_capture_on_commit_callbacks, payments_service, responder)

    page = Page.objects.get()
    assert (page.status, page.attempts, page.last_error) == (PageStatus.DELIVERED, 3, "")
    assert len(catcher.bodies) == 3


def test_a_webhook_that_keeps_failing_is_marked_failed_with_the_reason(
    django_capture_on_commit_callbacks, settings, policy, payments_service, responder, ann, bob
):
    settings.KEEL_PAGE_MAX_ATTEMPTS = 2
    with webhook_catcher() as catcher:
        catcher.statuses = [500] * 5
        for person in (ann, bob):
            contact_method_create(user=person, owner=person, kind="webhook", address=catcher.url)
        declare(django_capture_on_commit_callbacks, payments_service, responder)

    page = Page.objects.get()
    assert (page.status, page.attempts, page.last_error) == (PageStatus.FAILED, 2, "HTTP 500")


def test_a_webhook_that_hangs_times_out_and_is_retried(
    django_capture_on_commit_callbacks, policy, payments_service, responder, ann, bob
):
    with webhook_catcher() as catcher:
        catcher.delay_seconds = 2
        for person in (ann, bob):
            contact_method_create(user=person, owner=person, kind="webhook", address=catcher.url)
        declare(django_capture_on_commit_callbacks, payments_service, responder)
        page = Page.objects.get()
        assert page.status == PageStatus.FAILED
        assert page.attempts == 4
        assert "timed out" in page.last_error.lower() or "timeout" in page.last_error.lower()


def test_a_page_for_an_incident_acknowledged_meanwhile_is_not_sent(
    django_capture_on_commit_callbacks, policy, payments_service, responder
):
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    page = Page.objects.get()
    Page.objects.filter(pk=page.pk).update(status=PageStatus.PENDING)
    incident_acknowledge(incident=incident, actor=Actor.of(responder))
    mail.outbox.clear()

    page_deliver(page_id=page.pk)

    page.refresh_from_db()
    assert page.status == PageStatus.FAILED and "acknowledged" in page.last_error
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("kind", "address", "message"),
    [
        ("email", "not-an-address", "not an email address"),
        ("webhook", "ftp://example.com/x", "http(s) URL"),
        ("sms", "+491234", "Contact methods are"),
    ],
)
def test_bad_contact_methods_are_refused(ann, kind, address, message):
    from core.errors import KeelError

    with pytest.raises(KeelError, match=message.replace("(", r"\(").replace(")", r"\)")):
        contact_method_create(user=ann, owner=ann, kind=kind, address=address)


def test_people_cannot_edit_each_others_contact_methods(ann, bob):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        contact_method_create(user=ann, owner=bob, kind="email", address="x@example.com")


def test_a_services_own_policy_pages_instead_of_the_team_default(
    django_capture_on_commit_callbacks, team, policy, payments_service, responder, cat
):
    from oncall.choices import TargetKind
    from oncall.services import StepSpec, TargetSpec, policy_create

    own = policy_create(
        user=None,
        team=team,
        name="Payments API",
        is_default=False,
        services=[payments_service],
        steps=[
            StepSpec(escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.USER, user=cat)])
        ],
    )

    declare(django_capture_on_commit_callbacks, payments_service, responder)

    assert Escalation.objects.get().policy == own
    assert Page.objects.get().user == cat


def test_a_policy_only_pages_for_its_own_teams_services(team, checkout, cat):
    from core.errors import KeelError
    from oncall.choices import TargetKind
    from oncall.services import StepSpec, TargetSpec, policy_create

    with pytest.raises(KeelError, match="not owned by Payments"):
        policy_create(
            user=None,
            team=team,
            name="X",
            services=[checkout],
            steps=[
                StepSpec(
                    escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.USER, user=cat)]
                )
            ],
        )


def test_the_policy_repeats_then_stops(
    django_capture_on_commit_callbacks, team, policy, payments_service, responder, cat
):
    from oncall.services import policy_update

    policy_update(
        user=None,
        policy=policy,
        name=policy.name,
        repeat=1,
        is_default=True,
        steps=[
            StepSpec(
                escalate_after_minutes=5, targets=[TargetSpec(kind=TargetKind.USER, user=cat)]
            ),
        ],
    )
    incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    run_overdue(django_capture_on_commit_callbacks, 6)
    run_overdue(django_capture_on_commit_callbacks, 12)

    assert list(Page.objects.order_by("id").values_list("round", flat=True)) == [0, 1]
    assert Escalation.objects.get().state == EscalationState.EXHAUSTED
    texts = [e.text for e in incident.timeline.filter(kind=EntryKind.PAGED).order_by("id")]
    assert texts == ["Escalation step 1: paged cat.", "Escalation step 1 (repeat 1): paged cat."]


def test_a_webhook_answering_404_fails_at_once_without_retrying(
    django_capture_on_commit_callbacks, policy, payments_service, responder, ann, bob
):
    with webhook_catcher() as catcher:
        catcher.statuses = [404]
        for person in (ann, bob):
            contact_method_create(user=person, owner=person, kind="webhook", address=catcher.url)
        declare(django_capture_on_commit_callbacks, payments_service, responder)

    page = Page.objects.get()
    assert (page.status, page.attempts) == (PageStatus.FAILED, 1)
    assert "HTTP 404" in page.last_error
    assert len(catcher.bodies) == 1
