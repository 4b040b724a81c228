"""The gate's four answers a pipeline must tell apart, set up for one service: allow, warn
(budget at risk), block (budget frozen) and cannot decide (Prometheus down)."""

from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from catalog.models import Service
from tests.factories import SLOFactory, push_minutes


def allow(service: Service, settings) -> None:
    now = timezone.now()
    slo = SLOFactory(service=service, name="availability")
    push_minutes(slo, now - timedelta(minutes=90), 91, good=1000, total=1000, now=now)


def warn(service: Service, settings) -> None:
    """55 bad of 61,000 events against a 0.1% objective: 9.8% of the budget left (at risk),
    with burn rates well under any threshold."""
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - timedelta(minutes=60)
    slo = SLOFactory(service=service, name="availability")
    push_minutes(slo, start, 61, good=1000, total=1000, now=now, worse=(start, 55, 999))


def block(service: Service, settings) -> None:
    now = timezone.now()
    slo = SLOFactory(service=service, name="availability")
    push_minutes(slo, now - timedelta(minutes=60), 61, good=990, total=1000, now=now)


def prometheus_down(service: Service, settings) -> None:
    settings.KEEL_PROMETHEUS_URL = "http://127.0.0.1:9"  # nothing listens on discard
    SLOFactory(
        service=service,
        name="availability",
        source="prometheus",
        bad_query='http_requests_total{code="500"}',
        total_query="http_requests_total",
    )


STATES: dict[str, Callable[[Service, object], None]] = {
    "allow": allow,
    "warn": warn,
    "block": block,
    "prometheus_down": prometheus_down,
}

# What the gate answers in each state: decision, decided, tier, deploy_gate's exit code.
EXPECTED = {
    "allow": ("allow", True, "healthy", 0),
    "warn": ("warn", True, "at_risk", 0),
    "block": ("block", True, "freeze", 1),
    "prometheus_down": ("block", False, "freeze", 2),
}
