"""The incident commander's path through the UI in a real browser (Chromium via
Playwright) against a live server; a screenshot is saved when a step fails."""

import json
import urllib.request

import pytest

from incidents.models import Incident
from tests.incidents import payloads

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"


def _post_alerts(base_url: str, token: str, alerts: list[dict]) -> None:
    body = json.dumps(payloads.notification(alerts)).encode()
    request = urllib.request.Request(
        f"{base_url}/hooks/alertmanager/",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
        assert response.status == 200


def _sign_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Dashboard").wait_for()


def test_declare_acknowledge_change_severity_note_and_resolve(page, base_url, responder, checkout):
    from playwright.sync_api import expect

    _sign_in(page, base_url, "rita")
    page.get_by_role("link", name="Declare incident").click()
    page.get_by_label("Title").fill("Checkout returns 502")
    page.get_by_label("Severity").select_option("SEV3")
    page.get_by_label("Services").select_option(label="Checkout (checkout)")
    page.get_by_label("Summary").fill("Customers cannot **pay**.")
    page.get_by_role("button", name="Declare").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout returns 502")
    expect(page.locator(".badges")).to_contain_text("Not acknowledged")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".messages")).to_contain_text("Acknowledged.")
    expect(page.locator(".badges")).not_to_contain_text("Not acknowledged")

    page.locator("#id_severity-severity").select_option("SEV1")
    page.get_by_role("button", name="Change severity").click()
    expect(page.locator(".badges")).to_contain_text("SEV1")

    page.get_by_label("Note", exact=True).fill("Rolled back **v42**")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline")).to_contain_text("Rolled back v42")
    expect(page.locator("#timeline strong").first).to_have_text("v42")

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".badges")).to_contain_text("Resolved")
    incident = Incident.objects.get(title="Checkout returns 502")
    assert incident.status == "resolved" and incident.severity == "SEV1"
    assert incident.acknowledged_at is not None


def test_webhook_alert_appears_in_the_open_room_without_reload(
    page, base_url, responder, integration_and_token
):
    from playwright.sync_api import expect

    _, token = integration_and_token
    _post_alerts(
        base_url, token, [payloads.alert(fingerprint="aaaa0001", alertname="HighErrorRate")]
    )
    incident = Incident.objects.get()
    _sign_in(page, base_url, "rita")
    page.goto(f"{base_url}/incidents/{incident.number}/")
    expect(page.locator("#alerts")).to_contain_text("1 firing")
    page.evaluate("window.keelNoReload = true")

    second = payloads.alert(
        fingerprint="bbbb0002",
        alertname="HighErrorRate",
        extra_labels={"instance": "web-2"},
        annotations={"summary": "second instance failing"},
    )
    _post_alerts(
        base_url,
        token,
        [payloads.alert(fingerprint="aaaa0001", alertname="HighErrorRate"), second],
    )
    expect(page.locator("#alerts")).to_contain_text("2 firing", timeout=15_000)
    expect(page.locator("#alerts")).to_contain_text("instance=web-2")
    expect(page.locator("#alerts")).to_contain_text("No runbook")
    expect(page.locator("#timeline")).to_contain_text("fired")
    assert page.evaluate("window.keelNoReload") is True  # the page was not reloaded

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator(".badges")).to_contain_text("Resolved")


def test_room_header_follows_others_changes_while_a_note_is_being_typed(
    page, base_url, responder, admin_user
):
    from playwright.sync_api import expect

    from core.actors import Actor
    from incidents.services import (
        incident_acknowledge,
        incident_assign_commander,
        incident_declare,
        incident_set_severity,
    )

    incident = incident_declare(actor=Actor.of(responder), title="Login fails", severity="SEV3")
    _sign_in(page, base_url, "rita")
    page.goto(f"{base_url}/incidents/{incident.number}/")
    head = page.locator("#room-head")
    expect(head).to_contain_text("Not acknowledged")
    page.evaluate("window.keelNoReload = true")
    note = page.get_by_label("Note", exact=True)
    note.fill("Half-written thought about the login")

    # Someone else acts on the incident from another browser.
    incident_acknowledge(incident=incident, actor=Actor.of(admin_user))
    incident_set_severity(incident=incident, severity="SEV1", actor=Actor.of(admin_user))
    incident_assign_commander(incident=incident, commander=admin_user, actor=Actor.of(admin_user))

    expect(head.locator(".badge.sev")).to_have_text("SEV1", timeout=15_000)
    expect(head).not_to_contain_text("Not acknowledged")
    expect(head).to_contain_text("by ada")
    commander = head.locator("div").filter(has=page.locator("dt", has_text="Commander"))
    expect(commander.locator("dd")).to_have_text("ada")
    assert page.evaluate("window.keelNoReload") is True  # the page was not reloaded
    expect(note).to_have_value("Half-written thought about the login")
    expect(note).to_be_focused()


