"""Shared fixtures: users by role, API clients, an integration with its token."""

from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from accounts.services import api_token_create
from incidents.actors import Actor
from incidents.services import integration_create
from tests.incidents.factories import ServiceFactory, UserFactory


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


def _user(username: str, role: str) -> Any:
    user: Any = UserFactory(username=username)
    # get_or_create: a transactional test's flush removes the groups the migration made.
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def admin_user(db):
    return _user("ada", "admin")


@pytest.fixture
def responder(db):
    return _user("rita", "responder")


@pytest.fixture
def viewer(db):
    return _user("vic", "viewer")


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
