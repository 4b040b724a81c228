"""Postmortem services against PostgreSQL: drafts from facts, editing, review, publication,
policy, immutability of published versions, action items and reminders."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from core.actors import Actor
from incidents.choices import EntryKind
from incidents.models import Incident, TimelineEntry
from incidents.services import incident_declare, incident_resolve, incident_set_severity
from postmortems import services as pm
from postmortems.models import ActionItem, Postmortem, PostmortemVersion
from tests.factories import (
    RESOLVED,
    UserFactory,
    realistic_incident,
    report_large_budget_impact,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(integration, responder):
    return realistic_incident(integration, responder)


@pytest.fixture
def reviewer(db):
    from django.contrib.auth.models import Group

    user = UserFactory(username="rev", first_name="Reva", last_name="Iewer")
    user.groups.add(Group.objects.get_or_create(name="responder")[0])
    return user


def _draft(story, responder):
    return pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))


def test_draft_holds_the_incident_facts(story, responder):
    postmortem = _draft(story, responder)
    facts = postmortem.facts
    ref = f"INC-{story.incident.number}"
    assert facts["incident"]["reference"] == ref
    assert facts["incident"]["severity"] == "SEV1"
    assert facts["incident"]["services"] == ["Checkout"]
    assert facts["incident"]["responders"] == ["rita"]
    durations = {d["key"]: d["text"] for d in facts["durations"]}
    assert durations == {
        "time_to_detect": "3 min",
        "time_to_acknowledge": "4 min",
        "time_to_resolve": "1 h 12 min",
    }
    assert [a["name"] for a in facts["alerts"]] == ["HighErrorRate", "HighLatencyP99"]
    texts = [e["text"] for e in facts["timeline"]]
    kinds = [e["kind"] for e in facts["timeline"]]
    assert story.pinned_note in texts
    assert story.unpinned_note not in texts
    assert kinds[0] == "alert_fired" or kinds[0] == "opened"
    for needed in ("opened", "acknowledged", "severity", "status", "resolved"):
        assert needed in kinds
    assert kinds.count("alert_fired") <= 1
    summary = postmortem.sections.get(key="summary").body
    assert ref in summary and "1 h 12 min" in summary


def test_drafting_is_recorded_on_the_timeline_once(story, responder):
    _draft(story, responder)
    _draft(story, responder)
    entries = TimelineEntry.objects.filter(incident=story.incident, kind=EntryKind.POSTMORTEM)
    assert entries.count() == 1
    assert "drafted" in entries.get().text


def test_resolving_an_incident_drafts_its_postmortem(
    integration, responder, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        story = realistic_incident(integration, responder)
    postmortem = Postmortem.objects.get(incident=story.incident)
    assert postmortem.required is True
    assert postmortem.due_at == RESOLVED + timedelta(days=5)


def test_sev3_is_not_required_and_sev2_is_due_in_the_configured_days(
    integration, responder, settings
):
    settings.KEEL_POSTMORTEM_DUE_DAYS = 3
    story = realistic_incident(integration, responder, severity_to="SEV3")
    postmortem = _draft(story, responder)
    assert postmortem.required is False and postmortem.due_at is None
    pm_services_sev = pm
    from incidents.services import incident_set_severity

    incident_set_severity(incident=story.incident, severity="SEV2", actor=Actor.of(responder))
    postmortem = pm_services_sev.postmortem_refresh(
        postmortem=postmortem, actor=Actor.of(responder)
    )
    assert postmortem.required is True
    assert postmortem.due_at == RESOLVED + timedelta(days=3)


def test_viewers_cannot_draft(story, viewer):
    with pytest.raises(PermissionDenied):
        pm.postmortem_draft(incident=story.incident, actor=Actor.of(viewer))
    assert not Postmortem.objects.exists()


def test_section_edit_detects_a_conflicting_save(story, responder, admin_user):
    postmortem = _draft(story, responder)
    section = postmortem.sections.get(key="root_cause")
    start = section.revision
    saved = pm.postmortem_edit_section(
        postmortem=postmortem,
        key="root_cause",
        body="A connection pool limit of 10.",
        base_revision=start,
        actor=Actor.of(admin_user),
    )
    assert saved.revision == start + 1
    with pytest.raises(pm.SectionConflict) as conflict:
        pm.postmortem_edit_section(
            postmortem=postmortem,
            key="root_cause",
            body="My version, typed at the same time.",
            base_revision=start,
            actor=Actor.of(responder),
        )
    assert "ada" in conflict.value.message
    assert conflict.value.section.body == "A connection pool limit of 10."
    assert postmortem.sections.get(key="root_cause").body == "A connection pool limit of 10."


def test_unknown_section_and_bad_figures_are_refused(story, responder):
    postmortem = _draft(story, responder)
    with pytest.raises(pm.PostmortemError):
        pm.postmortem_edit_section(
            postmortem=postmortem,
            key="gossip",
            body="x",
            base_revision=0,
            actor=Actor.of(responder),
        )
    with pytest.raises(pm.PostmortemError) as err:
        pm.postmortem_set_figures(
            postmortem=postmortem, actor=Actor.of(responder), users_affected="-4"
        )
    assert err.value.field == "users_affected"
    postmortem.refresh_from_db()
    assert postmortem.users_affected is None


def _to_review(postmortem, responder, reviewer):
    return pm.postmortem_request_review(
        postmortem=postmortem, reviewers=[reviewer], actor=Actor.of(responder)
    )


def test_publishing_needs_an_approval_from_a_requested_reviewer(story, responder, reviewer):
    postmortem = _draft(story, responder)
    with pytest.raises(pm.PostmortemError):
        pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(responder))
    _to_review(postmortem, responder, reviewer)
    with pytest.raises(pm.PostmortemError, match="approve"):
        pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(responder))
    with pytest.raises(pm.PostmortemError, match="requested reviewers"):
        pm.postmortem_review(postmortem=postmortem, actor=Actor.of(responder), approve=True)
    pm.postmortem_review(postmortem=postmortem, actor=Actor.of(reviewer), approve=True)
    version = pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(responder))
    assert version.number == 1
    postmortem.refresh_from_db()
    assert postmortem.status == "published" and postmortem.published_version == 1
    steps = TimelineEntry.objects.filter(
        incident=story.incident, kind=EntryKind.POSTMORTEM
    ).values_list("data__step", flat=True)
    assert list(steps) == ["drafted", "review", "reviewed", "published"]


def test_an_edit_in_review_clears_approvals(story, responder, reviewer):
    postmortem = _draft(story, responder)
    _to_review(postmortem, responder, reviewer)
    pm.postmortem_review(postmortem=postmortem, actor=Actor.of(reviewer), approve=True)
    section = postmortem.sections.get(key="trigger")
    pm.postmortem_edit_section(
        postmortem=postmortem,
        key="trigger",
        body="A config push.",
        base_revision=section.revision,
        actor=Actor.of(responder),
    )
    with pytest.raises(pm.PostmortemError, match="approve"):
        pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(responder))


def _publish(postmortem, responder, reviewer):
    _to_review(postmortem, responder, reviewer)
    pm.postmortem_review(postmortem=postmortem, actor=Actor.of(reviewer), approve=True)
    return pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(responder))


def test_a_later_edit_makes_a_new_version_and_the_first_stays_as_published(
    story, responder, reviewer
):
    postmortem = _draft(story, responder)
    section = postmortem.sections.get(key="lessons")
    pm.postmortem_edit_section(
        postmortem=postmortem,
        key="lessons",
        body="Canary first.",
        base_revision=section.revision,
        actor=Actor.of(responder),
    )
    v1 = _publish(postmortem, responder, reviewer)
    section.refresh_from_db()
    pm.postmortem_edit_section(
        postmortem=postmortem,
        key="lessons",
        body="Canary first, always.",
        base_revision=section.revision,
        actor=Actor.of(responder),
    )
    postmortem.refresh_from_db()
    assert postmortem.status == "draft"
    v2 = _publish(postmortem, responder, reviewer)
    assert v2.number == 2
    bodies = {
        v.number: next(s["body"] for s in v.snapshot["sections"] if s["key"] == "lessons")
        for v in PostmortemVersion.objects.filter(postmortem=postmortem)
    }
    assert bodies == {1: "Canary first.", 2: "Canary first, always."}
    assert v1.snapshot["facts"]["incident"]["reference"] == f"INC-{story.incident.number}"


def test_published_versions_cannot_be_changed_or_deleted_in_the_database(
    story, responder, reviewer
):
    if connection.vendor != "postgresql":
        pytest.skip("the immutability trigger is PostgreSQL's")
    version = _publish(_draft(story, responder), responder, reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        PostmortemVersion.objects.filter(pk=version.pk).update(snapshot={"facts": "rewritten"})
    with pytest.raises(IntegrityError), transaction.atomic():
        PostmortemVersion.objects.filter(pk=version.pk).delete()
    with pytest.raises(ValueError):
        version.save()
    version.refresh_from_db()
    assert version.snapshot["version"] == 1


def test_large_budget_impact_requires_a_p0_action_before_publication(
    story, responder, reviewer, monkeypatch
):
    """The impact figure comes from the SLO part of Keel; here it reports 32.6%."""
    report_large_budget_impact(monkeypatch)
    postmortem = _draft(story, responder)
    assert postmortem.requires_p0_action is True
    assert "consumed 32.6% of the 30-day budget; 68 min remain" in str(postmortem.facts)
    _to_review(postmortem, responder, reviewer)
    pm.postmortem_review(postmortem=postmortem, actor=Actor.of(reviewer), approve=True)
    pm.action_item_create(
        incident=story.incident, actor=Actor.of(responder), title="Alert on pool use", priority="P1"
    )
    with pytest.raises(pm.PostmortemError, match="P0"):
        pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(responder))
    pm.action_item_create(
        incident=story.incident, actor=Actor.of(responder), title="Raise pool limit", priority="P0"
    )
    assert pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(responder)).number == 1


def test_without_slo_data_the_budget_selector_is_empty(story):
    from postmortems.selectors import incident_budget_impacts

    assert incident_budget_impacts(incident=story.incident) == []


def test_action_items_validate_and_stamp_completion(story, responder):
    actor = Actor.of(responder)
    with pytest.raises(pm.PostmortemError) as err:
        pm.action_item_create(incident=story.incident, actor=actor, title="x", priority="P9")
    assert err.value.field == "priority"
    with pytest.raises(pm.PostmortemError) as err:
        pm.action_item_create(
            incident=story.incident, actor=actor, title="x", tracker_url="javascript:alert(1)"
        )
    assert err.value.field == "tracker_url"
    assert not ActionItem.objects.exists()
    item = pm.action_item_create(
        incident=story.incident,
        actor=actor,
        title="Add a pool saturation alert",
        priority="P0",
        kind="detect",
        owner=responder,
        due_on="2026-12-01",
        tracker_url="https://tracker.example/KEEL-1",
    )
    assert item.due_on == date(2026, 12, 1)
    done = pm.action_item_update(item=item, actor=actor, status="done", at=RESOLVED)
    assert done.completed_at == RESOLVED
    reopened = pm.action_item_update(item=item, actor=actor, status="in_progress")
    assert reopened.completed_at is None


def test_the_database_refuses_a_done_item_without_completion_time(story):
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.create(incident=story.incident, title="x", status="done")
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.create(incident=story.incident, title="x", priority="P7")


def test_reminders_mail_overdue_postmortems_and_action_items_once_a_day(story, responder, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    postmortem = _draft(story, responder)
    pm.action_item_create(
        incident=story.incident,
        actor=Actor.of(responder),
        title="Raise pool limit",
        owner=responder,
        due_on=(RESOLVED + timedelta(days=2)).date(),
    )
    later = RESOLVED + timedelta(days=6)
    sent = pm.reminders_send(at=later)
    assert sent == {"postmortems": 1, "action_items": 1}
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects[0].startswith("Action item overdue: [P1] Raise pool limit")
    assert subjects[1].startswith(f"Postmortem overdue: {postmortem.reference}")
    assert pm.reminders_send(at=later + timedelta(hours=2)) == {
        "postmortems": 0,
        "action_items": 0,
    }


def test_a_declared_incident_drafts_without_alerts(responder):
    actor = Actor.of(responder)
    incident = incident_declare(actor=actor, title="Slow search", severity="SEV3")
    incident_resolve(incident=incident, actor=actor)
    postmortem = pm.postmortem_draft(incident=incident, actor=actor)
    assert postmortem.facts["alerts"] == []
    assert postmortem.facts["incident"]["title"] == "Slow search"


def test_a_severity_change_refreshes_an_unpublished_draft_and_drafts_none(
    responder, django_capture_on_commit_callbacks
):
    actor = Actor.of(responder)
    quiet = incident_declare(actor=actor, title="Checkout slow", severity="SEV3")
    with django_capture_on_commit_callbacks(execute=True):
        incident_set_severity(incident=quiet, severity="SEV2", actor=actor)
    assert not Postmortem.objects.filter(incident=quiet).exists()

    down = incident_declare(actor=actor, title="Checkout down", severity="SEV3")
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=down, actor=actor)
    assert Postmortem.objects.get(incident=down).facts["incident"]["severity"] == "SEV3"
    with django_capture_on_commit_callbacks(execute=True):
        incident_set_severity(
            incident=Incident.objects.get(pk=down.pk), severity="SEV1", actor=actor
        )
    assert Postmortem.objects.get(incident=down).facts["incident"]["severity"] == "SEV1"
