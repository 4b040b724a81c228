"""The HTML side fuzzed as schemathesis fuzzes the API: signed in as each role, every page
of the UI (found in the URL conf), every list filter and every form on those pages gets
hostile values from hypothesis. Every answer is a page or a form error, never a 5xx, and
a refused submission stores nothing.

The number of examples is `KEEL_HTML_FUZZ_EXAMPLES` (default 2: about 730 requests in
all, about a minute). The first example of each role GETs every page (about 50) and
collects its forms and linked query parameters; every example then sends each of them
(about 100 for an admin) once with new values.
"""

import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from core.actors import Actor
from incidents.models import Delivery
from incidents.services import incident_declare
from oncall.models import Handoff
from oncall.services import (
    StepSpec,
    TargetSpec,
    contact_method_create,
    feed_create,
    layer_create,
    override_create,
    policy_create,
    schedule_create,
    team_create,
)
from postmortems import services as pm
from postmortems.sections import SECTION_KEYS
from slos.services import correction_create, gate_bypass_create
from tests import html_fuzz
from tests.factories import SLOFactory, realistic_incident

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("KEEL_HTML_FUZZ_EXAMPLES", "2"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # Each assertion names the request and its values; shrinking would replay the walk.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
SKIPPED_ACTIONS = {"/logout/"}
"""Signing out would end the walk; the sign-out form is tested on its own."""
REQUESTS = {"count": 0}


@pytest.fixture
def world(admin_user, responder, viewer, integration, checkout, settings):
    """One of everything a page of the UI can be about, for the URL parameters."""
    settings.ALLOWED_HOSTS = ["testserver"]
    story = realistic_incident(integration, responder)
    resolved = story.incident
    admin, respond = Actor.of(admin_user), Actor.of(responder)
    open_incident = incident_declare(
        actor=respond, title="Checkout errors", severity="SEV2", services=[checkout]
    )
    pm.postmortem_draft(incident=resolved, actor=respond)
    item = pm.action_item_create(incident=resolved, actor=respond, title="Add a retry budget")
    team = team_create(
        user=admin_user, name="Payments", slug="payments", members=[admin_user, responder]
    )
    checkout.owner = team
    checkout.save(update_fields=["owner"])
    schedule = schedule_create(user=admin_user, team=team, name="Primary")
    start = timezone.now().replace(microsecond=0) - timedelta(days=10)
    layer = layer_create(
        user=admin_user,
        schedule=schedule,
        name="Weekly",
        participants=[admin_user, responder],
        handoff_at=start,
    )
    override = override_create(
        user=admin_user,
        schedule=schedule,
        person=responder,
        starts_at=timezone.now() + timedelta(days=1),
        ends_at=timezone.now() + timedelta(days=2),
    )
    policy = policy_create(
        user=admin_user,
        team=team,
        name="Default",
        steps=[StepSpec(5, [TargetSpec(kind="schedule", schedule=schedule)])],
    )
    handoff = Handoff.objects.create(
        schedule=schedule,
        outgoing=admin_user,
        incoming=responder,
        outgoing_shift_start=start,
        shift_start=start + timedelta(weeks=1),
    )
    feed, feed_token = feed_create(user=admin_user, schedule=schedule)
    method = contact_method_create(
        user=responder, owner=responder, kind="email", address="rita@example.com"
    )
    slo = SLOFactory(service=checkout, name="availability")
    bypass = gate_bypass_create(
        actor=respond,
        service=checkout,
        kind="hotfix",
        reason="Fix for INC",
        expires_at=timezone.now() + timedelta(days=1),
    )
    correction_create(
        actor=admin,
        service=checkout,
        start=datetime(2026, 11, 1, tzinfo=UTC),
        end=datetime(2026, 11, 1, 1, tzinfo=UTC),
        category="maintenance",
        reason="Planned",
    )
    return {
        "targets": {},
        "values": {
            "number": str(open_incident.number),
            "entry_id": str(open_incident.timeline.first().pk),
            "key": SECTION_KEYS[0],
            "version": "1",
            "item_id": str(item.pk),
            "delivery_id": str(Delivery.objects.get().pk),
            "layer_pk": str(layer.pk),
            "override_pk": str(override.pk),
            "token": feed_token,
        },
        # A parameter named alike in several routes: the first route word that matches.
        "by_route": {
            "integrations/": {"pk": str(integration.pk)},
            "incidents/<int:number>/postmortem/": {"number": str(resolved.number)},
            "slos/services/": {"slug": checkout.slug, "pk": str(bypass.pk)},
            "slos/": {"pk": str(slo.pk)},
            "oncall/schedules/": {"pk": str(schedule.pk)},
            "oncall/teams/": {"slug": team.slug, "pk": str(policy.pk)},
            "oncall/handoffs/": {"pk": str(handoff.pk)},
            "oncall/feeds/": {"pk": str(feed.pk)},
            "oncall/me/contact-methods/": {"pk": str(method.pk)},
        },
    }


def _values_for(route: str, world: dict[str, Any]) -> dict[str, str]:
    values = dict(world["values"])
    for prefix, specific in sorted(world["by_route"].items(), key=lambda kv: -len(kv[0])):
        if route.startswith(prefix):
            values = {**values, **specific}
            break
    missing = [name for name in html_fuzz.route_parameters(route) if name not in values]
    assert not missing, (
        f"The UI route {route!r} has parameters the HTML fuzzer cannot fill ({missing}): "
        "add an object of that kind to the `world` fixture in tests/test_html_fuzz.py."
    )
    return values


def _client(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def _send(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    REQUESTS["count"] += 1
    if method == "post":
        return client.post(url, data)
    return client.get(url, data)


def _is_refusal(response: Any) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code >= 300:
        return False
    body = response.content.decode(errors="replace")
    return 'role="alert"' in body or 'class="error' in body


def _is_page(response: Any) -> bool:
    """An error answer a person can read: a page in the layout (or the iCal feed's and
    acknowledge links' plain text, for calendar apps and mail clients)."""
    kind = response.get("Content-Type", "")
    body = response.content.decode(errors="replace")
    return ('<nav aria-label="Main">' in body) or (kind.startswith("text/plain") and bool(body))


def _check(response: Any, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code}"


def _submit(client: Client, method: str, url: str, data: dict[str, Any], what: str) -> list[str]:
    """What is wrong with the answer to one request (nothing, mostly)."""
    before = html_fuzz.row_counts() if method == "post" else None
    response = _send(client, method, url, data)
    if response.status_code >= 500:
        return [f"{what}: answered {response.status_code}"]
    if response.status_code >= 400 and not _is_page(response):
        return [f"{what}: answered {response.status_code} with neither a page nor JSON"]
    if before is not None and _is_refusal(response):
        stored = html_fuzz.changed(before, html_fuzz.row_counts())
        if stored:
            return [f"{what}: refused ({response.status_code}) but stored {stored}"]
    return []


def _discover(client: Client, world: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """GET every page of the UI; what it links and submits: (method, path, fields or
    query parameter names), each (method, path) once."""
    targets: dict[tuple[str, str], Any] = {}
    for route in html_fuzz.ui_routes():
        url = html_fuzz.fill(route, _values_for(route, world))
        response = _send(client, "get", url, {})
        _check(response, f"GET {url}")
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        page = html_fuzz.parse_page(url, response.content.decode())
        page.query_links.setdefault(url, set())
        for path, names in page.query_links.items():
            targets.setdefault(("query", path), set()).update(names)
        for form in page.forms:
            action = form.action.split("?")[0]
            if action not in SKIPPED_ACTIONS:
                targets.setdefault((form.method, action), form.fields)
    return [(method, path, spec) for (method, path), spec in sorted(targets.items())]


def _fuzz(client: Client, targets: list[tuple[str, str, Any]], data: st.DataObject) -> None:
    """Every target once; the problems are told together at the end, so that each example
    draws the same values however early something went wrong."""
    problems: list[str] = []
    for method, path, spec in targets:
        if method == "query":
            values = data.draw(html_fuzz.query_values(spec), label=f"GET {path}")
            method = "get"
        else:
            values = data.draw(html_fuzz.submission(spec), label=f"{method} {path}")
        problems += _submit(client, method, path, values, f"{method} {path} {values!r:.300}")
    assert not problems, "\n".join(problems)


def _walk(key: str, client: Client, world: dict[str, Any], data: st.DataObject) -> None:
    """The pages are walked in the first example; every example fuzzes what they hold."""
    if key not in world["targets"]:
        world["targets"][key] = _discover(client, world)
    _fuzz(client, world["targets"][key], data)


@pytest.mark.parametrize("role", ["viewer", "responder", "admin_user"])
@FUZZ
@given(data=st.data())
def test_no_page_filter_or_form_answers_a_server_error(role, world, request, data):
    _walk(role, _client(request.getfixturevalue(role)), world, data)


@FUZZ
@given(data=st.data())
def test_signed_out_every_page_answers_without_a_server_error(world, data):
    _walk("anonymous", _client(None), world, data)


def test_the_fuzzer_reaches_every_page_of_the_ui(world, admin_user):
    """Every route is filled and answers (a new page is walked without anyone adding it)."""
    client = _client(admin_user)
    answered = {}
    for route in html_fuzz.ui_routes():
        url = html_fuzz.fill(route, _values_for(route, world))
        answered[route] = client.get(url).status_code
    assert len(answered) > 40
    assert answered["incidents/<int:number>/"] == 200
    assert answered["oncall/schedules/<int:pk>/"] == 200
    assert answered["incidents/<int:number>/postmortem/"] == 200
    assert answered["slos/<int:pk>/"] == 200
    assert all(status < 500 for status in answered.values()), answered


@pytest.fixture(autouse=True, scope="module")
def _report_requests(request):
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None and REQUESTS["count"]:
        reporter.write_sep("-", f"HTML fuzzer: {REQUESTS['count']} requests")
