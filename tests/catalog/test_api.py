"""The services catalog through the API: ownership by a team, tier and SLA objective."""

import pytest

from catalog.models import Service, Team

pytestmark = pytest.mark.django_db


def test_admin_sets_owner_tier_and_sla(admin_api, checkout):
    Team.objects.create(name="Payments", slug="payments")
    response = admin_api.patch(
        "/api/v1/services/checkout/",
        {"owner": "payments", "tier": 1, "sla_objective": "99.5"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["owner"] == "payments"
    assert response.json()["tier"] == 1
    assert response.json()["sla_objective"] == "99.5000"
    checkout.refresh_from_db()
    assert checkout.owner.slug == "payments"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"owner": "nobody"}, "owner"),
        ({"tier": 7}, "tier"),
        ({"sla_objective": "100.5"}, "sla_objective"),
        ({"sla_objective": "-1"}, "sla_objective"),
    ],
)
def test_bad_service_fields_are_400_and_change_nothing(admin_api, checkout, body, field):
    response = admin_api.patch("/api/v1/services/checkout/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    checkout.refresh_from_db()
    assert (checkout.owner, checkout.tier, checkout.sla_objective) == (None, 2, None)


def test_sla_objective_is_a_percent_in_the_database(checkout):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.filter(pk=checkout.pk).update(sla_objective=0)
