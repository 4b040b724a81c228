"""SLO pages: list, detail with SVG charts and ledger, service page, partials, report."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.actors import Actor
from incidents.services import incident_declare
from slos.models import WeeklyReport
from slos.report import weekly_report_send, weekly_report_send_if_due
from slos.services import slo_evaluate
from tests.factories import SLOFactory

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def test_list_shows_budget_tier_and_burn(client, viewer, evaluated):
    page = _login(client, viewer).get("/slos/")
    assert page.status_code == 200
    html = page.content.decode()
    # 50 bad of 180,000 events (the minute now begins is not counted yet): 72.2% left
    assert "72.2%" in html
    assert "Healthy" in html
    assert 'class="gauge"' in html
    # One evaluation is one point of history: no trend line yet, and it says when.
    assert 'title="A trend shows after two hours">—' in html


def test_list_page_query_count_does_not_grow_with_slos(client, viewer, evaluated, checkout):
    _login(client, viewer).get("/slos/")  # session and role lookups warm up
    with CaptureQueriesContext(connection) as one:
        client.get("/slos/")
    for i in range(5):
        slo = SLOFactory(service=checkout, name=f"extra-{i}")
        slo_evaluate(slo=slo)
    with CaptureQueriesContext(connection) as six:
        client.get("/slos/")
    assert len(six) == len(one)


def test_detail_has_svg_burn_down_ledger_and_alerts(client, viewer, evaluated):
    html = _login(client, viewer).get(f"/slos/{evaluated.pk}/").content.decode()
    assert html.count("<svg") >= 3
    assert "Budget remaining over the window" in html
    assert "outside any incident" in html
    assert "page-fast" in html and "14.4x" in html


def test_service_page_shows_gate_and_sla(client, viewer, evaluated, checkout):
    checkout.sla_objective = Decimal("99.5")
    checkout.save()
    html = _login(client, viewer).get("/slos/services/checkout/").content.decode()
    assert "Deployment gate" in html
    assert "gate-allow" in html
    # 99.9724% attained this month against an SLA of 99.5%
    assert "99.972%" in html and "met" in html


def test_partials_render_at_risk_and_incident_impact(
    rf, viewer, responder, checkout, evaluated, django_capture_on_commit_callbacks
):
    from django.template.loader import render_to_string

    status = evaluated.status
    status.tier = "at_risk"
    status.save()
    request = rf.get("/")
    request.user = viewer
    html = render_to_string("slos/_dashboard_at_risk.html", {"user": viewer}, request=request)
    assert "checkout/availability" in html and "At risk" in html
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=Actor.of(responder),
            title="x",
            severity="SEV3",
            services=[checkout],
            started_at=timezone.now() - timedelta(hours=3),
        )
    html = render_to_string(
        "slos/_incident_impact.html", {"user": viewer, "incident": incident}, request=request
    )
    assert "checkout/availability" in html and "live" in html


def test_weekly_report_by_email_once_and_on_its_page(settings, client, viewer, evaluated):
    settings.KEEL_SLO_REPORT_EMAILS = ["sre@example.com"]
    now = timezone.now()
    record = weekly_report_send(at=now)
    assert record is not None
    assert weekly_report_send(at=now) is None  # once a week
    assert WeeklyReport.objects.count() == 1
    assert len(mail.outbox) == 1
    assert "availability (99.9%): 72.2% of budget left" in mail.outbox[0].body
    page = _login(client, viewer).get("/slos/report/").content.decode()
    assert "72.2%" in page
    assert weekly_report_send_if_due(now) is False
