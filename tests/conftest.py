"""Shared fixtures: users by role, API clients, a service and an integration with its token,
a team of three, and a live server with a Chromium tab for the browser tests."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.services import api_token_create
from catalog.models import Team
from core.actors import Actor
from incidents.services import integration_create
from oncall.services import team_create
from tests.browser.live import CHROMIUM, save_screenshot
from tests.factories import ServiceFactory, person


@pytest.fixture(scope="session", autouse=True)
def _plain_http_for_the_live_server() -> None:
    """The live server builds its middleware once, when it starts (before function-scoped
    settings fixtures run): a browser on loopback must not be redirected to HTTPS."""
    from django.conf import settings as django_settings

    django_settings.SECURE_SSL_REDIRECT = False


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """Plain HTTP (as Alertmanager inside a cluster), static files without a collectstatic
    manifest, and fast password hashing; everything else as in production."""
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _isolated_cache():
    """Each test starts with an empty cache (the webhook caches integration lookups)."""
    from django.core.cache import caches

    for alias in caches:
        caches[alias].clear()
    yield
    for alias in caches:
        caches[alias].clear()


@pytest.fixture
def admin_user(db):
    return person("ada", "admin")


@pytest.fixture
def responder(db):
    return person("rita", "responder")


@pytest.fixture
def viewer(db):
    return person("vic", "viewer")


def _client(user) -> APIClient:
    client = APIClient()
    _, token = api_token_create(user=user, name="test")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    return _client(admin_user)


@pytest.fixture
def responder_api(responder) -> APIClient:
    return _client(responder)


@pytest.fixture
def viewer_api(viewer) -> APIClient:
    return _client(viewer)


@pytest.fixture
def checkout(db):
    return ServiceFactory(slug="checkout", name="Checkout")


@pytest.fixture
def integration_and_token(db, checkout):
    """An Alertmanager integration (default service: checkout) and its plaintext token."""
    return integration_create(actor=Actor.system(), name="am-test", default_service=checkout)


@pytest.fixture
def integration(integration_and_token):
    return integration_and_token[0]


@pytest.fixture
def ann(db):
    return person("ann")


@pytest.fixture
def bob(db):
    return person("bob")


@pytest.fixture
def cat(db):
    return person("cat")


@pytest.fixture
def team(ann, bob, cat) -> Team:
    """Payments (Berlin), its members ann, bob and cat."""
    return team_create(
        user=None,
        name="Payments",
        slug="payments",
        time_zone="Europe/Berlin",
        members=[ann, bob, cat],
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report kept on the test item so fixtures can tell a failure."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def base_url(live_server, settings) -> Iterator[str]:
    """The live server on 127.0.0.1 with webhook deliveries processed in their request."""
    from django.conf import settings as django_settings

    from config.celery import app as celery_app

    settings.ALLOWED_HOSTS = [*django_settings.ALLOWED_HOSTS, "127.0.0.1"]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield f"http://127.0.0.1:{live_server.thread.port}"
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def chromium(monkeypatch) -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (skipped where either is missing)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # are still synchronous, one at a time.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(request, chromium) -> Iterator[Any]:
    """A fresh tab; when the test fails, a screenshot of it is saved."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        save_screenshot(request, tab)
    context.close()


@pytest.fixture
def worker(transactional_db, settings) -> Iterator[None]:
    """A real Celery worker on Redis (tests/celery_worker.py); tests using it are marked
    `needs_redis`."""
    from tests.celery_worker import running_worker

    with running_worker(settings):
        yield
