"""Roles: viewer < responder < admin, from Django groups; superusers are admins."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import PermissionDenied

from core.roles import Role, require_role, role_of
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def user_in(*groups: str, **fields):
    user = UserFactory(**fields)
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return get_user_model().objects.get(pk=user.pk)


def test_roles_are_ordered():
    assert Role.NONE < Role.VIEWER < Role.RESPONDER < Role.ADMIN
    assert sorted([Role.ADMIN, Role.NONE, Role.RESPONDER, Role.VIEWER]) == [
        Role.NONE,
        Role.VIEWER,
        Role.RESPONDER,
        Role.ADMIN,
    ]


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ((), Role.VIEWER),
        (("viewer",), Role.VIEWER),
        (("responder",), Role.RESPONDER),
        (("admin",), Role.ADMIN),
        (("viewer", "responder"), Role.RESPONDER),
        (("responder", "admin"), Role.ADMIN),
        (("viewer", "responder", "admin"), Role.ADMIN),
        (("ops",), Role.VIEWER),
        (("ops", "responder"), Role.RESPONDER),
    ],
)
def test_role_is_the_highest_group(groups, expected):
    assert role_of(user_in(*groups)) == expected


def test_superusers_are_admins_without_any_group():
    assert role_of(user_in(is_superuser=True)) == Role.ADMIN
    assert role_of(user_in("viewer", is_superuser=True)) == Role.ADMIN


def test_nobody_inactive_or_anonymous_has_no_role():
    assert role_of(None) == Role.NONE
    assert role_of(AnonymousUser()) == Role.NONE
    assert role_of(user_in("admin", is_active=False)) == Role.NONE
    assert role_of(user_in(is_superuser=True, is_active=False)) == Role.NONE


def test_a_promotion_shows_on_the_next_load_of_the_user():
    user = user_in("viewer")
    assert role_of(user) == Role.VIEWER
    user.groups.add(Group.objects.get(name="responder"))
    assert role_of(get_user_model().objects.get(pk=user.pk)) == Role.RESPONDER


@pytest.mark.parametrize(
    ("groups", "needed", "allowed"),
    [
        (("viewer",), Role.VIEWER, True),
        (("viewer",), Role.RESPONDER, False),
        (("responder",), Role.RESPONDER, True),
        (("responder",), Role.ADMIN, False),
        (("admin",), Role.RESPONDER, True),
        (("admin",), Role.ADMIN, True),
    ],
)
def test_require_role(groups, needed, allowed):
    user = user_in(*groups)
    if allowed:
        require_role(user, needed)
    else:
        with pytest.raises(PermissionDenied) as denied:
            require_role(user, needed)
        assert str(denied.value) == f"This needs the {needed.name.lower()} role."


def test_require_role_refuses_anonymous_users():
    with pytest.raises(PermissionDenied, match=r"This needs the viewer role\."):
        require_role(AnonymousUser(), Role.VIEWER)