UNLABELLED_CONTROLS = """
() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button'
)).filter(el => {
    const named = (el.labels && el.labels.length) || el.getAttribute('aria-label')
        || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && el.textContent.trim());
    return !named;
}).map(el => el.outerHTML.slice(0, 120))
"""


def test_every_control_is_labelled_and_pages_fit_a_phone(
    page, base_url, admin_user, integration_and_token
):
    _, token = integration_and_token
    _post_alerts(base_url, token, [payloads.alert(fingerprint="cccc0003")])
    incident = Incident.objects.get()
    _sign_in(page, base_url, "ada")
    paths = [
        "/",
        "/incidents/",
        "/incidents/declare/",
        f"/incidents/{incident.number}/",
        "/alerts/",
        "/metrics/",
        "/integrations/",
        "/profile/",
    ]
    for path in paths:
        page.goto(base_url + path)
        assert page.evaluate(UNLABELLED_CONTROLS) == [], path
    page.set_viewport_size({"width": 390, "height": 844})
    for path in paths:
        page.goto(base_url + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, (path, overflow)


ACCESSIBILITY_PROBLEMS = """
() => {
  const problems = [];
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const text = el => (el.textContent || '').trim();
  const named = el => {
    const by = el.getAttribute('aria-labelledby');
    if (by) return by.split(/\\s+/).some(id => {
      const target = document.getElementById(id);
      return target && text(target);
    });
    const attribute = name => (el.getAttribute(name) || '').trim();
    return !!(attribute('aria-label') || attribute('title'));
  };
  document.querySelectorAll('input:not([type=hidden]), select, textarea').forEach(el => {
    const labelled = Array.from(el.labels || []).some(label => text(label)) || named(el);
    if (!labelled) problems.push('unlabelled control: ' + el.outerHTML.slice(0, 100));
  });
  document.querySelectorAll('button, a[href]').forEach(el => {
    if (!text(el) && !named(el) && !el.querySelector('img[alt]:not([alt=""])'))
      problems.push('control without a name: ' + el.outerHTML.slice(0, 100));
  });
  document.querySelectorAll('img').forEach(el => {
    if (!el.hasAttribute('alt')) problems.push('image without alt: ' + el.outerHTML.slice(0, 100));
  });
  document.querySelectorAll('svg').forEach(el => {
    if (el.parentElement.closest('svg')) return;
    const hidden = el.getAttribute('aria-hidden') === 'true';
    if (hidden || el.getAttribute('role') === 'presentation') return;
    const title = el.querySelector(':scope > title');
    if (!(title && text(title)) && !named(el))
      problems.push('svg without a text alternative: ' + el.outerHTML.slice(0, 100));
  });
  const ids = new Set();
  document.querySelectorAll('[id]').forEach(el => {
    if (ids.has(el.id)) problems.push('duplicate id: ' + el.id);
    ids.add(el.id);
  });
  const headings = Array.from(document.querySelectorAll('h1, h2, h3, h4, h5, h6')).filter(visible);
  if (!headings.length || headings[0].tagName !== 'H1') {
    const first = headings[0] ? headings[0].outerHTML.slice(0, 80) : 'none';
    problems.push('the first heading is not an h1: ' + first);
  }
  if (headings.filter(h => h.tagName === 'H1').length > 1) problems.push('more than one h1');
  for (let i = 1; i < headings.length; i++) {
    const before = +headings[i - 1].tagName[1], level = +headings[i].tagName[1];
    if (level > before + 1)
      problems.push('heading level skipped: h' + before + ' then '
        + headings[i].outerHTML.slice(0, 80));
  }
  return problems;
}
"""


def _seed_every_page(admin_user, token: str, base_url: str) -> Incident:
    """An incident with an alert, a team and an SLO, so every main page has something to
    draw."""
    from catalog.models import Team
    from core.actors import Actor
    from incidents.services import incident_acknowledge, incident_resolve
    from tests.factories import SLOFactory

    team = Team.objects.create(name="Payments", slug="payments")
    team.members.add(admin_user)
    SLOFactory(name="checkout-availability")

    _post_alerts(base_url, token, [payloads.alert(fingerprint="dddd0004")])
    incident = Incident.objects.get()
    incident_acknowledge(incident=incident, actor=Actor.of(admin_user))
    incident_resolve(incident=incident, actor=Actor.of(admin_user))
    return incident


MAIN_PAGES = [
    "/",
    "/incidents/",
    "/incidents/{number}/",
    "/incidents/declare/",
    "/alerts/",
    "/integrations/",
    "/metrics/",
    "/profile/",
    "/oncall/",
    "/slos/",
    "/postmortems/",
    "/action-items/",
]


def test_main_pages_pass_an_accessibility_check(page, base_url, admin_user, integration_and_token):
    """Labelled controls, named buttons and links, text alternatives for images and SVG
    charts, and headings in order (one h1, no level skipped) on every main page."""
    _, token = integration_and_token
    incident = _seed_every_page(admin_user, token, base_url)
    _sign_in(page, base_url, "ada")
    found = {}
    for path in MAIN_PAGES:
        url = base_url + path.format(number=incident.number)
        response = page.goto(url)
        assert response is not None and response.status == 200, path
        problems = page.evaluate(ACCESSIBILITY_PROBLEMS)
        if problems:
            found[path] = problems
    assert found == {}


def test_declare_is_one_click_away_on_every_page_even_on_a_phone(
    page, base_url, admin_user, integration_and_token
):
    from playwright.sync_api import expect

    _, token = integration_and_token
    incident = _seed_every_page(admin_user, token, base_url)
    _sign_in(page, base_url, "ada")
    for width, height in [(1280, 900), (390, 844)]:
        page.set_viewport_size({"width": width, "height": height})
        for path in [*MAIN_PAGES, "/no-such-page/"]:
            page.goto(base_url + path.format(number=incident.number))
            declare = page.get_by_role("link", name="Declare incident", exact=True)
            expect(declare).to_have_count(1)
            expect(declare).to_be_visible()
            box = declare.bounding_box()
            assert box is not None, path
            # on the first screen, without scrolling, and big enough for a thumb
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (path, width, box)
            assert box["y"] >= 0 and box["y"] + box["height"] <= 160, (path, width, box)
            assert box["height"] >= 32, (path, width, box)
    page.goto(f"{base_url}/incidents/{incident.number}/")
    page.get_by_role("link", name="Declare incident", exact=True).click()
    page.get_by_role("heading", name="Declare an incident").wait_for()
    expect(page.get_by_label("Title")).to_be_visible()


def test_running_durations_count_and_a_double_click_sends_one_note(
    page, base_url, responder, checkout
):
    from playwright.sync_api import expect

    from core.actors import Actor
    from incidents.services import incident_declare

    incident = incident_declare(actor=Actor.of(responder), title="Slow carts", severity="SEV3")
    _sign_in(page, base_url, "rita")
    page.goto(f"{base_url}/incidents/{incident.number}/")
    running = page.locator("[data-running-since]").first
    before = running.text_content()
    page.wait_for_timeout(2_100)
    assert running.text_content() != before

    page.get_by_label("Note", exact=True).fill("Only once")
    page.get_by_role("button", name="Add note").dblclick()
    expect(page.locator("#timeline")).to_contain_text("Only once")
    assert incident.timeline.filter(kind="note").count() == 1
