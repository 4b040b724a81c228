"""The deployment gate: may this service deploy now? And recorded bypasses."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.models import Service
from core.actors import Actor
from core.roles import Role
from slos.models import GateBypass

from .. import budget_policy
from ..choices import BypassKind
from ..errors import SloError
from .figures import SloFigures, slo_figures

MAX_BYPASS = timedelta(days=7)


@dataclass
class GateReport:
    """The gate's answer for a service at `at`: `bypasses` are all the bypasses in force
    (newest first), `bypass` the newest of them."""

    service: Service
    decision: budget_policy.GateDecision
    figures: list[SloFigures] = field(default_factory=list)
    bypasses: list[GateBypass] = field(default_factory=list)
    at: datetime | None = None

    @property
    def bypass(self) -> GateBypass | None:
        return self.bypasses[0] if self.bypasses else None


def active_bypasses(service: Service, at: datetime) -> list[GateBypass]:
    """Every bypass in force at `at`: recorded, not revoked, not expired (newest first)."""
    return list(
        GateBypass.objects.filter(
            service=service, created_at__lte=at, expires_at__gt=at, revoked_at__isnull=True
        )
        .select_related("created_by")
        .order_by("-created_at", "-pk")
    )


def bypass_text(bypass: GateBypass) -> str:
    return (
        f"{bypass.kind} by {bypass.created_by.get_username()} until "
        f"{bypass.expires_at:%Y-%m-%d %H:%M} UTC: {bypass.reason}"
    )


def gate_check(*, service: Service, at: datetime | None = None) -> GateReport:
    """Evaluate every SLO of the service now and decide allow / warn / block (fail closed)."""
    at = at or timezone.now()
    figures = [slo_figures(slo, at=at) for slo in service.slos.select_related("service")]
    policy = budget_policy.Policy.from_config(
        {"max_data_age_s": settings.KEEL_GATE_MAX_DATA_AGE_SECONDS, **(service.budget_policy or {})}
    )
    bypasses = active_bypasses(service, at)
    text = "; ".join(bypass_text(b) for b in bypasses)
    decision = budget_policy.gate_decision(
        [f.gate_input() for f in figures],
        policy=policy,
        warn_only=service.gate_warn_only,
        bypass=text,
    )
    return GateReport(service=service, decision=decision, figures=figures, bypasses=bypasses, at=at)


def gate_revoked_text(report: GateReport) -> str:
    """What revoking a bypass changed, said from the gate's answer just after it."""
    others = report.bypasses
    if others:
        count = f"{len(others)} other bypass{'es' if len(others) != 1 else ''}"
        return (
            f"Bypass revoked, but {count} still let deployments through "
            f"({'; '.join(bypass_text(b) for b in others)}). The gate answers "
            f"{report.decision.decision}; revoke {'them' if len(others) != 1 else 'it'} too "
            "for the gate to decide on the budget."
        )
    return (
        "Bypass revoked; the gate decides on the budget again: it answers "
        f"{report.decision.decision}."
    )


@transaction.atomic
def gate_bypass_create(
    *,
    actor: Actor,
    service: Service,
    kind: str,
    reason: str,
    expires_at: datetime,
    at: datetime | None = None,
) -> GateBypass:
    """Record the decision to let a hotfix or security fix through the gate until `expires_at`."""
    actor.require(Role.RESPONDER)
    now = at or timezone.now()
    if actor.user is None:
        raise SloError("A bypass is a person's decision; sign in to record it.")
    if kind not in BypassKind.values:
        raise SloError(f"A bypass is for a {' or '.join(BypassKind.values)}.", field="kind")
    if not reason.strip():
        raise SloError("Say why the gate is bypassed.", field="reason")
    if timezone.is_naive(expires_at):
        raise SloError("Give the expiry with a time zone.", field="expires_at")
    if expires_at <= now:
        raise SloError("The expiry must be in the future.", field="expires_at")
    if expires_at > now + MAX_BYPASS:
        raise SloError("A bypass lasts at most 7 days.", field="expires_at")
    return GateBypass.objects.create(
        service=service,
        kind=kind,
        reason=reason.strip(),
        created_by=actor.user,
        created_at=now,
        expires_at=expires_at,
    )


@transaction.atomic
def gate_bypass_revoke(
    *, actor: Actor, bypass: GateBypass, at: datetime | None = None
) -> GateBypass:
    """End a bypass before its expiry: the gate decides on the budget again from `at`. The
    bypass stays on the service's history, marked with who revoked it and when."""
    actor.require(Role.RESPONDER)
    now = at or timezone.now()
    if actor.user is None:
        raise SloError("Revoking a bypass is a person's decision; sign in to record it.")
    bypass = GateBypass.objects.select_for_update().select_related("service").get(pk=bypass.pk)
    if bypass.revoked_at is not None:
        raise SloError("This bypass was already revoked.")
    if bypass.expires_at <= now:
        raise SloError("This bypass has already expired.")
    bypass.revoked_at = max(now, bypass.created_at)
    bypass.revoked_by = actor.user
    bypass.save(update_fields=["revoked_at", "revoked_by"])
    return bypass
