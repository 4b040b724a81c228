"""Paging, budgets and postmortems hear of each incident change once it is committed."""

from datetime import timedelta

import pytest
from django.db import transaction

from core.actors import Actor
from incidents.flows import incident_changed
from incidents.services import (
    incident_acknowledge,
    incident_add_responder,
    incident_close,
    incident_correct_time,
    incident_declare,
    incident_reopen,
    incident_resolve,
    incident_set_severity,
    incident_set_status,
    incident_update_details,
)
from tests.incidents import payloads

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    changes: list[tuple[int, str]] = []

    def receiver(sender, incident_id, change, **kwargs):
        changes.append((incident_id, change))

    incident_changed.connect(receiver, weak=False)
    yield changes
    incident_changed.disconnect(receiver)


def test_each_lifecycle_change_is_heard_after_commit(
    responder, heard, django_capture_on_commit_callbacks
):
    actor = Actor.of(responder)
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(actor=actor, title="Checkout down", severity="SEV2")
        incident_acknowledge(incident=incident, actor=actor)
        incident_set_status(incident=incident, status="identified", actor=actor)
        incident_set_severity(incident=incident, severity="SEV1", actor=actor)
        incident_update_details(incident=incident, actor=actor, title="Checkout 500s")
        incident_add_responder(incident=incident, user=responder, actor=actor)
        incident_resolve(incident=incident, actor=actor)
        incident_reopen(incident=incident, actor=actor, reason="came back")
        incident.refresh_from_db()
        incident_correct_time(
            incident=incident,
            field="started_at",
            value=incident.started_at - timedelta(minutes=5),
            reason="the graphs show it earlier",
            actor=actor,
        )
        incident_resolve(incident=incident, actor=actor)
        incident_close(incident=incident, actor=actor)
    assert [change for _, change in heard] == [
        "opened",
        "acknowledged",
        "status",
        "severity",
        "details",
        "roles",
        "resolved",
        "reopened",
        "times_corrected",
        "resolved",
        "closed",
    ]
    assert {incident_id for incident_id, _ in heard} == {incident.pk}


def test_nothing_is_heard_when_the_transaction_rolls_back(responder, heard):
    actor = Actor.of(responder)
    with pytest.raises(RuntimeError), transaction.atomic():
        incident_declare(actor=actor, title="Never", severity="SEV3")
        raise RuntimeError("rolled back")
    assert heard == []


def test_a_failing_receiver_does_not_fail_the_change(
    responder, caplog, django_capture_on_commit_callbacks
):
    def broken(sender, **kwargs):
        raise ValueError("pager offline")

    incident_changed.connect(broken, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            incident = incident_declare(actor=Actor.of(responder), title="X", severity="SEV3")
    finally:
        incident_changed.disconnect(broken)
    assert incident.pk is not None
    assert "receiver" in caplog.text and "failed" in caplog.text


def test_an_incident_opened_from_alerts_is_heard_once(
    integration_and_token, client, heard, django_capture_on_commit_callbacks
):
    _, token = integration_and_token
    body = payloads.body(payloads.notification([payloads.alert()]))
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                "/hooks/alertmanager/",
                data=body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
    assert [change for _, change in heard] == ["opened"]


def test_other_parts_record_their_steps_on_the_timeline(responder):
    from core.errors import KeelError
    from incidents.services import incident_record

    incident = incident_declare(actor=Actor.of(responder), title="Pager test", severity="SEV3")
    entry = incident_record(
        incident=incident,
        kind="paged",
        actor=Actor.system(),
        text="Paged rita by email.",
        data={"user": "rita"},
    )
    assert list(incident.timeline.order_by("at", "pk").values_list("kind", flat=True)) == [
        "declared",
        "paged",
    ]
    assert entry.data == {"user": "rita"}
    with pytest.raises(KeelError):
        incident_record(incident=incident, kind="resolved", actor=Actor.system(), text="sneaky")
    assert incident.timeline.count() == 2
