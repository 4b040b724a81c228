"""Postmortem autosave in a real browser when saving fails: offline, a server error, a
refusal for size. The editor says so at once, keeps the text in the browser, retries,
and asks before the page is left with unsaved text."""

import pytest

from postmortems.models import Postmortem
from tests.browser.live import save_screenshot
from tests.factories import realistic_incident
from tests.postmortems.test_browser import _signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _saves(url: str) -> bool:
    return url.split("?")[0].endswith("/sections/root_cause/")


def _kept(tab, number: int) -> str | None:
    return tab.evaluate(f"localStorage.getItem('keel:autosave:pm:{number}:root_cause')")


def _body() -> str:
    section = Postmortem.objects.get().sections.filter(key="root_cause").first()
    return section.body if section else ""


def test_a_failed_save_is_shown_kept_retried_and_guarded(
    request, chromium, base_url, integration, responder
):
    from playwright.sync_api import expect

    story = realistic_incident(integration, responder)
    number = story.incident.number
    tab = _signed_in(chromium, base_url, responder)
    dialogs: list[str] = []
    try:
        tab.goto(f"{base_url}/incidents/{number}/postmortem/")
        if tab.get_by_role("button", name="Draft the postmortem").count():
            tab.get_by_role("button", name="Draft the postmortem").click()
        state = tab.locator("#state-root_cause")
        box = tab.locator("#body-root_cause")

        tab.context.set_offline(True)
        box.click()
        box.press_sequentially("Written on a train.")
        expect(state.locator("[data-state=unsaved]")).to_contain_text("Not saved — retrying")
        expect(state).to_contain_text("offline")
        assert "Written on a train." in (_kept(tab, number) or "")
        assert _body() == ""

        # Leaving now asks first; staying keeps the page and its text.
        def stay(dialog):
            dialogs.append(dialog.type)
            dialog.dismiss()

        tab.on("dialog", stay)
        tab.close(run_before_unload=True)
        expect(box).to_have_value("Written on a train.")
        assert dialogs == ["beforeunload"]
        tab.remove_listener("dialog", stay)

        # Back online, the server fails, then refuses the size; each is said.
        tab.route(_saves, lambda route: route.fulfill(status=500, body="boom"))
        tab.context.set_offline(False)
        expect(state).to_contain_text("server error 500")
        tab.unroute(_saves)
        tab.route(_saves, lambda route: route.fulfill(status=413, body="too big"))
        expect(state).to_contain_text("too large")
        assert _body() == ""
        tab.unroute(_saves)

        # The next retry gets through: saved, forgotten by the browser, leaving is free.
        expect(state.locator("[data-state=saved]")).to_be_visible(timeout=30_000)
        assert _body() == "Written on a train."
        assert _kept(tab, number) is None

        def _answer(dialog) -> None:
            dialogs.append(dialog.type)
            dialog.accept()

        tab.on("dialog", _answer)
        tab.close(run_before_unload=True)
        assert dialogs == ["beforeunload"]
    except Exception:
        if not tab.is_closed():
            save_screenshot(request, tab)
        raise
    finally:
        tab.context.close()


def test_text_that_never_reached_keel_comes_back_on_the_next_visit(
    request, chromium, base_url, integration, responder
):
    from playwright.sync_api import expect

    story = realistic_incident(integration, responder)
    number = story.incident.number
    editor = f"{base_url}/incidents/{number}/postmortem/"
    tab = _signed_in(chromium, base_url, responder)
    later = None
    try:
        tab.goto(editor)
        if tab.get_by_role("button", name="Draft the postmortem").count():
            tab.get_by_role("button", name="Draft the postmortem").click()
        tab.route(_saves, lambda route: route.abort())
        box = tab.locator("#body-root_cause")
        box.click()
        box.press_sequentially("Kept through a crash.")
        expect(tab.locator("#state-root_cause")).to_contain_text("Not saved — retrying")
        tab.close()  # the tab is gone before any save got through
        assert _body() == ""

        later = tab.context.new_page()
        later.set_default_timeout(20_000)
        later.goto(editor)
        expect(later.locator("#body-root_cause")).to_have_value("Kept through a crash.")
        expect(later.locator("#state-root_cause [data-state=saved]")).to_be_visible()
        assert _body() == "Kept through a crash."
        assert _kept(later, number) is None
    except Exception:
        shot = later if later is not None else tab
        if not shot.is_closed():
            save_screenshot(request, shot)
        raise
    finally:
        tab.context.close()


def test_a_section_too_large_to_send_is_kept_and_said_before_sending(
    request, chromium, base_url, integration, responder, settings
):
    from playwright.sync_api import expect

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    story = realistic_incident(integration, responder)
    number = story.incident.number
    tab = _signed_in(chromium, base_url, responder)
    sent: list[str] = []
    try:
        tab.goto(f"{base_url}/incidents/{number}/postmortem/")
        if tab.get_by_role("button", name="Draft the postmortem").count():
            tab.get_by_role("button", name="Draft the postmortem").click()
        tab.on("request", lambda r: sent.append(r.url) if _saves(r.url) else None)
        box = tab.locator("#body-root_cause")
        state = tab.locator("#state-root_cause")
        huge = "The pool ran dry. " * 2000  # 36,000 characters
        box.fill(huge)
        expect(state.locator("[data-state=unsaved]")).to_contain_text(
            "Not saved — the text is too large"
        )
        expect(state).to_contain_text("Your text is kept in this browser.")
        kept = _kept(tab, number)
        assert kept is not None and huge in kept
        assert sent == [] and _body() == ""

        box.fill("The pool ran dry.")
        expect(state.locator("[data-state=saved]")).to_be_visible()
        assert _body() == "The pool ran dry."
        assert _kept(tab, number) is None
    except Exception:
        save_screenshot(request, tab)
        raise
    finally:
        tab.context.close()
