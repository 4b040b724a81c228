"""Webhooks are safe by default: a non-public address is refused when it is added and
again when a page or reminder is sent (with the reason on the delivery record, nothing
sent), redirects are not followed, only responders add contact methods, and another
person's delivery errors are hidden from viewers."""

import pytest
from django.urls import reverse

from core.errors import KeelError
from oncall.choices import Channel, PageStatus
from oncall.models import ContactMethod, HandoffReminder, Page
from oncall.services import contact_method_create, handoff_send_reminder
from tests.catcher import webhook_catcher

from .test_api import client_for
from .test_paging import declare
from .test_teams_and_hours import prepared_handoff
from .test_views import logged_in

REFUSED_URLS = [
    ("http://127.0.0.1:8080/hook", "loopback"),
    ("http://localhost/hook", "local host name"),
    ("http://[::1]:9000/hook", "loopback"),
    ("http://0x7f000001/hook", "loopback"),
    ("http://2130706433/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://10.0.0.1:6379/", "private"),
    ("http://192.168.1.1/", "private"),
    ("http://[fe80::1%25eth0]/", "link-local"),
    ("http://100.64.0.1/", "carrier-grade NAT"),
]


@pytest.fixture(autouse=True)
def _outbound_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KEEL_PAGE_WEBHOOK_ALLOW_HTTP = True
    settings.KEEL_PAGE_RETRY_BASE_SECONDS = 0
    settings.KEEL_PAGE_WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.KEEL_OUTBOUND_ALLOW = []  # the default


@pytest.mark.parametrize(("url", "why"), REFUSED_URLS)
def test_a_webhook_to_a_non_public_address_is_refused_when_added(ann, url, why):
    with pytest.raises(KeelError) as refused:
        contact_method_create(user=ann, owner=ann, kind="webhook", address=url)
    assert why in refused.value.message and refused.value.field == "address"
    assert "KEEL_OUTBOUND_ALLOW" in refused.value.message
    assert not ContactMethod.objects.exists()


def test_the_allow_list_lets_an_on_premises_webhook_be_added(settings, ann):
    settings.KEEL_OUTBOUND_ALLOW = ["10.20.0.0/16", "chat.corp.example"]
    for url in ("http://10.20.1.2:8065/hooks/x", "http://chat.corp.example/hooks/x"):
        contact_method_create(user=ann, owner=ann, kind="webhook", address=url)
    assert ContactMethod.objects.count() == 2


def test_the_api_refuses_a_loopback_webhook_with_a_message(ann):
    answer = client_for(ann).post(
        "/api/v1/oncall/contact-methods/",
        {"kind": "webhook", "address": "http://0x7f000001:6379/"},
        format="json",
    )
    assert answer.status_code == 400
    assert "0x7f000001 is a loopback address" in answer.json()["message"]
    assert not ContactMethod.objects.exists()


def test_viewers_cannot_add_contact_methods(viewer, viewer_api):
    for kind, address in (
        ("webhook", "https://hooks.slack.com/services/T/B/x"),
        ("email", "v@x.io"),
    ):
        answer = viewer_api.post(
            "/api/v1/oncall/contact-methods/", {"kind": kind, "address": address}, format="json"
        )
        assert answer.status_code == 403 and "message" in answer.json()
    client = logged_in(viewer)
    page = client.get("/oncall/me/").content.decode()
    assert "Adding a contact method needs the responder role." in page
    assert 'name="address"' not in page
    assert client.post("/oncall/me/", {"kind": "email", "address": "v@x.io"}).status_code == 403
    assert not ContactMethod.objects.exists()


def test_the_form_refuses_a_private_webhook_with_the_reason(ann):
    answer = logged_in(ann).post(
        "/oncall/me/", {"kind": "webhook", "address": "http://192.168.1.1/hook"}
    )
    assert answer.status_code == 400
    assert "192.168.1.1 is a private address" in answer.content.decode()
    assert not ContactMethod.objects.exists()


def _stored(user, url) -> ContactMethod:
    """A webhook saved before the policy (or while the allow list named it)."""
    return ContactMethod.objects.create(user=user, kind=Channel.WEBHOOK, address=url)


