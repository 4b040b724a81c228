"""Alerts, integrations and metrics pages."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.actors import Actor
from incidents.choices import DeliveryState
from incidents.models import Delivery, Incident, Integration
from incidents.services import (
    delivery_process,
    delivery_receive,
    incident_acknowledge,
    incident_declare,
    incident_resolve,
    integration_create,
)
from tests.incidents import payloads

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def as_viewer(client, viewer):
    client.force_login(viewer)
    return client


def _deliver(integration, body):
    delivery = delivery_receive(integration_id=integration.pk, body=json.dumps(body).encode())
    return delivery_process(delivery_id=delivery.pk)


# --- alerts --------------------------------------------------------------------------


def test_alerts_page_lists_and_filters_alerts(as_viewer, integration):
    _deliver(
        integration,
        payloads.notification(
            [
                payloads.alert(fingerprint="aaaa", alertname="HighErrorRate"),
                payloads.alert(fingerprint="bbbb", alertname="DiskFull", service="storage"),
            ]
        ),
    )
    response = as_viewer.get("/alerts/")
    assert response.status_code == 200
    names = {a.name for a in response.context["page"].object_list}
    assert names == {"HighErrorRate", "DiskFull"}
    only = as_viewer.get("/alerts/?label=service%3Dstorage")
    assert [a.name for a in only.context["page"].object_list] == ["DiskFull"]
    assert as_viewer.get("/alerts/?status=resolved").context["page"].total == 0


def test_alerts_page_rejects_a_malformed_label_filter(as_viewer):
    response = as_viewer.get("/alerts/?label=no-equals-sign")
    assert response.status_code == 400
    assert b"Write a label matcher as name=value" in response.content


# --- integrations --------------------------------------------------------------------


def test_integrations_are_for_admins_only(as_viewer, client, responder, integration):
    assert as_viewer.get("/integrations/").status_code == 403
    assert as_viewer.post("/integrations/", {"name": "x"}).status_code == 403
    client.force_login(responder)
    assert client.get(f"/integrations/{integration.pk}/").status_code == 403
    assert client.post(f"/integrations/{integration.pk}/rotate/").status_code == 403
    assert b"Integrations" not in client.get("/").content.split(b"</nav>")[0]


def test_create_shows_the_token_once_with_a_receiver_snippet(as_admin, checkout):
    response = as_admin.post(
        "/integrations/",
        {
            "name": "prod-am",
            "default_service": checkout.pk,
            "service_label": "service",
            "severity_label": "severity",
            "default_severity": "SEV3",
            "resolve_policy": "monitoring",
            "quiet_period_minutes": "30",
        },
    )
    integration = Integration.objects.get(name="prod-am")
    assert response.status_code == 302
    assert response["Location"] == f"/integrations/{integration.pk}/"
    assert integration.quiet_period == timedelta(minutes=30)
    page = as_admin.get(response["Location"])
    token = page.context["token"]
    assert token.startswith(f"keel_am_{integration.token_prefix}_")
    text = page.content.decode()
    assert token in text and "credentials: " + token in text
    assert "/hooks/alertmanager/" in text and "Copy token" in text
    # The token works with the webhook, and it is not shown again.
    hook = as_admin.post(
        "/hooks/alertmanager/",
        data=json.dumps(payloads.notification([payloads.alert()])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert hook.status_code == 200
    assert token not in as_admin.get(response["Location"]).content.decode()


def test_create_with_a_taken_name_shows_the_error_next_to_the_name(as_admin, integration):
    response = as_admin.post(
        "/integrations/",
        {
            "name": integration.name,
            "service_label": "service",
            "severity_label": "severity",
            "default_severity": "SEV3",
            "resolve_policy": "monitoring",
        },
    )
    assert response.status_code == 400
    assert "exists already" in response.context["form"].errors["name"][0]
    assert Integration.objects.count() == 1


def test_disable_and_rotate(as_admin, integration_and_token):
    integration, old_token = integration_and_token
    as_admin.post(f"/integrations/{integration.pk}/enabled/", {"enabled": "0"})
    integration.refresh_from_db()
    assert not integration.enabled
    as_admin.post(f"/integrations/{integration.pk}/enabled/", {"enabled": "1"})
    response = as_admin.post(f"/integrations/{integration.pk}/rotate/")
    page = as_admin.get(response["Location"])
    new_token = page.context["token"]
    assert new_token and new_token != old_token
    hook = as_admin.post(
        "/hooks/alertmanager/",
        data=json.dumps(payloads.notification([payloads.alert()])),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {old_token}",
    )
    assert hook.status_code == 401


def test_deliveries_show_outcomes_and_failed_ones_can_be_replayed(
    as_admin, integration, django_capture_on_commit_callbacks
):
    ok = _deliver(integration, payloads.notification([payloads.alert()]))
    failed = Delivery.objects.create(
        integration=integration,
        received_at=timezone.now(),
        body=json.dumps(payloads.notification([payloads.alert(fingerprint="cccc")])),
        body_bytes=10,
        state=DeliveryState.FAILED,
        attempts=5,
        error="OperationalError: the database went away",
    )
    page = as_admin.get(f"/integrations/{integration.pk}/").content.decode()
    assert "the database went away" in page and "Processed" in page
    assert page.count(">Replay<") == 2  # in the failed list, and in the recent deliveries
    with django_capture_on_commit_callbacks(execute=True):
        response = as_admin.post(f"/integrations/{integration.pk}/deliveries/{failed.pk}/replay/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.state == DeliveryState.PROCESSED  # tasks run eagerly in tests
    again = as_admin.post(f"/integrations/{integration.pk}/deliveries/{ok.pk}/replay/")
    assert "nothing to replay" in as_admin.get(again["Location"]).content.decode()


# --- metrics -------------------------------------------------------------------------


def test_metrics_page_draws_svg_charts_with_the_numbers_in_tables(as_viewer, responder, checkout):
    now = timezone.now()
    for minutes in (10, 30):
        incident = incident_declare(
            actor=Actor.of(responder),
            title=f"took {minutes}m",
            severity="SEV2",
            services=[checkout],
            started_at=now - timedelta(minutes=minutes + 5),
            at=now - timedelta(minutes=minutes),
        )
        incident_acknowledge(
            incident=incident, actor=Actor.of(responder), at=now - timedelta(minutes=minutes - 1)
        )
        incident_resolve(incident=incident, actor=Actor.of(responder), at=now)
    response = as_viewer.get("/metrics/?weeks=4")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.count("<svg") == 3
    assert "MTTD" in text and "MTTA" in text and "MTTR" in text
    # MTTR is start → resolve: 15 and 35 minutes; p50 25m
    mttr = response.context["metrics"][2][1]["rows"][-1]["cells"][0]
    assert mttr == {"count": 2, "p50": "25m", "p90": "33m"}
    by_service = as_viewer.get("/metrics/?weeks=4&by=service")
    assert by_service.context["groups"] == ["checkout"]
    assert as_viewer.get("/metrics/?weeks=99").status_code == 400
    assert Incident.objects.count() == 2


def test_admins_filter_alerts_by_integration(as_admin, integration, admin_user):
    _deliver(integration, payloads.notification([payloads.alert(fingerprint="dddd")]))
    other, _ = integration_create(actor=Actor.of(admin_user), name="staging-am")
    response = as_admin.get(f"/alerts/?integration={integration.pk}")
    assert response.context["page"].total == 1
    assert f'<option value="{other.pk}">staging-am</option>' in response.content.decode()
    assert as_admin.get(f"/alerts/?integration={other.pk}").context["page"].total == 0


def test_alert_links_from_outside_are_shown_only_when_http(as_viewer, integration):
    _deliver(
        integration,
        payloads.notification(
            [
                payloads.alert(
                    fingerprint="eeee",
                    generator_url="javascript:alert(1)",
                    annotations={"runbook_url": "javascript:alert(2)"},
                ),
                payloads.alert(
                    fingerprint="ffff",
                    starts_at="2026-11-21T16:26:00Z",
                    annotations={"runbook_url": "https://runbooks.example/db"},
                ),
            ]
        ),
    )
    incident = Incident.objects.get()
    page = as_viewer.get(f"/incidents/{incident.number}/").content.decode()
    assert 'href="javascript' not in page
    assert "Runbook link is not http(s)" in page
    assert 'href="https://runbooks.example/db"' in page
    alerts_page = as_viewer.get("/alerts/").content.decode()
    assert 'href="javascript' not in alerts_page
