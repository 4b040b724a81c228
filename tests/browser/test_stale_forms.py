"""A stale form in a real browser (Chromium via Playwright, live server): the room's
severity form still shows SEV4 after a joining alert raised the incident to SEV1;
submitting it is refused, says who changed what, and the form shows SEV1 again."""

import pytest

from incidents.choices import Severity
from incidents.models import Incident
from tests.browser.test_incident_flow import _post_alerts, _sign_in
from tests.incidents import payloads

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_stale_severity_form_is_refused_and_redrawn(
    page, base_url, responder, integration_and_token
):
    from playwright.sync_api import expect

    _, token = integration_and_token
    low = payloads.alert(fingerprint="aaaa0001", severity="warning")
    _post_alerts(base_url, token, [low])
    incident = Incident.objects.get()
    assert incident.severity == Severity.SEV4

    _sign_in(page, base_url, "rita")
    page.goto(f"{base_url}/incidents/{incident.number}/")
    severity = page.locator("#id_severity-severity")
    expect(severity).to_have_value("SEV4")

    urgent = payloads.alert(fingerprint="bbbb0002", alertname="CheckoutDown", severity="page")
    _post_alerts(base_url, token, [low, urgent])
    head = page.locator("#room-head")
    expect(head.locator(".badge.sev")).to_have_text("SEV1", timeout=15_000)
    expect(severity).to_have_value("SEV4")  # the form below the header is not redrawn

    page.get_by_role("button", name="Change severity").click()

    problem = page.locator("form").filter(has=severity).get_by_role("alert")
    expect(problem).to_contain_text("Nothing was changed")
    expect(problem).to_contain_text("integration:am-test")
    expect(problem).to_contain_text("Severity SEV4 → SEV1: CheckoutDown joined with severity=page")
    expect(severity).to_have_value("SEV1")
    assert Incident.objects.get().severity == Severity.SEV1

    severity.select_option("SEV2")
    page.get_by_role("button", name="Change severity").click()
    expect(page.locator(".messages")).to_contain_text("Severity changed.")
    expect(head.locator(".badge.sev")).to_have_text("SEV2")
