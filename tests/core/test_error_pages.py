"""Errors: a person's browser gets a page in the layout; the API and webhooks keep JSON."""

import pytest
from django.test import Client

from incidents.models import Incident

pytestmark = pytest.mark.django_db

BROWSER = {"HTTP_ACCEPT": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _in_layout(page: str) -> bool:
    return '<nav aria-label="Main">' in page and "keel/keel.css" in page


def test_an_unknown_page_is_a_page_in_the_layout_for_a_browser(client, viewer):
    client.force_login(viewer)
    response = client.get("/no-such-page/", **BROWSER)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert _in_layout(page)
    assert "<h1>Not found</h1>" in page and 'href="/incidents/"' in page


def test_api_and_webhook_paths_keep_json_errors_even_for_a_browser(client, viewer):
    client.force_login(viewer)
    for url in ["/api/v1/no-such-thing/", "/hooks/no-such-hook/"]:
        response = client.get(url, **BROWSER)
        assert response.status_code == 404, url
        assert response.json() == {"message": "Not found."}, url


def test_a_client_asking_for_json_gets_json_on_any_path(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found."}


def test_a_role_refusal_is_a_page_for_a_browser_and_json_for_the_api(client, viewer, viewer_api):
    client.force_login(viewer)
    response = client.get("/integrations/", **BROWSER)
    assert response.status_code == 403
    page = response.content.decode()
    assert _in_layout(page) and "<h1>Not allowed</h1>" in page
    assert "Nothing was changed." in page

    api = viewer_api.post("/api/v1/incidents/", {"title": "x", "severity": "SEV2"}, format="json")
    assert api.status_code == 403
    assert "message" in api.json()


def test_an_expired_form_is_a_page_and_changes_nothing(responder):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(responder)
    response = browser.post(
        "/incidents/declare/", {"title": "Checkout down", "severity": "SEV2"}, **BROWSER
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert _in_layout(page) and "<h1>Form expired</h1>" in page
    assert not Incident.objects.exists()


@pytest.mark.urls("tests.core.error_urls")
def test_a_server_error_is_a_page_for_a_browser_and_json_for_the_api(viewer):
    browser = Client(raise_request_exception=False)
    browser.force_login(viewer)
    response = browser.get("/boom/", **BROWSER)
    assert response.status_code == 500
    page = response.content.decode()
    assert _in_layout(page) and "<h1>Internal error</h1>" in page
    assert "a bug" not in page

    api = browser.get("/api/v1/boom/", **BROWSER)
    assert api.status_code == 500
    assert api.json() == {"message": "Internal error; it has been logged."}
