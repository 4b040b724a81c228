"""Upgrading a database of the last released Keel, where Service lived in slos, Team in
oncall and the postmortems in incidents, to the apps they live in now (catalog,
postmortems) keeps every row with its fields and relations, the permissions groups
hold on the moved models and the admin's history of them.

The database is migrated back to the released migrations, filled through the historical
models of that state, and migrated forward to the latest; it is left at the latest state
whatever happens, so the other tests run on the schema they expect."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.apps.registry import Apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Service, Team
from incidents.models import Incident
from oncall.models import EscalationPolicy, Schedule
from postmortems.models import (
    ActionItem,
    Postmortem,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemVersion,
)
from slos.models import SLO, GateBypass

# The leaf migrations of the last release, before Service, Team and the postmortems moved.
RELEASED = [
    ("accounts", "0003_profile"),
    ("incidents", "0010_incident_pages"),
    ("oncall", "0008_fallback_contacts"),
    ("slos", "0012_service_sla_objective_above_zero"),
    ("catalog", None),
    ("postmortems", None),
]

# (app it was released in, model) -> the app it is in now
MOVED = {
    ("slos", "service"): "catalog",
    ("oncall", "team"): "catalog",
    ("incidents", "postmortem"): "postmortems",
    ("incidents", "postmortemsection"): "postmortems",
    ("incidents", "postmortemreviewer"): "postmortems",
    ("incidents", "postmortemversion"): "postmortems",
    ("incidents", "postmortempdf"): "postmortems",
    ("incidents", "postmortemtemplate"): "postmortems",
    ("incidents", "actionitem"): "postmortems",
}

AT = datetime(2026, 11, 21, 16, 20, tzinfo=UTC)


def migrate(targets: list[tuple[str, str | None]] | None = None) -> Apps:
    """Migrate the test database to `targets` (default: the latest of every app) and
    return the historical models of that state."""
    executor = MigrationExecutor(connection)
    if targets is None:
        targets = executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    named = {app for app, _ in targets}
    others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in named]
    return executor.loader.project_state([*(n for n in targets if n[1]), *others]).apps


@pytest.fixture
def released(transactional_db) -> Iterator[Apps]:
    """The database at the released migrations; back at the latest afterwards, pass or fail."""
    try:
        yield migrate(RELEASED)
    finally:
        migrate()
        ContentType.objects.clear_cache()


def released_content_types(apps: Apps) -> dict[tuple[str, str], int]:
    """The content types (and permissions) of the moved models under the apps they were
    released in, as a released database has them. (The test database was migrated from
    empty, so Django made them under the new apps.) Returns their ids."""
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")
    ids = {}
    for (old_app, model), new_app in MOVED.items():
        if not content_type.objects.filter(app_label=old_app, model=model).exists():
            moved = content_type.objects.filter(app_label=new_app, model=model)
            if not moved.update(app_label=old_app):
                content_type.objects.create(app_label=old_app, model=model)
        row = content_type.objects.get(app_label=old_app, model=model)
        for action in ("add", "change", "delete", "view"):
            permission.objects.get_or_create(
                content_type=row,
                codename=f"{action}_{model}",
                defaults={"name": f"Can {action} {model}"},
            )
        ids[(old_app, model)] = row.pk
    return ids


def fill(apps: Apps) -> dict[str, Any]:
    """A team with members and fallback contacts, two services (one owned by the team), an
    SLO, a gate bypass, an incident of both services, an escalation policy and a schedule,
    a published postmortem with sections, reviewers, a version and an action item for the
    team; a group allowed to change services, teams and postmortems, and admin history of
    a service and a postmortem. All through the models of the released state."""
    model = apps.get_model
    content_types = released_content_types(apps)
    user = model(*get_user_model()._meta.label.split("."))
    ann, bob, cat = (user.objects.create(username=name) for name in ("ann", "bob", "cat"))

    team = model("oncall", "Team").objects.create(
        name="Payments",
        slug="payments",
        time_zone="Europe/Berlin",
        working_days=[0, 1, 2, 3],
        working_start=time(8),
        working_end=time(16, 30),
    )
    team.members.set([ann, bob])
    team.fallback_contacts.set([cat])

    service = model("slos", "Service")
    checkout = service.objects.create(
        slug="checkout",
        name="Checkout",
        description="Takes the money.",
        owner=team,
        tier=1,
        sla_objective=Decimal("99.5"),
        gate_warn_only=True,
        budget_policy={"tier_floor": 0.1},
    )
    search = service.objects.create(slug="search", name="Search", discovered=True)

    slo = model("slos", "SLO").objects.create(
        service=checkout,
        name="availability",
        objective=Decimal("99.9"),
        window_days=28,
        source="pushed",
    )
    bypass = model("slos", "GateBypass").objects.create(
        service=checkout,
        kind="hotfix",
        reason="Roll forward the payment fix",
        created_by=ann,
        created_at=AT,
        expires_at=AT + timedelta(hours=2),
    )

    incident = model("incidents", "Incident").objects.create(
        number=41,
        title="Checkout errors",
        severity="SEV1",
        status="resolved",
        kind="manual",
        commander=ann,
        started_at=AT,
        detected_at=AT + timedelta(minutes=3),
        resolved_at=AT + timedelta(hours=1),
    )
    incident.services.set([checkout, search])
    incident.responders.set([bob])

    policy = model("oncall", "EscalationPolicy").objects.create(
        team=team, name="Default", repeat=2, is_default=True
    )
    policy.services.set([checkout])
    schedule = model("oncall", "Schedule").objects.create(
        team=team, name="Primary", time_zone="Europe/Berlin", description="Weekdays"
    )

    postmortem = model("incidents", "Postmortem").objects.create(
        incident=incident,
        status="published",
        users_affected=1200,
        required=True,
        published_at=AT + timedelta(days=2),
        published_version=1,
    )
    postmortem.authors.set([ann])
    summary = model("incidents", "PostmortemSection").objects.create(
        postmortem=postmortem, key="summary", body="Payments failed.", revision=3, updated_by=ann
    )
    root_cause = model("incidents", "PostmortemSection").objects.create(
        postmortem=postmortem,
        key="root_cause",
        body="An expired certificate.",
        revision=1,
        updated_by=bob,
    )
    reviewer = model("incidents", "PostmortemReviewer").objects.create(
        postmortem=postmortem,
        user=bob,
        requested_at=AT + timedelta(days=1),
        approved_at=AT + timedelta(days=1, hours=2),
        comment="Clear.",
    )
    version = model("incidents", "PostmortemVersion").objects.create(
        postmortem=postmortem,
        number=1,
        published_at=AT + timedelta(days=2),
        published_by=ann,
        published_by_name="ann",
        snapshot={"sections": {"summary": "Payments failed."}},
        content_hash="c0ffee",
    )
    action = model("incidents", "ActionItem").objects.create(
        incident=incident,
        postmortem=postmortem,
        title="Alert on certificate expiry",
        owner=bob,
        team=team,
        due_on=date(2026, 12, 15),
        priority="P0",
        kind="detect",
        created_by=ann,
    )

    permission = model("auth", "Permission")
    editors = model("auth", "Group").objects.create(name="catalog-editors")
    granted = [
        ("slos", "service", "change_service"),
        ("oncall", "team", "change_team"),
        ("incidents", "postmortem", "change_postmortem"),
        ("incidents", "actionitem", "view_actionitem"),
    ]
    editors.permissions.set(
        [
            permission.objects.get(content_type_id=content_types[(app, name)], codename=codename)
            for app, name, codename in granted
        ]
    )
    cat.groups.add(editors)

    log_entry = model("admin", "LogEntry")
    service_edit = log_entry.objects.create(
        user=ann,
        content_type_id=content_types[("slos", "service")],
        object_id=str(checkout.pk),
        object_repr="Checkout",
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Tier"]}}]',
        action_time=AT,
    )
    postmortem_edit = log_entry.objects.create(
        user=ann,
        content_type_id=content_types[("incidents", "postmortem")],
        object_id=str(postmortem.pk),
        object_repr="Postmortem INC-41",
        action_flag=CHANGE,
        change_message="[]",
        action_time=AT,
    )
    return {
        "users": (ann.pk, bob.pk, cat.pk),
        "team": team.pk,
        "checkout": checkout.pk,
        "search": search.pk,
        "slo": slo.pk,
        "bypass": bypass.pk,
        "incident": incident.pk,
        "policy": policy.pk,
        "schedule": schedule.pk,
        "postmortem": postmortem.pk,
        "sections": (summary.pk, root_cause.pk),
        "reviewer": reviewer.pk,
        "version": version.pk,
        "action": action.pk,
        "editors": editors.pk,
        "log": (service_edit.pk, postmortem_edit.pk),
        "content_types": content_types,
    }


def test_upgrading_a_released_database_keeps_every_moved_row_permission_and_admin_entry(
    released,
):
    rows = fill(released)

    migrate()
    ContentType.objects.clear_cache()

    ann, bob, cat = (get_user_model().objects.get(pk=pk) for pk in rows["users"])
    team = Team.objects.get(pk=rows["team"])
    assert (team.name, team.slug, team.time_zone) == ("Payments", "payments", "Europe/Berlin")
    assert (team.working_days, team.working_start, team.working_end) == (
        [0, 1, 2, 3],
        time(8),
        time(16, 30),
    )
    assert set(team.members.all()) == {ann, bob}
    assert list(team.fallback_contacts.all()) == [cat]

    checkout = Service.objects.get(pk=rows["checkout"])
    assert (checkout.slug, checkout.name, checkout.description) == (
        "checkout",
        "Checkout",
        "Takes the money.",
    )
    assert checkout.owner == team
    assert (checkout.tier, checkout.sla_objective, checkout.gate_warn_only) == (
        1,
        Decimal("99.5"),
        True,
    )
    assert checkout.budget_policy == {"tier_floor": 0.1}
    search = Service.objects.get(pk=rows["search"])
    assert search.owner is None and search.discovered
    assert list(team.services.all()) == [checkout]

    slo = SLO.objects.get(pk=rows["slo"])
    assert (slo.service, slo.name, slo.objective, slo.window_days) == (
        checkout,
        "availability",
        Decimal("99.9"),
        28,
    )
    bypass = GateBypass.objects.get(pk=rows["bypass"])
    assert (bypass.service, bypass.kind, bypass.created_by) == (checkout, "hotfix", ann)
    assert bypass.expires_at == AT + timedelta(hours=2)

    incident = Incident.objects.get(pk=rows["incident"])
    assert (incident.number, incident.title, incident.severity, incident.status) == (
        41,
        "Checkout errors",
        "SEV1",
        "resolved",
    )
    assert set(incident.services.all()) == {checkout, search}
    assert list(incident.responders.all()) == [bob]
    assert set(checkout.incidents.all()) == {incident}

    policy = EscalationPolicy.objects.get(pk=rows["policy"])
    assert (policy.team, policy.name, policy.repeat, policy.is_default) == (
        team,
        "Default",
        2,
        True,
    )
    assert list(policy.services.all()) == [checkout]
    schedule = Schedule.objects.get(pk=rows["schedule"])
    assert (schedule.team, schedule.name, schedule.description) == (team, "Primary", "Weekdays")

    postmortem = Postmortem.objects.get(pk=rows["postmortem"])
    assert postmortem.incident == incident and incident.postmortem == postmortem
    assert (postmortem.status, postmortem.published_version, postmortem.users_affected) == (
        "published",
        1,
        1200,
    )
    assert list(postmortem.authors.all()) == [ann]
    sections = {
        section.pk: (section.key, section.body, section.revision, section.updated_by)
        for section in PostmortemSection.objects.filter(postmortem=postmortem)
    }
    assert sections == {
        rows["sections"][0]: ("summary", "Payments failed.", 3, ann),
        rows["sections"][1]: ("root_cause", "An expired certificate.", 1, bob),
    }
    reviewer = PostmortemReviewer.objects.get(pk=rows["reviewer"])
    assert (reviewer.postmortem, reviewer.user, reviewer.comment) == (postmortem, bob, "Clear.")
    assert reviewer.approved_at == AT + timedelta(days=1, hours=2)
    version = PostmortemVersion.objects.get(pk=rows["version"])
    assert (version.postmortem, version.number, version.published_by) == (postmortem, 1, ann)
    assert version.snapshot == {"sections": {"summary": "Payments failed."}}
    assert version.content_hash == "c0ffee"
    action = ActionItem.objects.get(pk=rows["action"])
    assert (action.incident, action.postmortem, action.owner, action.team) == (
        incident,
        postmortem,
        bob,
        team,
    )
    assert (action.title, action.priority, action.kind, action.status) == (
        "Alert on certificate expiry",
        "P0",
        "detect",
        "open",
    )
    assert action.due_on == date(2026, 12, 15)

    # The content types moved with their models (same ids), none was left behind or doubled.
    for (old_app, model), new_app in MOVED.items():
        assert not ContentType.objects.filter(app_label=old_app, model=model).exists()
        moved = ContentType.objects.get(app_label=new_app, model=model)
        assert moved.pk == rows["content_types"][(old_app, model)]
    assert ContentType.objects.get_for_model(Service).app_label == "catalog"
    assert ContentType.objects.get_for_model(Postmortem).app_label == "postmortems"

    # The group's permissions are the moved models' now: its member may still change them.
    editors = Group.objects.get(pk=rows["editors"])
    assert set(editors.permissions.values_list("content_type__app_label", "codename")) == {
        ("catalog", "change_service"),
        ("catalog", "change_team"),
        ("postmortems", "change_postmortem"),
        ("postmortems", "view_actionitem"),
    }
    member = get_user_model().objects.get(pk=cat.pk)
    assert member.has_perms(
        [
            "catalog.change_service",
            "catalog.change_team",
            "postmortems.change_postmortem",
            "postmortems.view_actionitem",
        ]
    )
    assert not member.has_perm("catalog.delete_service")

    # The admin's history still leads to the rows it is about.
    service_edit, postmortem_edit = (LogEntry.objects.get(pk=pk) for pk in rows["log"])
    assert service_edit.get_edited_object() == checkout
    assert service_edit.get_admin_url() == f"/admin/catalog/service/{checkout.pk}/change/"
    assert postmortem_edit.get_edited_object() == postmortem
    assert postmortem_edit.get_admin_url() == (
        f"/admin/postmortems/postmortem/{postmortem.pk}/change/"
    )


def test_migrating_back_returns_the_content_types_to_the_released_apps(released: Apps) -> None:
    """A database taken back to the released migrations finds its moved models' content
    types (and with them permissions and admin history) where the released code looks."""
    content_type = released.get_model("contenttypes", "ContentType")
    for (old_app, model), new_app in MOVED.items():
        assert content_type.objects.filter(app_label=old_app, model=model).count() == 1, model
        assert not content_type.objects.filter(app_label=new_app, model=model).exists(), model