def test_a_page_to_a_stored_loopback_webhook_is_not_sent_and_says_why(
    django_capture_on_commit_callbacks, policy, payments_service, responder, ann, bob
):
    with webhook_catcher() as catcher:
        for person in (ann, bob):
            _stored(person, catcher.url)
        declare(django_capture_on_commit_callbacks, payments_service, responder)

    page = Page.objects.get()
    assert (page.status, page.attempts) == (PageStatus.FAILED, 1)  # not retried
    assert page.last_error.startswith("Not sent: 127.0.0.1 is a loopback address")
    assert catcher.bodies == []


def test_a_page_whose_webhook_redirects_is_not_followed(
    django_capture_on_commit_callbacks, settings, policy, payments_service, responder, ann, bob
):
    settings.KEEL_OUTBOUND_ALLOW = ["127.0.0.1/32"]
    with webhook_catcher() as catcher:
        port = catcher.url.split(":")[2].split("/")[0]
        catcher.statuses = [302]
        catcher.answer_headers = {"Location": f"http://127.0.0.1:{port}/internal"}
        for person in (ann, bob):
            contact_method_create(user=person, owner=person, kind="webhook", address=catcher.url)
        declare(django_capture_on_commit_callbacks, payments_service, responder)

    page = Page.objects.get()
    assert (page.status, page.attempts) == (PageStatus.FAILED, 1)
    assert "does not follow redirects" in page.last_error
    assert len(catcher.bodies) == 1


def test_a_handoff_reminder_to_a_stored_private_webhook_is_not_sent(
    django_capture_on_commit_callbacks, schedule
):
    handoff = prepared_handoff()
    with webhook_catcher() as catcher:
        _stored(handoff.incoming, catcher.url)
        with django_capture_on_commit_callbacks(execute=True):
            handoff_send_reminder(handoff_id=handoff.pk)
    reminder = HandoffReminder.objects.get()
    assert (reminder.status, reminder.attempts) == (PageStatus.FAILED, 1)
    assert "loopback" in reminder.last_error and catcher.bodies == []


def test_another_persons_delivery_error_is_hidden_from_viewers(
    django_capture_on_commit_callbacks, policy, payments_service, responder, viewer, ann, bob
):
    with webhook_catcher() as catcher:
        for person in (ann, bob):
            _stored(person, catcher.url)
        incident = declare(django_capture_on_commit_callbacks, payments_service, responder)
    page = Page.objects.get()
    error = "127.0.0.1 is a loopback address"
    assert error in page.last_error

    room = f"/incidents/{incident.number}/"
    assert error not in logged_in(viewer).get(room).content.decode()
    assert error in logged_in(page.user).get(room).content.decode()
    assert error in logged_in(responder).get(room).content.decode()

    [seen] = client_for(viewer).get("/api/v1/oncall/pages/").json()["results"]
    assert seen["status"] == "failed" and seen["last_error"] == ""
    [own] = client_for(page.user).get("/api/v1/oncall/pages/").json()["results"]
    assert error in own["last_error"]
    detail = client_for(viewer).get(f"/api/v1/oncall/pages/{page.pk}/").json()
    assert detail["last_error"] == ""


def test_a_reminders_error_is_hidden_from_other_viewers(
    django_capture_on_commit_callbacks, schedule, viewer
):
    handoff = prepared_handoff()
    _stored(handoff.incoming, "http://127.0.0.1:9/hook")
    with django_capture_on_commit_callbacks(execute=True):
        handoff_send_reminder(handoff_id=handoff.pk)
    url = reverse("oncall:handoff", args=[handoff.pk])
    assert "loopback" not in logged_in(viewer).get(url).content.decode()
    assert "loopback" in logged_in(handoff.incoming).get(url).content.decode()


@pytest.mark.parametrize("address", ["http://[::1/hook", "https://hooks.example.com:99999/x"])
def test_a_malformed_webhook_url_gets_a_message_not_a_server_error(ann, address):
    answer = client_for(ann).post(
        "/api/v1/oncall/contact-methods/", {"kind": "webhook", "address": address}, format="json"
    )
    assert answer.status_code == 400
    assert "not a valid URL" in answer.json()["message"]
