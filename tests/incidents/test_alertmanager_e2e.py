"""End to end: a real Prometheus Alertmanager posts to a live Keel.

Alertmanager (Debian package `prometheus-alertmanager`, installed on CI) runs on loopback
with a webhook receiver pointing at pytest-django's live server. The live server handles
requests in its own thread with the test database in transactional mode, and the tests
run with KEEL_TASKS_EAGER=1, so each delivery is processed inside its request on commit;
the test thread polls the database through the ORM.
"""

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from core.actors import Actor
from incidents.choices import (
    RECORDED_KINDS,
    AlertStatus,
    DeliveryState,
    EntryKind,
    ResolvePolicy,
    Status,
)
from incidents.models import Alert, Delivery, Incident, TimelineEntry
from incidents.services import integration_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")
POLL_TIMEOUT = 30.0

needs_alertmanager = pytest.mark.skipif(
    ALERTMANAGER is None,
    reason="prometheus-alertmanager is not installed "
    "(apt-get install -y --no-install-recommends prometheus-alertmanager)",
)


# --- helpers ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _ts(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _http(method: str, url: str, body: Any = None, headers: dict | None = None) -> tuple:
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _receiver_config(name: str, url: str, token: str) -> str:
    return f"""
  - name: {name}
    webhook_configs:
      - url: {url}
        send_resolved: true
        max_alerts: 0
        http_config:
          authorization: {{type: Bearer, credentials: {token}}}
"""


def _config(receiver: str) -> str:
    return f"""
global:
  resolve_timeout: 5m
route:
  receiver: keel
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:{receiver}
"""


def _wait_for(
    condition: Callable[[], Any],
    what: str,
    am: "RunningAlertmanager | None" = None,
    timeout: float = POLL_TIMEOUT,
) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = condition()
        if last:
            return last
        time.sleep(0.2)
    log = f"\nAlertmanager's log (end):\n{am.log_tail()}" if am else ""
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; Keel has: {_state()}{log}")


def _state() -> str:
    """What Keel has stored, for failure messages."""
    return json.dumps(
        {
            "incidents": list(Incident.objects.values("number", "status", "integration_id")),
            "alerts": list(Alert.objects.values("fingerprint", "status", "incident_id")),
            "deliveries": list(Delivery.objects.values("id", "state", "error", "outcome")),
            "timeline": list(TimelineEntry.objects.values_list("incident_id", "kind")),
        },
        default=str,
    )


def _alert(instance: str, starts_at: datetime, ends_at: datetime | None = None) -> dict:
    alert = {
        "labels": {
            "alertname": "HighErrorRate",
            "service": "checkout",
            "severity": "critical",
            "instance": instance,
        },
        "annotations": {
            "summary": "5xx rate above threshold",
            "runbook_url": "https://runbooks.example/checkout-5xx",
        },
        "startsAt": _ts(starts_at),
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=rate",
    }
    if ends_at is not None:
        alert["endsAt"] = _ts(ends_at)
    return alert


def _counts() -> dict[str, int]:
    return {
        "incidents": Incident.objects.count(),
        "alerts": Alert.objects.count(),
        "timeline": TimelineEntry.objects.count(),
        "firing": Alert.objects.filter(status=AlertStatus.FIRING).count(),
    }


class RunningAlertmanager:
    def __init__(self, url: str, process: subprocess.Popen, log_path: Path) -> None:
        self.url = url
        self.process = process
        self.log_path = log_path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def push(self, alerts: list[dict]) -> None:
        status, body = _http("POST", f"{self.url}/api/v2/alerts", alerts)
        assert status == 200, (status, body)


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture
def keel_url(live_server, settings) -> Iterator[str]:
    """The webhook URL on 127.0.0.1 (not `localhost`, which may resolve to ::1 first).

    Deliveries are processed inside their request (eager tasks), as with KEEL_TASKS_EAGER=1.
    """
    from config.celery import app as celery_app

    settings.ALLOWED_HOSTS = [*django_settings.ALLOWED_HOSTS, "127.0.0.1"]
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield f"http://127.0.0.1:{live_server.thread.port}/hooks/alertmanager/"
    celery_app.conf.task_always_eager = eager


