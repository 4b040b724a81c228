"""Incident lifecycle services on PostgreSQL: state, timeline, permissions, constraints."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.actors import Actor
from core.errors import KeelError
from incidents import services
from incidents.choices import EntryKind, Kind, Severity, Status
from incidents.models import Delivery, Incident, TimelineEntry
from incidents.selectors import incident_metrics
from tests.factories import ResponderFactory, ServiceFactory, UserFactory
from tests.incidents import payloads

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def declare(responder, **kwargs) -> Incident:
    fields = {
        "actor": Actor.of(responder),
        "title": "Checkout 5xx above 2%",
        "severity": Severity.SEV2,
        "started_at": minutes(-10),
        "at": T0,
    }
    fields.update(kwargs)
    return services.incident_declare(**fields)


def entries(incident: Incident) -> list[TimelineEntry]:
    return list(TimelineEntry.objects.filter(incident=incident).order_by("at", "id"))


def snapshot(incident: Incident) -> dict:
    """What a user could see of an incident: every field, its services, responders, timeline."""
    row = Incident.objects.get(pk=incident.pk)
    fields = {f.attname: getattr(row, f.attname) for f in Incident._meta.concrete_fields}
    fields.pop("updated_at")
    return {
        **fields,
        "services": sorted(row.services.values_list("slug", flat=True)),
        "responders": sorted(row.responders.values_list("username", flat=True)),
        "timeline": list(
            TimelineEntry.objects.filter(incident=row).values_list("id", "kind", "text", "pinned")
        ),
    }


# --- declare -------------------------------------------------------------------------------


def test_declare_writes_the_incident_and_one_declared_entry(responder, checkout):
    incident = declare(responder, services=[checkout], summary="Card payments fail.")

    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.kind == Kind.MANUAL
    assert incident.severity == Severity.SEV2
    assert incident.started_at == minutes(-10)
    assert incident.detected_at == T0
    assert incident.acknowledged_at is None and incident.resolved_at is None
    assert incident.commander == responder
    assert list(incident.services.values_list("slug", flat=True)) == ["checkout"]
    [entry] = entries(incident)
    assert entry.kind == EntryKind.DECLARED
    assert entry.at == T0
    assert entry.actor_user == responder
    assert entry.actor_name == "rita"
    assert entry.text == f"rita declared {incident.reference} (SEV2)."
    assert entry.data == {"severity": "SEV2", "kind": "manual"}


def test_declare_a_drill(responder):
    incident = declare(responder, kind=Kind.DRILL)
    assert Incident.objects.get(pk=incident.pk).kind == Kind.DRILL


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": "   "}, "A title is required."),
        ({"severity": "SEV9"}, "Unknown severity 'SEV9'; use one of SEV1, SEV2, SEV3, SEV4."),
        ({"kind": Kind.ALERT}, "Declared incidents are of kind 'manual' or 'drill'."),
        ({"started_at": minutes(5)}, "The start cannot be in the future."),
    ],
)
def test_declare_rejects_bad_input_and_stores_nothing(responder, kwargs, message):
    with pytest.raises(KeelError) as error:
        declare(responder, **kwargs)
    assert error.value.message == message
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_incident_numbers_are_sequential(responder):
    numbers = [declare(responder, title=f"Incident {i}").number for i in range(4)]
    assert numbers == list(range(numbers[0], numbers[0] + 4))
    assert Incident.objects.get(number=numbers[2]).reference == f"INC-{numbers[2]}"


def test_a_failed_declare_does_not_use_up_a_number(responder):
    first = declare(responder)
    with pytest.raises(KeelError):
        declare(responder, severity="SEV0")
    second = declare(responder)
    assert second.number == first.number + 1


# --- acknowledge ---------------------------------------------------------------------------


def test_acknowledge_sets_time_and_user_and_writes_one_entry(responder):
    incident = declare(responder)
    services.incident_acknowledge(incident=incident, actor=Actor.of(responder), at=minutes(3))

    incident.refresh_from_db()
    assert incident.acknowledged_at == minutes(3)
    assert incident.acknowledged_by == responder
    assert [(e.kind, e.at, e.text) for e in entries(incident)][1:] == [
        (EntryKind.ACKNOWLEDGED, minutes(3), "rita acknowledged.")
    ]


def test_acknowledging_twice_keeps_the_first_time(responder, admin_user):
    incident = declare(responder)
    services.incident_acknowledge(incident=incident, actor=Actor.of(responder), at=minutes(3))
    services.incident_acknowledge(incident=incident, actor=Actor.of(admin_user), at=minutes(9))

    incident.refresh_from_db()
    assert incident.acknowledged_at == minutes(3)
    assert incident.acknowledged_by == responder
    assert [e.kind for e in entries(incident)].count(EntryKind.ACKNOWLEDGED) == 1


def test_a_reopened_incident_asks_for_acknowledgement_again_and_mtta_keeps_the_first(
    responder, admin_user
):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_acknowledge(incident=incident, actor=actor, at=minutes(3))
    services.incident_resolve(incident=incident, actor=actor, at=minutes(20))
    services.incident_reopen(incident=incident, actor=actor, at=minutes(30))
    incident.refresh_from_db()
    assert incident.awaiting_acknowledgement and incident.last_acknowledged_at is None

    services.incident_acknowledge(incident=incident, actor=Actor.of(admin_user), at=minutes(34))
    services.incident_acknowledge(incident=incident, actor=actor, at=minutes(40))

    incident.refresh_from_db()
    assert not incident.awaiting_acknowledgement
    assert (incident.acknowledged_at, incident.acknowledged_by) == (minutes(3), responder)
    assert incident.last_acknowledged_at == minutes(34)
    acks = [(e.at, e.text) for e in entries(incident) if e.kind == EntryKind.ACKNOWLEDGED]
    assert acks == [
        (minutes(3), "rita acknowledged."),
        (minutes(34), "ada acknowledged again since the reopen."),
    ]
    overall = incident_metrics(user=responder)["overall"]
    assert overall["time_to_acknowledge"]["max"] == 3 * 60


def test_correcting_the_acknowledgement_time_moves_the_standing_acknowledgement_too(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_acknowledge(incident=incident, actor=actor, at=minutes(3))
    services.incident_correct_time(
        incident=incident,
        actor=actor,
        field="acknowledged_at",
        value=minutes(2),
        reason="Paged by phone first.",
        at=minutes(10),
    )
    incident.refresh_from_db()
    assert incident.acknowledged_at == incident.last_acknowledged_at == minutes(2)


def test_the_database_refuses_a_standing_acknowledgement_without_a_first_one(responder):
    incident = declare(responder)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=incident.pk).update(last_acknowledged_at=minutes(3))


def test_a_resolved_incident_cannot_be_acknowledged(responder):
    incident = declare(responder)
    services.incident_resolve(incident=incident, actor=Actor.of(responder), at=minutes(5))
    before = snapshot(incident)

    with pytest.raises(KeelError) as error:
        services.incident_acknowledge(incident=incident, actor=Actor.of(responder), at=minutes(6))

    assert "only open incidents can be acknowledged" in error.value.message
    assert snapshot(incident) == before


# --- status --------------------------------------------------------------------------------


def test_each_legal_status_change_writes_its_entry(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_set_status(
        incident=incident, status=Status.IDENTIFIED, actor=actor, at=minutes(1)
    )
    services.incident_set_status(
        incident=incident,
        status=Status.MONITORING,
        actor=actor,
        note="Rolled back.",
        at=minutes(2),
    )
    services.incident_set_status(
        incident=incident, status=Status.INVESTIGATING, actor=actor, at=minutes(3)
    )

    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert [(e.kind, e.at, e.text, e.data) for e in entries(incident)[1:]] == [
        (
            EntryKind.STATUS,
            minutes(1),
            "Status investigating → identified.",
            {"from": "investigating", "to": "identified"},
        ),
        (
            EntryKind.STATUS,
            minutes(2),
            "Status identified → monitoring. Rolled back.",
            {"from": "identified", "to": "monitoring"},
        ),
        (
            EntryKind.STATUS,
            minutes(3),
            "Status monitoring → investigating.",
            {"from": "monitoring", "to": "investigating"},
        ),
    ]


def test_setting_the_same_status_changes_nothing(responder):
    incident = declare(responder)
    before = snapshot(incident)
    services.incident_set_status(
        incident=incident, status=Status.INVESTIGATING, actor=Actor.of(responder), at=minutes(1)
    )
    assert snapshot(incident) == before


def test_status_resolved_sets_resolved_at(responder):
    incident = declare(responder)
    services.incident_set_status(
        incident=incident, status=Status.RESOLVED, actor=Actor.of(responder), at=minutes(7)
    )
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.resolved_at == minutes(7)
    assert entries(incident)[-1].kind == EntryKind.RESOLVED


def test_investigating_to_closed_is_refused_and_changes_nothing(responder):
    incident = declare(responder)
    before = snapshot(incident)

    with pytest.raises(KeelError) as error:
        services.incident_set_status(
            incident=incident, status=Status.CLOSED, actor=Actor.of(responder), at=minutes(1)
        )

    assert error.value.message == (
        f"Resolve {incident.reference} before closing it (it is investigating)."
    )
    assert error.value.field == "status"
    assert snapshot(incident) == before


@pytest.mark.parametrize(
    "status", [Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED]
)
def test_a_closed_incident_cannot_move_to_any_status(responder, status):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_resolve(incident=incident, actor=actor, at=minutes(5))
    services.incident_close(incident=incident, actor=actor, at=minutes(6))
    before = snapshot(incident)

    with pytest.raises(KeelError) as error:
        services.incident_set_status(incident=incident, status=status, actor=actor, at=minutes(7))

    assert incident.reference in error.value.message
    assert "closed" in error.value.message
    assert snapshot(incident) == before


def test_resolved_to_identified_is_refused_with_the_allowed_moves(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_resolve(incident=incident, actor=actor, at=minutes(5))
    before = snapshot(incident)

    with pytest.raises(KeelError) as error:
        services.incident_set_status(
            incident=incident, status=Status.IDENTIFIED, actor=actor, at=minutes(6)
        )

    assert error.value.message == (
        f"{incident.reference} cannot move from resolved to identified; "
        "allowed: closed, investigating."
    )
    assert snapshot(incident) == before


def test_unknown_status_is_refused(responder):
    incident = declare(responder)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_set_status(
            incident=incident, status="on-fire", actor=Actor.of(responder), at=minutes(1)
        )
    assert error.value.message == "Unknown status 'on-fire'."
    assert snapshot(incident) == before


def test_status_investigating_on_a_resolved_incident_reopens_it(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_resolve(incident=incident, actor=actor, at=minutes(5))
    services.incident_set_status(
        incident=incident,
        status=Status.INVESTIGATING,
        actor=actor,
        note="Errors are back.",
        at=minutes(8),
    )

    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.resolved_at is None
    last = entries(incident)[-1]
    assert (last.kind, last.at, last.text) == (
        EntryKind.REOPENED,
        minutes(8),
        "rita reopened the incident. Errors are back.",
    )


# --- resolve, reopen, close ----------------------------------------------------------------


def test_resolve_sets_time_and_writes_one_entry(responder):
    incident = declare(responder)
    services.incident_resolve(
        incident=incident, actor=Actor.of(responder), note="Failed over.", at=minutes(20)
    )
    incident.refresh_from_db()
    assert incident.status == Status.RESOLVED
    assert incident.resolved_at == minutes(20)
    assert [(e.kind, e.text, e.data) for e in entries(incident)[1:]] == [
        (
            EntryKind.RESOLVED,
            "rita resolved the incident. Failed over.",
            {"from": "investigating", "to": "resolved"},
        )
    ]


def test_resolving_twice_is_refused(responder):
    incident = declare(responder)
    services.incident_resolve(incident=incident, actor=Actor.of(responder), at=minutes(20))
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_resolve(incident=incident, actor=Actor.of(responder), at=minutes(21))
    assert error.value.message == f"{incident.reference} is already resolved."
    assert snapshot(incident) == before


def test_reopen_clears_resolved_at_and_writes_one_entry(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_resolve(incident=incident, actor=actor, at=minutes(20))
    services.incident_reopen(incident=incident, actor=actor, reason="Relapsed.", at=minutes(30))

    incident.refresh_from_db()
    assert incident.status == Status.INVESTIGATING
    assert incident.resolved_at is None
    assert [(e.kind, e.at, e.text) for e in entries(incident)[2:]] == [
        (EntryKind.REOPENED, minutes(30), "rita reopened the incident. Relapsed.")
    ]


def test_reopening_an_open_incident_is_refused(responder):
    incident = declare(responder)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_reopen(incident=incident, actor=Actor.of(responder), at=minutes(1))
    assert error.value.message == (
        f"Only resolved incidents can be reopened; {incident.reference} is investigating."
    )
    assert snapshot(incident) == before


def test_reopening_a_closed_incident_is_refused(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_resolve(incident=incident, actor=actor, at=minutes(5))
    services.incident_close(incident=incident, actor=actor, at=minutes(6))
    before = snapshot(incident)

    with pytest.raises(KeelError) as error:
        services.incident_reopen(incident=incident, actor=actor, at=minutes(7))

    assert error.value.message == (
        f"Only resolved incidents can be reopened; {incident.reference} is closed."
    )
    assert snapshot(incident) == before


def test_close_sets_closed_at_and_writes_one_entry(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_resolve(incident=incident, actor=actor, at=minutes(5))
    services.incident_close(incident=incident, actor=actor, at=minutes(60))

    incident.refresh_from_db()
    assert incident.status == Status.CLOSED
    assert incident.closed_at == minutes(60)
    assert incident.resolved_at == minutes(5)
    assert [(e.kind, e.at, e.text) for e in entries(incident)[2:]] == [
        (EntryKind.CLOSED, minutes(60), "rita closed the incident.")
    ]


def _process(integration, payload: dict, at: datetime) -> Delivery:
    delivery = services.delivery_receive(
        integration_id=integration.pk, body=payloads.body(payload), at=at
    )
    return services.delivery_process(delivery_id=delivery.pk, at=at)


def test_reopen_is_refused_while_a_newer_incident_of_the_alert_group_is_open(
    responder, integration
):
    firing = payloads.notification([payloads.alert(starts_at="2026-03-02T08:50:00Z")])
    first = _process(integration, firing, T0)
    older = Incident.objects.get(number=first.outcome["incident"])
    services.incident_resolve(incident=older, actor=Actor.of(responder), at=minutes(10))
    ended = payloads.notification(
        [
            payloads.alert(
                starts_at="2026-03-02T08:50:00Z", status="resolved", ends_at="2026-03-02T09:10:00Z"
            )
        ]
    )
    _process(integration, ended, minutes(20))
    # The same alert firing again after it resolved: a new instance, and a new incident.
    refired = payloads.notification([payloads.alert(starts_at="2026-03-02T09:30:00Z")])
    second = _process(integration, refired, minutes(35))
    newer = Incident.objects.get(number=second.outcome["incident"])
    assert newer.pk != older.pk and newer.is_open
    before = snapshot(older)

    with pytest.raises(KeelError) as error:
        services.incident_reopen(incident=older, actor=Actor.of(responder), at=minutes(40))

    assert error.value.message == (
        f"{newer.reference} is already open for this alert group; work there instead."
    )
    assert snapshot(older) == before
    assert Incident.objects.get(pk=newer.pk).status == Status.INVESTIGATING


# --- severity, roles, notes, details -------------------------------------------------------


def test_set_severity_writes_one_entry_and_same_severity_writes_none(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_set_severity(
        incident=incident, severity=Severity.SEV1, actor=actor, at=minutes(2)
    )
    services.incident_set_severity(
        incident=incident, severity=Severity.SEV1, actor=actor, at=minutes(3)
    )

    incident.refresh_from_db()
    assert incident.severity == Severity.SEV1
    assert [(e.kind, e.at, e.text, e.data) for e in entries(incident)[1:]] == [
        (EntryKind.SEVERITY, minutes(2), "Severity SEV2 → SEV1.", {"from": "SEV2", "to": "SEV1"})
    ]


def test_unknown_severity_is_refused(responder):
    incident = declare(responder)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_set_severity(incident=incident, severity="P1", actor=Actor.of(responder))
    assert error.value.message == "Unknown severity 'P1'; use one of SEV1, SEV2, SEV3, SEV4."
    assert snapshot(incident) == before


def test_severity_of_a_closed_incident_cannot_change(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_resolve(incident=incident, actor=actor, at=minutes(5))
    services.incident_close(incident=incident, actor=actor, at=minutes(6))
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_set_severity(incident=incident, severity=Severity.SEV1, actor=actor)
    assert error.value.message == f"{incident.reference} is closed."
    assert snapshot(incident) == before


def test_assign_and_clear_the_commander(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    bob = ResponderFactory(username="bob")
    services.incident_assign_commander(incident=incident, commander=bob, actor=actor, at=minutes(1))
    services.incident_assign_commander(incident=incident, commander=bob, actor=actor, at=minutes(2))
    assert Incident.objects.get(pk=incident.pk).commander == bob
    services.incident_assign_commander(
        incident=incident, commander=None, actor=actor, at=minutes(3)
    )

    assert Incident.objects.get(pk=incident.pk).commander is None
    assert [(e.kind, e.at, e.text) for e in entries(incident)[1:]] == [
        (EntryKind.ROLE, minutes(1), "bob is now the incident commander."),
        (EntryKind.ROLE, minutes(3), "No incident commander."),
    ]


def test_an_inactive_user_cannot_become_commander(responder):
    incident = declare(responder)
    gone = UserFactory(username="gone", is_active=False)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_assign_commander(
            incident=incident, commander=gone, actor=Actor.of(responder)
        )
    assert error.value.message == "gone is not an active user."
    assert snapshot(incident) == before


def test_add_and_remove_a_responder(responder):
    incident = declare(responder)
    actor = Actor.of(responder)
    bob = ResponderFactory(username="bob")
    services.incident_add_responder(incident=incident, user=bob, actor=actor, at=minutes(1))
    services.incident_add_responder(incident=incident, user=bob, actor=actor, at=minutes(2))
    assert list(incident.responders.values_list("username", flat=True)) == ["bob"]
    services.incident_remove_responder(incident=incident, user=bob, actor=actor, at=minutes(3))

    assert not incident.responders.exists()
    assert [(e.kind, e.text, e.data) for e in entries(incident)[1:]] == [
        (
            EntryKind.ROLE,
            "bob joined as a responder.",
            {"role": "responder", "user": "bob", "added": True},
        ),
        (
            EntryKind.ROLE,
            "bob left the responders.",
            {"role": "responder", "user": "bob", "added": False},
        ),
    ]


def test_removing_someone_who_is_not_a_responder_is_refused(responder):
    incident = declare(responder)
    bob = ResponderFactory(username="bob")
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_remove_responder(incident=incident, user=bob, actor=Actor.of(responder))
    assert error.value.message == "bob is not a responder."
    assert snapshot(incident) == before


def test_add_note_appends_a_note_entry(responder):
    incident = declare(responder)
    entry = services.incident_add_note(
        incident=incident,
        text="Rolled back **2026.3.1**.",
        pinned=True,
        actor=Actor.of(responder),
        at=minutes(4),
    )
    assert [(e.pk, e.kind, e.at, e.text, e.pinned) for e in entries(incident)[1:]] == [
        (entry.pk, EntryKind.NOTE, minutes(4), "Rolled back **2026.3.1**.", True)
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  \n ", "A note needs some text."),
        ("x" * 20001, "A note is limited to 20,000 characters."),
    ],
)
def test_empty_or_huge_notes_are_refused(responder, text, message):
    incident = declare(responder)
    with pytest.raises(KeelError) as error:
        services.incident_add_note(incident=incident, text=text, actor=Actor.of(responder))
    assert error.value.message == message
    assert [e.kind for e in entries(incident)] == [EntryKind.DECLARED]


def test_update_details_writes_one_edited_entry(responder, checkout):
    search = ServiceFactory(slug="search")
    incident = declare(responder, services=[checkout])
    services.incident_update_details(
        incident=incident,
        actor=Actor.of(responder),
        title="  Checkout and search down ",
        summary="Shared cache failed.",
        services=[checkout, search],
        at=minutes(5),
    )

    incident.refresh_from_db()
    assert incident.title == "Checkout and search down"
    assert incident.summary == "Shared cache failed."
    assert sorted(incident.services.values_list("slug", flat=True)) == ["checkout", "search"]
    [edited] = entries(incident)[1:]
    assert edited.kind == EntryKind.EDITED
    assert edited.text == "rita edited the title, summary, services."
    assert edited.data == {
        "title": {"from": "Checkout 5xx above 2%", "to": "Checkout and search down"},
        "summary": {"changed": True},
        "services": {"from": ["checkout"], "to": ["checkout", "search"]},
    }


def test_update_details_without_changes_writes_nothing(responder, checkout):
    incident = declare(responder, services=[checkout])
    before = snapshot(incident)
    services.incident_update_details(
        incident=incident,
        actor=Actor.of(responder),
        title=incident.title,
        services=[checkout],
    )
    assert snapshot(incident) == before


def test_update_details_refuses_a_blank_title(responder):
    incident = declare(responder)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_update_details(incident=incident, actor=Actor.of(responder), title=" ")
    assert error.value.message == "A title is required."
    assert snapshot(incident) == before


# --- correct_time --------------------------------------------------------------------------


def acknowledged_and_resolved(responder) -> Incident:
    """Started -10, detected 0, acknowledged +3, resolved +20 (minutes from T0)."""
    incident = declare(responder)
    actor = Actor.of(responder)
    services.incident_acknowledge(incident=incident, actor=actor, at=minutes(3))
    services.incident_resolve(incident=incident, actor=actor, at=minutes(20))
    return Incident.objects.get(pk=incident.pk)


def test_correct_time_changes_the_time_and_keeps_the_reason(responder):
    incident = acknowledged_and_resolved(responder)
    services.incident_correct_time(
        incident=incident,
        field="started_at",
        value=minutes(-25),
        reason="  Error rate rose at 08:35 on the dashboard. ",
        actor=Actor.of(responder),
        at=minutes(60),
    )

    incident.refresh_from_db()
    assert incident.started_at == minutes(-25)
    last = entries(incident)[-1]
    assert last.kind == EntryKind.FIELD_CORRECTED
    assert last.at == minutes(60)
    assert last.text == (
        "started_at corrected from 2026-03-02 08:50:00 to 2026-03-02 08:35:00 UTC: "
        "Error rate rose at 08:35 on the dashboard."
    )
    assert last.data == {
        "field": "started_at",
        "from": minutes(-10).isoformat(),
        "to": minutes(-25).isoformat(),
        "reason": "Error rate rose at 08:35 on the dashboard.",
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("started_at", minutes(1), "started_at must not be after detected_at."),
        ("detected_at", minutes(-11), "started_at must not be after detected_at."),
        ("detected_at", minutes(4), "detected_at must not be after acknowledged_at."),
        ("acknowledged_at", minutes(-1), "detected_at must not be after acknowledged_at."),
        ("resolved_at", minutes(-11), "started_at must not be after resolved_at."),
    ],
)
def test_correct_time_keeps_the_times_in_order(responder, field, value, message):
    incident = acknowledged_and_resolved(responder)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_correct_time(
            incident=incident,
            field=field,
            value=value,
            reason="Typo.",
            actor=Actor.of(responder),
            at=minutes(60),
        )
    assert error.value.message == message
    assert snapshot(incident) == before


def test_correct_time_accepts_equal_times(responder):
    incident = acknowledged_and_resolved(responder)
    services.incident_correct_time(
        incident=incident,
        field="acknowledged_at",
        value=T0,
        reason="Acknowledged on the page itself.",
        actor=Actor.of(responder),
        at=minutes(60),
    )
    assert Incident.objects.get(pk=incident.pk).acknowledged_at == T0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "  "}, "Say why the time is corrected."),
        ({"value": minutes(61)}, "A corrected time cannot be in the future."),
        ({"field": "closed_at"}, "Only started_at, detected_at, acknowledged_at, resolved_at"),
        ({"value": datetime(2026, 3, 2, 8, 0)}, "Give the time with a time zone"),
        (
            {"value": minutes(-367 * 24 * 60)},
            "A corrected time cannot be more than a year before the incident was detected.",
        ),
    ],
)
def test_correct_time_refuses_bad_requests(responder, kwargs, message):
    incident = acknowledged_and_resolved(responder)
    before = snapshot(incident)
    fields = {
        "field": "started_at",
        "value": minutes(-30),
        "reason": "Typo.",
    }
    fields.update(kwargs)
    with pytest.raises(KeelError) as error:
        services.incident_correct_time(
            incident=incident, actor=Actor.of(responder), at=minutes(60), **fields
        )
    assert error.value.message.startswith(message)
    assert snapshot(incident) == before


def test_correct_time_rejects_the_real_future(responder):
    incident = declare(responder, started_at=None, at=None)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_correct_time(
            incident=incident,
            field="detected_at",
            value=timezone.now() + timedelta(hours=1),
            reason="Clock skew.",
            actor=Actor.of(responder),
        )
    assert error.value.message == "A corrected time cannot be in the future."
    assert snapshot(incident) == before


def test_a_time_not_yet_set_cannot_be_corrected(responder):
    incident = declare(responder)
    before = snapshot(incident)
    with pytest.raises(KeelError) as error:
        services.incident_correct_time(
            incident=incident,
            field="resolved_at",
            value=minutes(1),
            reason="Typo.",
            actor=Actor.of(responder),
            at=minutes(60),
        )
    assert error.value.message == "resolved_at is not set yet; it cannot be corrected."
    assert snapshot(incident) == before


# --- one transaction -----------------------------------------------------------------------


def test_the_change_is_rolled_back_when_its_timeline_entry_cannot_be_written(
    responder, monkeypatch
):
    incident = declare(responder)
    before = snapshot(incident)

    def broken_entry(*args, **kwargs):
        raise IntegrityError("timeline write failed")

    monkeypatch.setattr("incidents.services.incidents._entry", broken_entry)
    with pytest.raises(IntegrityError):
        services.incident_set_severity(
            incident=incident, severity=Severity.SEV1, actor=Actor.of(responder)
        )
    with pytest.raises(IntegrityError):
        services.incident_resolve(incident=incident, actor=Actor.of(responder))

    assert snapshot(incident) == before


# --- permissions ---------------------------------------------------------------------------


def _viewer_attempts(incident: Incident, viewer, other) -> list:
    actor = Actor.of(viewer)
    return [
        lambda: services.incident_declare(actor=actor, title="x", severity=Severity.SEV1),
        lambda: services.incident_acknowledge(incident=incident, actor=actor),
        lambda: services.incident_set_status(
            incident=incident, status=Status.IDENTIFIED, actor=actor
        ),
        lambda: services.incident_set_severity(
            incident=incident, severity=Severity.SEV1, actor=actor
        ),
        lambda: services.incident_assign_commander(incident=incident, commander=other, actor=actor),
        lambda: services.incident_add_responder(incident=incident, user=other, actor=actor),
        lambda: services.incident_remove_responder(incident=incident, user=other, actor=actor),
        lambda: services.incident_add_note(incident=incident, text="hi", actor=actor),
        lambda: services.incident_update_details(incident=incident, title="New", actor=actor),
        lambda: services.incident_resolve(incident=incident, actor=actor),
        lambda: services.incident_reopen(incident=incident, actor=actor),
        lambda: services.incident_close(incident=incident, actor=actor),
        lambda: services.incident_correct_time(
            incident=incident,
            field="started_at",
            value=minutes(-20),
            reason="r",
            actor=actor,
            at=minutes(30),
        ),
        lambda: services.timeline_entry_set_pinned(
            entry=incident.timeline.first(), pinned=True, actor=actor
        ),
    ]


def test_viewers_cannot_change_anything(responder, viewer):
    incident = declare(responder)
    other = ResponderFactory(username="bob")
    services.incident_add_responder(incident=incident, user=other, actor=Actor.of(responder))
    before = snapshot(incident)
    count = Incident.objects.count()

    for attempt in _viewer_attempts(incident, viewer, other):
        with pytest.raises(PermissionDenied) as denied:
            attempt()
        assert str(denied.value) == "This needs the responder role."

    assert snapshot(incident) == before
    assert Incident.objects.count() == count


def test_the_system_actor_may_act_and_is_named_on_the_timeline(responder):
    incident = declare(responder)
    services.incident_set_status(
        incident=incident, status=Status.MONITORING, actor=Actor.system(), at=minutes(1)
    )
    last = entries(incident)[-1]
    assert (last.actor_user, last.actor_name) == (None, "system")


# --- timeline immutability -----------------------------------------------------------------


def test_timeline_entries_cannot_be_modified(responder):
    incident = declare(responder)
    entry = entries(incident)[0]
    entry.text = "rewritten history"
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.save(update_fields=["text", "pinned"])
    assert TimelineEntry.objects.get(pk=entry.pk).text.endswith(
        "declared " + incident.reference + " (SEV2)."
    )


def test_the_database_refuses_to_rewrite_a_timeline_entry(responder):
    """Even a bulk UPDATE that bypasses the model is refused by PostgreSQL."""
    incident = declare(responder)
    entry = entries(incident)[0]
    for change in ({"text": "rewritten history"}, {"at": minutes(-60)}, {"kind": "note"}):
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            TimelineEntry.objects.filter(pk=entry.pk).update(**change)
    assert TimelineEntry.objects.filter(pk=entry.pk).update(pinned=True) == 1


def test_deleting_a_user_keeps_their_timeline_entries_by_name(responder):
    incident = declare(responder)
    services.incident_add_note(incident=incident, text="Rolled back.", actor=Actor.of(responder))
    responder.delete()
    note = TimelineEntry.objects.get(incident=incident, kind=EntryKind.NOTE)
    assert (note.actor_user, note.actor_name, note.text) == (None, "rita", "Rolled back.")


def test_only_pinned_can_change_on_a_timeline_entry(responder):
    incident = declare(responder)
    entry = entries(incident)[0]
    services.timeline_entry_set_pinned(entry=entry, pinned=True, actor=Actor.of(responder))
    assert TimelineEntry.objects.get(pk=entry.pk).pinned is True
    services.timeline_entry_set_pinned(entry=entry, pinned=False, actor=Actor.of(responder))
    assert TimelineEntry.objects.get(pk=entry.pk).pinned is False


# --- database constraints ------------------------------------------------------------------


def _raw_incident(number: int, **fields) -> Incident:
    values = {
        "number": number,
        "title": "raw",
        "severity": Severity.SEV3,
        "started_at": T0,
        "detected_at": T0,
    }
    values.update(fields)
    return Incident.objects.create(**values)


def test_one_open_incident_per_alert_group(integration):
    _raw_incident(9001, integration=integration, group_hash="g1", kind=Kind.ALERT)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_incident(9002, integration=integration, group_hash="g1", kind=Kind.ALERT)
    # A resolved one in the same group and an open one in another group are fine.
    _raw_incident(
        9003,
        integration=integration,
        group_hash="g1",
        kind=Kind.ALERT,
        status=Status.RESOLVED,
        resolved_at=T0,
    )
    _raw_incident(9004, integration=integration, group_hash="g2", kind=Kind.ALERT)
    assert Incident.objects.filter(group_hash="g1").count() == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"status": Status.RESOLVED},
        {"status": Status.CLOSED, "resolved_at": T0},
        {"severity": "SEV9"},
        {"status": "paused"},
        {"kind": "other"},
    ],
    ids=["resolved-without-time", "closed-without-time", "severity", "status", "kind"],
)
def test_check_constraints_hold(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_incident(9100, **fields)
    assert not Incident.objects.filter(number=9100).exists()


def test_incident_numbers_are_unique():
    _raw_incident(9200)
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_incident(9200)
