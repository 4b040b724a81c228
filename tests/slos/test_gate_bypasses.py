"""Every bypass in force is listed and revocable, and what revoking says is what the gate
answers next: on the service page, through the API and from `deploy_gate`."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from core.actors import Actor
from slos.models import GateBypass
from slos.services import gate_bypass_create, gate_check
from tests.factories import SLOFactory, push_minutes

pytestmark = pytest.mark.django_db


def _exhausted(service) -> None:
    slo = SLOFactory(service=service)
    now = timezone.now()
    push_minutes(slo, now - timedelta(minutes=60), 61, good=990, total=1000, now=now)


def _bypass(user, service, *, reason: str, hours: int, created_ago: timedelta) -> GateBypass:
    now = timezone.now()
    return gate_bypass_create(
        actor=Actor.of(user),
        service=service,
        kind="hotfix",
        reason=reason,
        expires_at=now + timedelta(hours=hours),
        at=now - created_ago,
    )


def _deploy_gate(service: str) -> int:
    with pytest.raises(SystemExit) as exited:
        call_command("deploy_gate", service)
    return int(exited.value.code)


def test_every_bypass_in_force_is_listed_revocable_and_revoking_says_what_the_gate_does(
    responder, admin_user, checkout, capsys
):
    _exhausted(checkout)
    old = _bypass(
        admin_user, checkout, reason="old payment fix", hours=100, created_ago=timedelta(days=2)
    )
    # enough expired history that the old one would fall off a "latest 20" list
    for number in range(25):
        GateBypass.objects.create(
            service=checkout,
            kind="security",
            reason=f"expired {number}",
            created_by=admin_user,
            created_at=timezone.now() - timedelta(hours=30 - number),
            expires_at=timezone.now() - timedelta(hours=1),
        )
    new = _bypass(responder, checkout, reason="new TLS fix", hours=2, created_ago=timedelta(0))
    client = Client()
    client.force_login(responder)
    page = client.get("/slos/services/checkout/").content.decode()
    for bypass in (old, new):
        assert f"/slos/services/checkout/bypasses/{bypass.pk}/revoke/" in page
    assert page.count("<strong>active</strong>") == 2

    response = client.post(f"/slos/services/checkout/bypasses/{new.pk}/revoke/", follow=True)
    html = response.content.decode()
    assert "Bypass revoked, but 1 other bypass still let deployments through" in html
    assert "old payment fix" in html and "The gate answers allow" in html
    assert "decides on the budget again" not in html
    assert gate_check(service=checkout).decision.decision == "allow"
    assert _deploy_gate("checkout") == 0
    assert "old payment fix" in capsys.readouterr().out

    response = client.post(f"/slos/services/checkout/bypasses/{old.pk}/revoke/", follow=True)
    html = response.content.decode()
    assert "Bypass revoked; the gate decides on the budget again: it answers block." in html
    assert gate_check(service=checkout).decision.decision == "block"
    assert _deploy_gate("checkout") == 1


def test_the_api_lists_bypasses_in_force_and_revoke_answers_with_the_gate(
    responder_api, viewer_api, responder, admin_user, checkout
):
    _exhausted(checkout)
    old = _bypass(admin_user, checkout, reason="old fix", hours=48, created_ago=timedelta(hours=3))
    new = _bypass(responder, checkout, reason="new fix", hours=2, created_ago=timedelta(0))
    listed = viewer_api.get("/api/v1/gate/bypass/?service=checkout&active=true")
    assert listed.status_code == 200
    assert [b["id"] for b in listed.json()["results"]] == [new.pk, old.pk]
    gate = viewer_api.get("/api/v1/gate/?service=checkout").json()
    assert [b["id"] for b in gate["bypasses"]] == [new.pk, old.pk]
    assert gate["decision"] == "allow"
    assert viewer_api.get("/api/v1/gate/bypass/?active=maybe").status_code == 400
    assert viewer_api.get("/api/v1/gate/bypass/?service=nope").status_code == 400

    revoked = responder_api.post(f"/api/v1/gate/bypass/{new.pk}/revoke/").json()
    assert revoked["gate"]["decision"] == "allow"
    assert revoked["message"].startswith("Bypass revoked, but 1 other bypass")
    assert viewer_api.get("/api/v1/gate/?service=checkout").json()["decision"] == "allow"
    active = viewer_api.get("/api/v1/gate/bypass/?service=checkout&active=true").json()
    assert [b["id"] for b in active["results"]] == [old.pk]

    revoked = responder_api.post(f"/api/v1/gate/bypass/{old.pk}/revoke/").json()
    assert revoked["gate"]["decision"] == "block" and revoked["gate"]["bypasses"] == []
    assert "decides on the budget again: it answers block" in revoked["message"]
    assert viewer_api.get("/api/v1/gate/?service=checkout").json()["decision"] == "block"
    everything = viewer_api.get("/api/v1/gate/bypass/?service=checkout").json()
    assert {b["id"] for b in everything["results"]} == {old.pk, new.pk}