@pytest.fixture
def start_alertmanager(tmp_path: Path) -> Iterator[Callable[[str], RunningAlertmanager]]:
    """Start real Alertmanagers on loopback; every one is killed after the test."""
    if ALERTMANAGER is None:
        pytest.skip("prometheus-alertmanager is not installed")
    started: list[subprocess.Popen] = []

    def start(config: str) -> RunningAlertmanager:
        index = len(started)
        config_file = tmp_path / f"alertmanager-{index}.yml"
        config_file.write_text(config)
        storage = tmp_path / f"am-data-{index}"
        storage.mkdir()
        log_path = tmp_path / f"alertmanager-{index}.log"
        log = log_path.open("wb")
        port = _free_port()
        process = subprocess.Popen(
            [
                ALERTMANAGER,
                f"--config.file={config_file}",
                f"--storage.path={storage}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",
                "--log.level=debug",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()  # the child has its own copy
        started.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"Alertmanager exited with {process.returncode}:\n"
                    + log_path.read_text(errors="replace")[-3000:]
                )
            try:
                if _http("GET", f"{url}/-/ready")[0] == 200:
                    return RunningAlertmanager(url, process, log_path)
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail("Alertmanager did not become ready within 20 s")

    yield start
    for process in started:
        process.kill()
        process.wait(timeout=10)


# --- tests -----------------------------------------------------------------------------


@needs_alertmanager
def test_alertmanager_fires_and_resolves_one_incident(
    keel_url, start_alertmanager, integration_and_token
):
    integration, token = integration_and_token
    am = start_alertmanager(_config(_receiver_config("keel", keel_url, token)))
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    alerts = [_alert("web-1:9100", started), _alert("web-2:9100", started)]

    am.push(alerts)

    def grouped():
        incidents = list(Incident.objects.filter(integration=integration))
        if len(incidents) != 1:
            return None
        # What the alerts wrote (paging adds entries of its own, when its task has run).
        kinds = Counter(
            incidents[0].timeline.exclude(kind__in=RECORDED_KINDS).values_list("kind", flat=True)
        )
        rows = list(incidents[0].alerts.all())
        if len(rows) == 2 and kinds[EntryKind.ALERT_FIRED] == 2 and kinds[EntryKind.OPENED]:
            return incidents[0], rows, kinds
        return None

    incident, rows, kinds = _wait_for(grouped, "one incident with two firing alerts", am)
    assert kinds == {EntryKind.OPENED: 1, EntryKind.ALERT_FIRED: 2}
    assert incident.status == Status.INVESTIGATING
    assert incident.title == "5xx rate above threshold"
    assert incident.severity == "SEV2"  # severity=critical, default mapping
    assert incident.group_key == '{}:{alertname="HighErrorRate", service="checkout"}'
    assert incident.started_at == started
    assert [s.slug for s in incident.services.all()] == ["checkout"]
    assert {r.labels["instance"] for r in rows} == {"web-1:9100", "web-2:9100"}
    for row in rows:
        assert row.status == AlertStatus.FIRING
        assert row.ends_at is None  # Alertmanager's zero time means "no end"
        assert row.starts_at == started
        assert row.annotations["runbook_url"] == "https://runbooks.example/checkout-5xx"
        assert row.generator_url == "http://prometheus.example:9090/graph?g0.expr=rate"
        assert len(row.fingerprint) == 16
    assert len({r.fingerprint for r in rows}) == 2
    deliveries = list(Delivery.objects.filter(integration=integration))
    assert deliveries, "Alertmanager's notification was stored"
    for delivery in deliveries:
        assert delivery.state == DeliveryState.PROCESSED, delivery.error
        assert delivery.user_agent.startswith("Alertmanager/")
    firing_body = deliveries[0].body

    # Redelivery of the firing notification (Alertmanager retries and repeats): no change.
    before = _counts()
    status, _ = _http("POST", keel_url, firing_body.encode(), {"Authorization": f"Bearer {token}"})
    assert status == 200
    assert _counts() == before
    # The token in the path works the same.
    status, _ = _http("POST", f"{keel_url}{token}/", firing_body.encode())
    assert status == 200
    assert _counts() == before
    assert Alert.objects.filter(times_seen__gte=3).count() == 2

    # Resolve both: post them again with endsAt in the past.
    am.push(
        [
            _alert(a["labels"]["instance"], started, datetime.now(UTC) - timedelta(seconds=1))
            for a in alerts
        ]
    )

    def monitoring():
        incident.refresh_from_db()
        resolved = Alert.objects.filter(incident=incident, status=AlertStatus.RESOLVED).count()
        return incident.status == Status.MONITORING and resolved == 2

    _wait_for(monitoring, "the incident to move to monitoring with both alerts resolved", am)
    kinds = Counter(
        incident.timeline.exclude(kind__in=RECORDED_KINDS).values_list("kind", flat=True)
    )
    assert kinds == {
        EntryKind.OPENED: 1,
        EntryKind.ALERT_FIRED: 2,
        EntryKind.ALERT_RESOLVED: 2,
        EntryKind.STATUS: 1,
    }
    for row in Alert.objects.filter(incident=incident):
        assert row.ends_at is not None and row.ends_at > row.starts_at
    assert Incident.objects.count() == 1
    resolved_delivery = (
        Delivery.objects.filter(integration=integration, body__contains='"status":"resolved"')
        .order_by("-id")
        .first()
    )
    assert resolved_delivery is not None
    assert resolved_delivery.state == DeliveryState.PROCESSED

    # Redelivery of the resolved notification: nothing changes either.
    before = _counts()
    status, _ = _http(
        "POST", keel_url, resolved_delivery.body.encode(), {"Authorization": f"Bearer {token}"}
    )
    assert status == 200
    assert _counts() == before
    incident.refresh_from_db()
    assert incident.status == Status.MONITORING

    # A wrong token is refused and stores nothing.
    deliveries_before = Delivery.objects.count()
    status, _ = _http("POST", keel_url, firing_body.encode(), {"Authorization": "Bearer nope"})
    assert status == 401
    assert Delivery.objects.count() == deliveries_before


@needs_alertmanager
def test_resolve_policy_resolved_closes_the_incident(keel_url, start_alertmanager, checkout):
    integration, token = integration_create(
        actor=Actor.system(),
        name="am-resolves",
        default_service=checkout,
        resolve_policy=ResolvePolicy.RESOLVED,
    )
    am = start_alertmanager(_config(_receiver_config("keel", keel_url, token)))
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    am.push([_alert("db-1:9100", started)])
    incident = _wait_for(
        lambda: Incident.objects.filter(integration=integration, alerts__isnull=False).first(),
        "an incident from the firing alert",
        am,
    )
    assert incident.status == Status.INVESTIGATING

    am.push([_alert("db-1:9100", started, datetime.now(UTC) - timedelta(seconds=1))])

    def resolved():
        incident.refresh_from_db()
        return incident.status == Status.RESOLVED

    _wait_for(resolved, "the incident to be resolved by its integration's policy", am)
    # Resolving a SEV2 drafts its postmortem, last of the work that follows a resolve;
    # waiting for it also lets that work finish before the test database is emptied.
    _wait_for(
        lambda: incident.timeline.filter(kind=EntryKind.POSTMORTEM).exists(),
        "the postmortem draft of the resolved SEV2",
        am,
    )
    assert incident.resolved_at is not None
    assert incident.alerts.get().status == AlertStatus.RESOLVED
    # What the alerts wrote (paging and the postmortem draft add entries of their own).
    kinds = Counter(
        incident.timeline.exclude(kind__in=RECORDED_KINDS).values_list("kind", flat=True)
    )
    assert kinds == {
        EntryKind.OPENED: 1,
        EntryKind.ALERT_FIRED: 1,
        EntryKind.ALERT_RESOLVED: 1,
        EntryKind.RESOLVED: 1,
    }


@pytest.mark.skipif(AMTOOL is None, reason="amtool is not installed")
def test_documented_receiver_config_passes_amtool(tmp_path):
    """The receiver snippet Keel documents (seed_demo, README) is valid Alertmanager config."""
    config = tmp_path / "alertmanager.yml"
    config.write_text(
        _config(
            _receiver_config(
                "keel", "http://keel.example/hooks/alertmanager/", "am_0123abcd_secretsecret"
            )
        )
    )
    result = subprocess.run(
        [AMTOOL, "check-config", str(config)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stdout + result.stderr


@needs_alertmanager
def test_an_alert_a_relay_reposts_at_millisecond_precision_stays_one_alert_and_resolves(
    keel_url, start_alertmanager, integration_and_token
):
    """Alertmanager's webhook carries the start to the microsecond, its own API shows it to
    the millisecond, and a relay (or an Alertmanager-compatible sender) posts what the API
    shows. Keel keeps one alert per fingerprint while it fires, so Alertmanager's resolve
    ends it and the incident moves on."""
    integration, token = integration_and_token
    am = start_alertmanager(_config(_receiver_config("keel", keel_url, token)))
    started = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=123456)
    am.push([_alert("web-1:9100", started)])
    incident = _wait_for(
        lambda: Incident.objects.filter(integration=integration, alerts__isnull=False).first(),
        "an incident from the firing alert",
        am,
    )
    assert Alert.objects.get().starts_at == started

    status, raw = _http("GET", f"{am.url}/api/v2/alerts")
    assert status == 200
    [shown] = json.loads(raw)
    assert shown["startsAt"].endswith(".123Z"), shown["startsAt"]  # milliseconds
    webhook = json.loads(Delivery.objects.filter(integration=integration).first().body)
    relayed = {
        **webhook,
        "alerts": [
            {
                "status": "firing",
                "labels": shown["labels"],
                "annotations": shown["annotations"],
                "startsAt": shown["startsAt"],
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": shown["generatorURL"],
                "fingerprint": shown["fingerprint"],
            }
        ],
    }
    status, _ = _http("POST", keel_url, relayed, {"Authorization": f"Bearer {token}"})
    assert status == 200
    assert Alert.objects.filter(status=AlertStatus.FIRING).count() == 1  # before: two
    assert Alert.objects.get().starts_at == started.replace(microsecond=123000)  # earliest

    am.push([_alert("web-1:9100", started, datetime.now(UTC) - timedelta(seconds=1))])

    def monitoring():
        incident.refresh_from_db()
        return incident.status == Status.MONITORING

    _wait_for(monitoring, "Alertmanager's resolve to end the one alert", am)
    assert set(Alert.objects.values_list("status", flat=True)) == {AlertStatus.RESOLVED}
    assert incident.timeline.filter(kind=EntryKind.ALERT_FIRED).count() == 1
