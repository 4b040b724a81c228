"""A postmortem from draft to PDF in a real browser (Chromium via Playwright) against a
live server: write with autosave and preview, request review, approve, publish, download."""

import subprocess

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.test import Client

from postmortems.models import Postmortem
from tests.browser.live import save_screenshot
from tests.factories import UserFactory, realistic_incident

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _signed_in(chromium, base_url: str, user) -> object:
    """A browser tab with the user's session (signing in is another page's concern)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": session, "url": base_url}]
    )
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    return tab


def test_write_review_approve_publish_and_download(
    request, chromium, base_url, integration, responder, tmp_path
):
    from playwright.sync_api import expect

    story = realistic_incident(integration, responder)
    reviewer = UserFactory(username="rev")
    reviewer.groups.add(Group.objects.get_or_create(name="responder")[0])
    number = story.incident.number
    editor = f"{base_url}/incidents/{number}/postmortem/"

    rita = _signed_in(chromium, base_url, responder)
    try:
        rita.goto(editor)
        if rita.get_by_role("button", name="Draft the postmortem").count():
            rita.get_by_role("button", name="Draft the postmortem").click()
        expect(rita.get_by_test_id("pm-status")).to_have_text("Draft")

        root_cause = rita.locator("#body-root_cause")
        root_cause.fill("The pool was **capped at 10**; it was human error.")
        root_cause.dispatch_event("input")
        expect(rita.locator("#state-root_cause [data-state=saved]")).to_be_visible()
        expect(rita.locator("#preview-root_cause .pm-preview strong")).to_have_text("capped at 10")
        expect(rita.locator("#preview-root_cause .pm-suggestions")).to_contain_text("human error")
        saved = Postmortem.objects.get().sections.get(key="root_cause")
        assert saved.body == "The pool was **capped at 10**; it was human error."

        rita.reload()
        expect(rita.locator("#body-root_cause")).to_have_value(saved.body)

        rita.get_by_label("Reviewers").select_option("rev")
        rita.get_by_role("button", name="Request review").click()
        expect(rita.get_by_test_id("pm-status")).to_have_text("In review")

        rev = _signed_in(chromium, base_url, reviewer)
        rev.goto(editor)
        rev.get_by_label("Comment").fill("Clear and blameless once edited.")
        rev.get_by_role("button", name="Approve").click()
        expect(rev.locator("#review")).to_contain_text("approved")
        rev.context.close()

        rita.goto(editor)
        rita.get_by_role("button", name="Publish").click()
        expect(rita.locator(".messages")).to_contain_text("Version 1 published.")
        with rita.expect_download() as download_info:
            rita.get_by_role("link", name="Download PDF (A4)").click()
        download = download_info.value
        assert download.suggested_filename == f"INC-{number}-postmortem-v1.pdf"
        path = tmp_path / "postmortem.pdf"
        download.save_as(str(path))
        assert path.read_bytes().startswith(b"%PDF-")
        text = subprocess.run(
            ["pdftotext", str(path), "-"], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        assert f"INC-{number}" in text and "capped at 10" in text and "Page 1 of" in text
    except Exception:
        save_screenshot(request, rita)
        raise
    finally:
        rita.context.close()
