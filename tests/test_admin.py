"""The Django admin opens every model's list and add pages for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


@pytest.fixture
def superuser_client(client):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_changelist_opens(superuser_client, app, model):
    response = superuser_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200


# Bookkeeping rather than data anyone edits: the incident number counter and rendered PDFs.
INTERNAL = {("incidents", "numbersequence"), ("incidents", "postmortempdf")}


def test_every_keel_model_is_in_the_admin():
    from django.apps import apps

    inline = {
        (inline.model._meta.app_label, inline.model._meta.model_name)
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    ours = {
        (m._meta.app_label, m._meta.model_name)
        for app in ("incidents", "slos", "oncall", "accounts")
        for m in apps.get_app_config(app).get_models()
        if not m._meta.auto_created
    }
    missing = ours - set(MODELS) - inline - INTERNAL
    assert not missing, f"not in the admin: {sorted(missing)}"


def test_published_versions_cannot_be_changed_in_the_admin(superuser_client):
    url = reverse("admin:postmortems_postmortemversion_add")
    assert superuser_client.get(url).status_code == 403
