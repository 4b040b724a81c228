"""Postmortem pages with Django's test client: editor, autosave, conflicts, review, documents,
the list and the action-items board."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from core.actors import Actor
from postmortems import services as pm
from postmortems.models import ActionItem, Postmortem
from tests.factories import UserFactory, realistic_incident

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def story(integration, responder):
    return realistic_incident(integration, responder)


@pytest.fixture
def rita(responder):
    return _client(responder)


@pytest.fixture
def reviewer(db):
    user = UserFactory(username="rev")
    user.groups.add(Group.objects.get_or_create(name="responder")[0])
    return user


def _base(story):
    return f"/incidents/{story.incident.number}/postmortem/"


def test_start_page_offers_a_draft_and_drafting_opens_the_editor(story, rita):
    page = rita.get(_base(story))
    assert page.status_code == 200
    assert b"Draft the postmortem" in page.content
    response = rita.post(_base(story) + "draft/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Root cause" in html and "Lessons learned" in html
    assert "1 h 12 min" in html
    assert Postmortem.objects.filter(incident=story.incident).exists()


def test_autosave_over_htmx_answers_the_saved_state_and_new_revision(story, rita, responder):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    response = rita.post(
        _base(story) + "sections/trigger/",
        {"body": "A config push at 16:18.", "base_revision": "0"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'data-state="saved"' in html
    assert 'id="rev-trigger" value="1"' in html and 'hx-swap-oob="true"' in html
    assert Postmortem.objects.get().sections.get(key="trigger").body == "A config push at 16:18."


def test_a_stale_save_shows_the_conflict_and_their_text(story, rita, responder, admin_user):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    _client(admin_user).post(
        _base(story) + "sections/trigger/",
        {"body": "Their words.", "base_revision": "0"},
        headers={"HX-Request": "true"},
    )
    response = rita.post(
        _base(story) + "sections/trigger/",
        {"body": "My words.", "base_revision": "0"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'data-state="conflict"' in html
    assert "ada changed" in html and "Their words." in html
    # The editor keeps its stale revision, so the next autosave conflicts again instead
    # of silently replacing their text; "Keep mine" sends their revision on purpose.
    assert 'name="base_revision"' not in html
    assert '"base_revision": "1"' in html
    assert Postmortem.objects.get().sections.get(key="trigger").body == "Their words."
    kept = rita.post(
        _base(story) + "sections/trigger/",
        {"body": "My words.", "base_revision": "1"},
        headers={"HX-Request": "true"},
    )
    assert 'data-state="saved"' in kept.content.decode()
    assert Postmortem.objects.get().sections.get(key="trigger").body == "My words."


def test_preview_renders_sanitized_markdown_with_blameless_suggestions(story, rita, responder):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    response = rita.post(
        _base(story) + "sections/root_cause/preview/",
        {"body": "**Human error** <script>x()</script><b onclick='y()'>b</b>"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "<strong>Human error</strong>" in html
    assert "<script" not in html and "onclick" not in html
    assert "Blameless language suggestions" in html and "“Human error”" in html


def test_viewers_see_the_editor_read_only_and_cannot_save(story, viewer, responder):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    client = _client(viewer)
    page = client.get(_base(story)).content.decode()
    assert "readonly" in page and "Request review" not in page
    response = client.post(_base(story) + "sections/trigger/", {"body": "x", "base_revision": "0"})
    assert response.status_code == 403
    assert Postmortem.objects.get().sections.get(key="trigger").body == ""


def test_bad_figures_show_the_error_next_to_the_field_and_keep_the_input(story, rita, responder):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    response = rita.post(
        _base(story) + "figures/", {"users_affected": "-5", "revenue_impact": "12"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "greater than or equal to 0" in html
    assert 'value="-5"' in html
    assert Postmortem.objects.get().users_affected is None


def test_review_and_publish_through_the_forms_then_download(story, rita, responder, reviewer):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    rita.post(_base(story) + "request-review/", {"reviewers": ["rev"]})
    refused = rita.post(_base(story) + "publish/")
    assert refused.status_code == 400
    assert "At least one reviewer must approve" in refused.content.decode()
    _client(reviewer).post(_base(story) + "review/", {"decision": "approve", "comment": "Clear."})
    published = rita.post(_base(story) + "publish/", follow=True)
    assert "Version 1 published." in published.content.decode()
    assert f"{story.incident.reference}: " in published.content.decode()
    pdf = rita.get(_base(story) + "pdf/?version=1")
    assert pdf.status_code == 200 and bytes(pdf.content).startswith(b"%PDF-")
    md = rita.get(_base(story) + "markdown/?version=1")
    assert md.content.decode().startswith(f"# Postmortem: {story.incident.reference}")
    assert rita.get(_base(story) + "versions/2/").status_code == 404


def test_action_item_form_board_filters_and_status(story, rita, responder):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    bad = rita.post(
        _base(story) + "action-items/", {"title": "", "priority": "P0", "kind": "detect"}
    )
    assert bad.status_code == 400 and "This field is required." in bad.content.decode()
    rita.post(
        _base(story) + "action-items/",
        {"title": "Alert on pool use", "priority": "P0", "kind": "detect", "owner": "rita",
         "due_on": "2020-01-01"},
    )  # fmt: skip
    rita.post(
        _base(story) + "action-items/",
        {"title": "Runbook for pools", "priority": "P2", "kind": "process"},
    )
    board = rita.get("/action-items/?overdue=on&status=open").content.decode()
    assert "Alert on pool use" in board and "Runbook for pools" not in board
    assert "Runbook for pools" in rita.get("/action-items/?priority=P2").content.decode()
    item = ActionItem.objects.get(title="Alert on pool use")
    rita.post(f"/action-items/{item.pk}/status/", {"status": "done", "next": "/action-items/"})
    item.refresh_from_db()
    assert item.status == "done" and item.completed_at is not None


def test_postmortem_list_and_incident_room_panel(story, rita, responder):
    pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))
    due = rita.get("/postmortems/?state=due").content.decode()
    assert story.incident.reference in due
    assert (
        story.incident.reference not in rita.get("/postmortems/?state=published").content.decode()
    )
    from django.template.loader import render_to_string

    panel = render_to_string("postmortems/_incident_panel.html", {"incident": story.incident})
    assert "Draft" in panel and "Required" in panel and "Open the postmortem" in panel


def test_admins_edit_the_template_and_others_cannot(admin_user, rita):
    assert rita.get("/postmortems/template/").status_code == 403
    admin = _client(admin_user)
    admin.post("/postmortems/template/", {"trigger": "What changed?"})
    assert pm.postmortem_template_get().text_for("trigger") == "What changed?"
