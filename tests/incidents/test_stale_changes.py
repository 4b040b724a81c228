"""A change based on a stale view of an incident must not undo a newer change: the room's
forms and the API carry the version they were drawn from, and a change to what the action
depends on since then refuses it, naming what changed and who changed it."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.actors import Actor
from core.errors import KeelConflict, KeelError
from incidents import services
from incidents.choices import EntryKind, Severity, Status
from incidents.models import Incident
from incidents.services import delivery_process, delivery_receive
from tests.factories import ResponderFactory
from tests.incidents import payloads

pytestmark = pytest.mark.django_db

LOW = "aaaa00000000000a"
URGENT = "bbbb00000000000b"


def deliver(integration, alerts):
    """Store a body as the webhook does, then process it as the worker does."""
    body = payloads.body(payloads.notification(alerts))
    delivery = delivery_receive(
        integration_id=integration.pk, body=body, user_agent="Alertmanager/0.27.0"
    )
    assert delivery_process(delivery_id=delivery.pk) is not None


def low_alert():
    return payloads.alert(fingerprint=LOW, severity="warning")  # mapped to SEV4


def urgent_alert():
    return payloads.alert(fingerprint=URGENT, alertname="CheckoutDown", severity="page")


@pytest.fixture
def sev4_incident(integration):
    """An incident opened at SEV4 from a warning alert."""
    deliver(integration, [low_alert()])
    incident = Incident.objects.get()
    assert incident.severity == Severity.SEV4
    return incident


@pytest.fixture
def as_responder(client, responder):
    client.force_login(responder)
    return client


def room_url(incident):
    return reverse("ui:incident-room", args=[incident.number])


def action_url(name, incident):
    return reverse(f"ui:incident-{name}", args=[incident.number])


def drawn_version(page: str, form: str) -> str:
    """The version a form of the room was drawn with (its hidden field)."""
    found = re.search(rf'name="{form}-version" value="(\d+)"', page)
    assert found, f"the {form} form carries no version"
    return found.group(1)


def selected_severity(page: str) -> str:
    select = re.search(r'<select name="severity-severity".*?</select>', page, re.S)
    assert select
    chosen = re.search(r'<option value="(SEV\d)" selected>', select.group(0))
    assert chosen
    return chosen.group(1)


def severity_entries(incident):
    return list(incident.timeline.filter(kind=EntryKind.SEVERITY).values_list("text", flat=True))


# --- The seen defect: the room ---------------------------------------------------------


def test_a_stale_severity_form_cannot_undo_a_joining_alerts_sev1(
    as_responder, integration, sev4_incident
):
    page = as_responder.get(room_url(sev4_incident)).content.decode()
    assert selected_severity(page) == "SEV4"
    version = drawn_version(page, "severity")

    deliver(integration, [low_alert(), urgent_alert()])  # joins and raises it to SEV1
    assert Incident.objects.get().severity == Severity.SEV1

    response = as_responder.post(
        action_url("severity", sev4_incident),
        {"severity-severity": "SEV4", "severity-version": version},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was changed" in html
    assert "integration:am-test" in html  # who
    assert "Severity SEV4 → SEV1: CheckoutDown joined with severity=page" in html  # what
    assert selected_severity(html) == "SEV1"  # the form is redrawn from the current state
    assert drawn_version(html, "severity") != version
    incident = Incident.objects.get()
    assert incident.severity == Severity.SEV1
    assert severity_entries(incident) == [
        "Severity SEV4 → SEV1: CheckoutDown joined with severity=page."
    ]

    # Submitted again from the redrawn form, the change is a deliberate one and is made.
    again = as_responder.post(
        action_url("severity", sev4_incident),
        {"severity-severity": "SEV2", "severity-version": drawn_version(html, "severity")},
    )
    assert again.status_code == 302
    assert Incident.objects.get().severity == Severity.SEV2


def test_a_note_or_a_page_since_the_form_was_drawn_does_not_refuse_a_severity_change(
    as_responder, responder, integration, sev4_incident
):
    page = as_responder.get(room_url(sev4_incident)).content.decode()
    version = drawn_version(page, "severity")
    other = ResponderFactory(username="otto")
    services.incident_add_note(incident=sev4_incident, text="Looking at it", actor=Actor.of(other))
    services.incident_record(
        incident=sev4_incident, kind=EntryKind.PAGED, text="Paged otto.", actor=Actor.system()
    )
    deliver(integration, [low_alert()])  # the same alert again: nothing about severity

    response = as_responder.post(
        action_url("severity", sev4_incident),
        {"severity-severity": "SEV2", "severity-version": version},
    )

    assert response.status_code == 302
    assert Incident.objects.get().severity == Severity.SEV2


def test_a_stale_status_form_is_refused_after_someone_else_moved_it(as_responder, sev4_incident):
    page = as_responder.get(room_url(sev4_incident)).content.decode()
    other = ResponderFactory(username="otto")
    services.incident_set_status(
        incident=sev4_incident, status=Status.MONITORING, actor=Actor.of(other)
    )

    response = as_responder.post(
        action_url("status", sev4_incident),
        {
            "status-status": "identified",
            "status-note": "found the bad deploy",
            "status-version": drawn_version(page, "status"),
        },
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "otto" in html and "Status investigating → monitoring" in html
    assert "found the bad deploy" in html  # what the person typed is kept
    assert Incident.objects.get().status == Status.MONITORING


def test_a_stale_resolve_is_refused_after_a_reopen(as_responder, sev4_incident):
    page = as_responder.get(room_url(sev4_incident)).content.decode()
    other = ResponderFactory(username="otto")
    services.incident_resolve(incident=sev4_incident, actor=Actor.of(other))
    services.incident_reopen(incident=sev4_incident, reason="back again", actor=Actor.of(other))

    response = as_responder.post(
        action_url("resolve", sev4_incident),
        {"resolve-note": "", "resolve-version": drawn_version(page, "resolve")},
    )

    assert response.status_code == 409
    assert "otto reopened the incident" in response.content.decode()
    assert Incident.objects.get().status == Status.INVESTIGATING


def test_a_stale_take_command_is_refused_when_someone_took_it(as_responder, sev4_incident):
    page = as_responder.get(room_url(sev4_incident)).content.decode()
    other = ResponderFactory(username="otto")
    services.incident_assign_commander(
        incident=sev4_incident, commander=other, actor=Actor.of(other)
    )

    response = as_responder.post(
        action_url("command", sev4_incident), {"command-version": drawn_version(page, "command")}
    )

    assert response.status_code == 409
    assert "otto is now the incident commander" in response.content.decode()
    assert Incident.objects.get().commander == other


def test_a_stale_details_form_cannot_undo_a_newer_title(as_responder, sev4_incident, checkout):
    page = as_responder.get(room_url(sev4_incident)).content.decode()
    other = ResponderFactory(username="otto")
    services.incident_update_details(
        incident=sev4_incident, title="Checkout: card payments fail", actor=Actor.of(other)
    )

    response = as_responder.post(
        action_url("details", sev4_incident),
        {
            "details-title": sev4_incident.title,
            "details-summary": "Customers cannot pay.",
            "details-services": [checkout.pk],
            "details-version": drawn_version(page, "details"),
        },
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "otto edited the title" in html
    assert 'value="Checkout: card payments fail"' in html  # redrawn with the current title
    incident = Incident.objects.get()
    assert (incident.title, incident.summary) == ("Checkout: card payments fail", "")


# --- The seen defect: the API ----------------------------------------------------------


def detail_url(incident, action=""):
    base = f"/api/v1/incidents/{incident.number}/"
    return f"{base}{action}/" if action else base


@pytest.mark.parametrize("how", ["if_version", "If-Match"])
def test_the_api_refuses_a_stale_severity_with_409(responder_api, integration, sev4_incident, how):
    detail = responder_api.get(detail_url(sev4_incident))
    version = detail.json()["version"]
    assert detail["ETag"] == f'"{version}"'

    deliver(integration, [low_alert(), urgent_alert()])
    if how == "if_version":
        response = responder_api.post(
            detail_url(sev4_incident, "severity"),
            {"severity": "SEV4", "if_version": version},
            format="json",
        )
    else:
        response = responder_api.post(
            detail_url(sev4_incident, "severity"),
            {"severity": "SEV4"},
            format="json",
            HTTP_IF_MATCH=f'"{version}"',
        )

    assert response.status_code == 409
    body = response.json()
    assert "integration:am-test" in body["message"]
    assert "Severity SEV4 → SEV1" in body["message"]
    assert [(c["kind"], c["actor"]) for c in body["changes"]] == [
        ("severity", "integration:am-test")
    ]
    assert body["version"] > version
    assert Incident.objects.get().severity == Severity.SEV1


def test_the_api_applies_a_change_that_does_not_conflict(responder_api, sev4_incident):
    version = responder_api.get(detail_url(sev4_incident)).json()["version"]
    other = ResponderFactory(username="otto")
    services.incident_update_details(
        incident=sev4_incident, title="Checkout: card payments fail", actor=Actor.of(other)
    )
    services.incident_add_note(incident=sev4_incident, text="Rolled back", actor=Actor.of(other))

    summary = responder_api.patch(
        detail_url(sev4_incident),
        {"summary": "Since the 14:00 deploy.", "if_version": version},
        format="json",
    )
    severity = responder_api.post(
        detail_url(sev4_incident, "severity"),
        {"severity": "SEV2", "if_version": version},
        format="json",
    )

    assert summary.status_code == 200 and severity.status_code == 200
    incident = Incident.objects.get()
    assert (incident.title, incident.summary, incident.severity) == (
        "Checkout: card payments fail",
        "Since the 14:00 deploy.",
        Severity.SEV2,
    )


@pytest.mark.parametrize("header", ['"abc"', "12 13", '"99999999999999999999"'])
def test_a_malformed_if_match_is_400_and_changes_nothing(responder_api, sev4_incident, header):
    response = responder_api.post(
        detail_url(sev4_incident, "severity"),
        {"severity": "SEV1"},
        format="json",
        HTTP_IF_MATCH=header,
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("If-Match:")
    assert Incident.objects.get().severity == Severity.SEV4


def test_the_schema_documents_the_version_and_the_409(responder_api):
    schema = responder_api.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "if_version" in text and "If-Match" in text and "IncidentConflict" in text


# --- Which changes conflict (the service, for every caller) -----------------------------


def _declared(responder):
    return services.incident_declare(
        actor=Actor.of(responder), title="Checkout is down", severity=Severity.SEV3
    )


def _version(incident):
    from incidents.services.freshness import incident_version

    return incident_version(incident)


CHANGES = {
    "severity": lambda i, a: services.incident_set_severity(
        incident=i, severity=Severity.SEV1, actor=a
    ),
    "status": lambda i, a: services.incident_set_status(
        incident=i, status=Status.IDENTIFIED, actor=a
    ),
    "note": lambda i, a: services.incident_add_note(incident=i, text="hm", actor=a),
    "reopened": lambda i, a: services.incident_reopen(
        incident=services.incident_resolve(incident=i, actor=a), reason="back", actor=a
    ),
    "title": lambda i, a: services.incident_update_details(incident=i, title="Renamed", actor=a),
    "commander": lambda i, a: services.incident_assign_commander(
        incident=i, commander=a.user, actor=a
    ),
    "detected": lambda i, a: services.incident_correct_time(
        incident=i,
        field="detected_at",
        value=i.detected_at - timedelta(minutes=1),
        reason="seen earlier",
        actor=a,
    ),
}

ATTEMPTS = {
    "acknowledge": lambda i, a, v: services.incident_acknowledge(incident=i, actor=a, based_on=v),
    "resolve": lambda i, a, v: services.incident_resolve(incident=i, actor=a, based_on=v),
    "severity": lambda i, a, v: services.incident_set_severity(
        incident=i, severity=Severity.SEV4, actor=a, based_on=v
    ),
    "status": lambda i, a, v: services.incident_set_status(
        incident=i, status=Status.MONITORING, actor=a, based_on=v
    ),
    "summary": lambda i, a, v: services.incident_update_details(
        incident=i, summary="new summary", actor=a, based_on=v
    ),
    "title": lambda i, a, v: services.incident_update_details(
        incident=i, title="Other name", actor=a, based_on=v
    ),
    "commander": lambda i, a, v: services.incident_assign_commander(
        incident=i, commander=None, actor=a, based_on=v
    ),
    "correct started": lambda i, a, v: services.incident_correct_time(
        incident=i,
        field="started_at",
        value=i.started_at - timedelta(minutes=2),
        reason="began earlier",
        actor=a,
        based_on=v,
    ),
    "correct detected": lambda i, a, v: services.incident_correct_time(
        incident=i,
        field="detected_at",
        value=i.detected_at - timedelta(minutes=3),
        reason="seen earlier",
        actor=a,
        based_on=v,
    ),
}

CONFLICTS = {
    ("severity", "severity"),
    ("status", "status"),
    ("title", "title"),
    ("commander", "commander"),
    ("detected", "correct detected"),
    ("reopened", "acknowledge"),
    ("reopened", "resolve"),
    ("reopened", "status"),
}


@pytest.mark.parametrize("attempt", sorted(ATTEMPTS))
@pytest.mark.parametrize("change", sorted(CHANGES))
def test_only_a_change_to_what_the_action_depends_on_refuses_it(responder, change, attempt):
    incident = _declared(responder)
    incident.started_at = timezone.now() - timedelta(hours=1)
    incident.save(update_fields=["started_at"])
    version = _version(incident)
    other = ResponderFactory(username="otto")
    CHANGES[change](Incident.objects.get(pk=incident.pk), Actor.of(other))
    fresh = Incident.objects.get(pk=incident.pk)

    if (change, attempt) in CONFLICTS:
        with pytest.raises(KeelConflict) as refused:
            ATTEMPTS[attempt](fresh, Actor.of(responder), version)
        assert "otto" in refused.value.message
        assert Incident.objects.get(pk=incident.pk).updated_at == fresh.updated_at
    else:
        ATTEMPTS[attempt](fresh, Actor.of(responder), version)
        assert Incident.objects.get(pk=incident.pk).updated_at > fresh.updated_at


# --- Viewers hold no incident role -------------------------------------------------------


def test_a_viewer_cannot_be_made_a_responder_in_the_room(as_responder, viewer):
    incident = _declared(ResponderFactory(username="otto"))
    response = as_responder.post(
        action_url("responder-add", incident), {"responder-username": viewer.username}
    )
    assert response.status_code == 400
    assert "vic is a viewer; only responders and admins" in response.content.decode()
    assert not incident.responders.exists()


@pytest.mark.parametrize(
    "path, payload",
    [("responders", {"username": "vic"}), ("commander", {"username": "vic"})],
)
def test_a_viewer_cannot_be_made_responder_or_commander_through_the_api(
    responder_api, responder, viewer, path, payload
):
    incident = _declared(responder)
    response = responder_api.post(detail_url(incident, path), payload, format="json")
    assert response.status_code == 400
    assert response.json()["message"].startswith("vic is a viewer")
    incident.refresh_from_db()
    assert incident.commander == responder and not incident.responders.exists()


def test_a_viewer_cannot_be_declared_commander(responder_api, viewer):
    response = responder_api.post(
        "/api/v1/incidents/",
        {"title": "Disk full", "severity": "SEV4", "commander": "vic"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "commander": [
            "vic is a viewer; only responders and admins can be incident commanders or responders."
        ]
    }
    assert not Incident.objects.exists()


def test_the_service_refuses_a_viewer_for_every_caller(responder, viewer, admin_user):
    incident = _declared(responder)
    for attempt in (
        lambda: services.incident_add_responder(
            incident=incident, user=viewer, actor=Actor.of(responder)
        ),
        lambda: services.incident_assign_commander(
            incident=incident, commander=viewer, actor=Actor.of(responder)
        ),
    ):
        with pytest.raises(KeelError) as refused:
            attempt()
        assert refused.value.message.startswith("vic is a viewer")

    mine = Actor.of(responder)
    services.incident_add_responder(incident=incident, user=admin_user, actor=mine)
    helper = ResponderFactory(username="hana")
    services.incident_assign_commander(incident=incident, commander=helper, actor=mine)
    incident.refresh_from_db()
    assert incident.commander == helper
    assert list(incident.responders.all()) == [admin_user]


# --- The postmortem's impact figures: the same defect, a form that replaces them all ----


def test_a_stale_figures_form_cannot_undo_newer_figures(client, responder):
    from postmortems import services as pm

    incident = _declared(responder)
    postmortem = pm.postmortem_draft(incident=incident, actor=Actor.of(responder))
    client.force_login(responder)
    editor = f"/incidents/{incident.number}/postmortem/"
    page = client.get(editor)
    assert page.status_code == 200
    drawn = re.search(r'name="drawn" value="([^"]*)"', page.content.decode())
    assert drawn, "the figures form carries no drawn figures"

    other = ResponderFactory(username="otto")
    pm.postmortem_set_figures(postmortem=postmortem, actor=Actor.of(other), users_affected=1200)

    response = client.post(
        editor + "figures/",
        {"users_affected": "", "failed_requests": "35", "drawn": drawn.group(1)},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was saved: the impact figures changed" in html
    assert "users affected 1200" in html
    assert 'name="users_affected" value="1200"' in html  # redrawn from the current figures
    postmortem.refresh_from_db()
    assert (postmortem.users_affected, postmortem.failed_requests) == (1200, None)

    again = re.search(r'name="drawn" value="([^"]*)"', html)
    assert again
    saved = client.post(
        editor + "figures/",
        {"users_affected": "1200", "failed_requests": "35", "drawn": again.group(1)},
    )
    assert saved.status_code == 302
    postmortem.refresh_from_db()
    assert (postmortem.users_affected, postmortem.failed_requests) == (1200, 35)
