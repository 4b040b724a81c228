"""A pinned Markdown note keeps its formatting in the postmortem page, the PDF and the
Markdown export (it is not flattened into one line of source)."""

import subprocess
from datetime import timedelta

import pytest
from django.test import Client

from core.actors import Actor
from incidents.services import incident_add_note
from postmortems import markdown
from postmortems import services as pm
from postmortems.render import render_html, render_pdf
from tests.factories import DETECTED, realistic_incident

pytestmark = pytest.mark.django_db

NOTE = (
    "Rolled back **checkout** to v41.\n\nSteps:\n\n- drained the pool\n- restarted | workers\n\n"
    "```\nkubectl rollout undo deploy/checkout\n```"
)


@pytest.fixture
def drafted(integration, responder):
    story = realistic_incident(integration, responder)
    incident_add_note(
        incident=story.incident,
        text=NOTE,
        actor=Actor.of(responder),
        pinned=True,
        at=DETECTED + timedelta(minutes=20),
    )
    return pm.postmortem_draft(incident=story.incident, actor=Actor.of(responder))


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_document_page_shows_the_note_formatted(drafted, responder):
    page = _client(responder).get(f"/incidents/{drafted.incident.number}/postmortem/document/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>checkout</strong>" in html
    assert "<li>drained the pool</li>" in html
    assert "kubectl rollout undo deploy/checkout\n</code></pre>" in html
    assert "**checkout**" not in html
    assert "<td>2026-11-21 16:43:00</td>" in html  # the timeline's times carry their year


def test_the_pdf_keeps_the_note_on_its_lines(drafted, tmp_path):
    html = render_html(pm.postmortem_document(postmortem=drafted))
    assert "<li>restarted | workers</li>" in html
    path = tmp_path / "pm.pdf"
    path.write_bytes(render_pdf(html))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "**" not in text
    lines = [line.strip() for line in text.splitlines()]
    assert any(line.endswith("drained the pool") for line in lines)
    assert not any("drained the pool" in line and "restarted" in line for line in lines)


def test_the_markdown_export_keeps_the_note_and_its_neighbours_readable(drafted):
    text = pm_markdown(drafted)
    html = markdown.render(text)
    assert "<strong>checkout</strong>" in html
    assert "<li>drained the pool</li>" in html and "<li>restarted | workers</li>" in html
    assert "kubectl rollout undo deploy/checkout\n</code></pre>" in html
    # The other entries are still one line each, and nothing after them was swallowed.
    assert "Looking at dashboards." not in text  # unpinned notes stay out
    assert "Rolled back checkout to v41; error rate falling." in html
    assert "<h2>Action items</h2>" in html


def pm_markdown(postmortem) -> str:
    from postmortems.render import to_markdown

    return to_markdown(pm.postmortem_document(postmortem=postmortem))
