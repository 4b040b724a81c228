"""Postmortem documents rendered by WeasyPrint, read back with poppler (pdftotext, pdfinfo,
pdffonts); remote resources are never fetched."""

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.contrib.auth.models import Group

from core.actors import Actor
from postmortems import services as pm
from postmortems.models import PostmortemPdf
from postmortems.render import StaticOnlyFetcher, render_html, render_pdf
from postmortems.tasks import render_postmortem_pdf
from tests.factories import (
    RESOLVED,
    UserFactory,
    realistic_incident,
    report_large_budget_impact,
)

pytestmark = pytest.mark.django_db


def _poppler(tool: str, data: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "postmortem.pdf"
    path.write_bytes(data)
    out = [str(path), "-"] if tool == "pdftotext" else [str(path)]
    return subprocess.run(
        [tool, *args, *out], check=True, capture_output=True, text=True, timeout=60
    ).stdout


@pytest.fixture
def catcher():
    """A local HTTP server that records every request it gets."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/gif")
            self.end_headers()
            self.wfile.write(
                b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01"
                b"\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
            )

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def published(integration, responder, monkeypatch):
    report_large_budget_impact(monkeypatch)
    story = realistic_incident(integration, responder)
    actor = Actor.of(responder)
    postmortem = pm.postmortem_draft(incident=story.incident, actor=actor)
    root = postmortem.sections.get(key="root_cause")
    pm.postmortem_edit_section(
        postmortem=postmortem,
        key="root_cause",
        body="The connection pool was **capped at 10**.",
        base_revision=root.revision,
        actor=actor,
    )
    for n, priority in enumerate(["P0", "P1", "P2"]):
        pm.action_item_create(
            incident=story.incident,
            actor=actor,
            title=f"Follow-up number {n} for the pool",
            priority=priority,
            owner=responder,
            due_on="2026-12-0" + str(n + 1),
        )
    reviewer = UserFactory(username="rev")
    reviewer.groups.add(Group.objects.get_or_create(name="responder")[0])
    pm.postmortem_request_review(postmortem=postmortem, reviewers=[reviewer], actor=actor)
    pm.postmortem_review(postmortem=postmortem, actor=Actor.of(reviewer), approve=True)
    pm.postmortem_publish(postmortem=postmortem, actor=actor)
    return postmortem


def test_published_pdf_holds_number_durations_budget_impact_actions_and_page_numbers(
    published, tmp_path
):
    digest = render_postmortem_pdf(published.pk, 1)
    pdf = PostmortemPdf.objects.get(content_hash=digest)
    data = bytes(pdf.pdf)
    assert data.startswith(b"%PDF-")
    text = _poppler("pdftotext", data, tmp_path, "-layout")
    flat = " ".join(text.split())
    ref = published.reference
    assert f"{ref} · Postmortem" in flat
    assert "Time to resolve 1 h 12 min" in flat
    assert "Time to acknowledge 4 min" in flat
    assert "consumed 32.6% of the 30-day budget; 68 min remain" in flat
    for n in range(3):
        assert f"Follow-up number {n} for the pool" in flat
    assert "capped at 10" in flat
    pages = int(
        next(
            line.split()[-1]
            for line in _poppler("pdfinfo", data, tmp_path).splitlines()
            if line.startswith("Pages:")
        )
    )
    assert f"Page 1 of {pages}" in flat
    assert f"Page {pages} of {pages}" in flat


def test_pdf_metadata_and_embedded_fonts(published, tmp_path):
    data = bytes(PostmortemPdf.objects.get(content_hash=render_postmortem_pdf(published.pk, 1)).pdf)
    info = _poppler("pdfinfo", data, tmp_path)
    assert f"Title:           {published.reference} postmortem" in info
    assert "Author:          rita" in info
    assert "CreationDate:" in info and "ModDate:" in info
    fonts = _poppler("pdffonts", data, tmp_path).splitlines()[2:]
    assert fonts and all("DejaVu" in line for line in fonts)
    assert all(" yes " in line for line in fonts)  # embedded


def test_pdfs_are_cached_by_content_and_a_paper_change_is_a_new_pdf(published, tmp_path):
    first = render_postmortem_pdf(published.pk, 1)
    assert render_postmortem_pdf(published.pk, 1) == first
    letter = render_postmortem_pdf(published.pk, 1, "letter")
    assert letter != first
    assert PostmortemPdf.objects.count() == 2
    letter_pdf = PostmortemPdf.objects.get(content_hash=letter)
    assert letter_pdf.paper == "letter"
    assert "(letter)" in _poppler("pdfinfo", bytes(letter_pdf.pdf), tmp_path)
    a4_pdf = PostmortemPdf.objects.get(content_hash=first)
    assert "(A4)" in _poppler("pdfinfo", bytes(a4_pdf.pdf), tmp_path)


def test_the_draft_pdf_changes_when_the_text_changes(published, responder):
    published.refresh_from_db()
    section = published.sections.get(key="lessons")
    before = render_postmortem_pdf(published.pk)
    pm.postmortem_edit_section(
        postmortem=published,
        key="lessons",
        body="Alert on saturation, not on errors only.",
        base_revision=section.revision,
        actor=Actor.of(responder),
    )
    after = render_postmortem_pdf(published.pk)
    assert after != before
    drafts = PostmortemPdf.objects.filter(postmortem=published, version_number__isnull=True)
    assert list(drafts.values_list("content_hash", flat=True)) == [after]


def test_an_image_pointing_at_a_local_server_is_never_fetched(published, responder, catcher):
    base, seen = catcher
    published.refresh_from_db()
    section = published.sections.get(key="detection")
    pm.postmortem_edit_section(
        postmortem=published,
        key="detection",
        body=f'![graph]({base}/md.gif)\n\n<img src="{base}/raw.gif">\n\n'
        f'<p style="background:url({base}/css.gif)">styled</p>',
        base_revision=section.revision,
        actor=Actor.of(responder),
    )
    html = render_html(pm.postmortem_document(postmortem=published))
    assert f"{base}/md.gif" in html  # the reference survives sanitizing…
    pdf = render_pdf(html)
    assert pdf.startswith(b"%PDF-")
    assert seen == []  # …but the PDF renderer never asks for it

    # Control: WeasyPrint's own fetcher does reach the catcher, so the check above can fail.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    HTML(string=f'<img src="{base}/control.gif">').write_pdf()
    assert seen == ["/control.gif"]
    assert isinstance(StaticOnlyFetcher(), URLFetcher)


def test_static_files_and_data_uris_are_allowed(tmp_path):
    fetcher = StaticOnlyFetcher()
    response = fetcher.fetch("https://keel.invalid/static/keel/keel.css")
    assert response.read()
    assert fetcher.fetch("data:text/plain;base64,SGk=").read() == b"Hi"
    for refused in (
        "https://keel.invalid/static/../../config/settings.py",
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(refused)


def test_script_and_event_handlers_are_stripped_from_the_document(published, responder):
    published.refresh_from_db()
    section = published.sections.get(key="response")
    pm.postmortem_edit_section(
        postmortem=published,
        key="response",
        body='We paged.<script>alert("x")</script> <b onclick="steal()">Bold</b>',
        base_revision=section.revision,
        actor=Actor.of(responder),
    )
    html = render_html(pm.postmortem_document(postmortem=published))
    assert "<script" not in html.lower()
    assert "onclick" not in html.lower()
    assert "<b>Bold</b>" in html


def test_markdown_export_of_a_version(published):
    from postmortems.render import to_markdown

    text = to_markdown(pm.postmortem_document(postmortem=published, version=1))
    assert text.startswith(f"# Postmortem: {published.reference}")
    assert "version 1" in text
    assert "consumed 32.6% of the 30-day budget" in text
    assert str(RESOLVED.date()) in text


def test_a_hostile_incident_title_stays_text_in_the_header_and_document(
    published, responder, tmp_path
):
    from incidents.services import incident_update_details

    incident = published.incident
    incident_update_details(
        incident=incident,
        actor=Actor.of(responder),
        title='Pay "} body { display: none } </style><script>x()</script>',
    )
    pm.postmortem_edit_section(
        postmortem=published,
        key="lessons",
        body="Titles are data.",
        base_revision=published.sections.get(key="lessons").revision,
        actor=Actor.of(responder),
    )
    pm.postmortem_refresh(postmortem=published, actor=Actor.of(responder))
    published.refresh_from_db()
    html = render_html(pm.postmortem_document(postmortem=published))
    assert "<script>x()" not in html
    flat = " ".join(_poppler("pdftotext", render_pdf(html), tmp_path, "-layout").split())
    assert 'Pay "} body { display: none } </style><script>x()</script>' in flat
    assert "Titles are data." in flat
