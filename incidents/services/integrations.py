"""Integrations: creation, token rotation, enabling, and webhook authentication."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import transaction

from accounts import tokens
from catalog.models import Service
from core.actors import Actor
from core.errors import KeelError
from core.roles import Role

from ..choices import ResolvePolicy, Severity
from ..models import Integration


@dataclass(frozen=True)
class AuthenticatedIntegration:
    """What the webhook needs to know about the integration that sent a request."""

    id: int
    name: str


def _cache_key(prefix: str) -> str:
    return f"integration-token:{prefix}"


def _forget(integration: Integration) -> None:
    # The key is taken now: rotation replaces `token_prefix` before the commit.
    key = _cache_key(integration.token_prefix)
    transaction.on_commit(lambda: caches["integrations"].delete(key))


def integration_authenticate(*, token: str) -> AuthenticatedIntegration | None:
    """The enabled integration whose token this is, or None.

    Reads through a short-lived per-process cache so a webhook storm does not query the
    database for every request; disabling or rotating clears this process's entry, and
    other processes' entries expire within KEEL_INTEGRATION_CACHE_SECONDS.
    """
    prefix = tokens.split_prefix(token or "")
    if prefix is None:
        return None
    key = _cache_key(prefix)
    cache = caches["integrations"]
    row = cache.get(key)
    if row is None:
        found = (
            Integration.objects.filter(token_prefix=prefix)
            .values("id", "name", "token_digest", "enabled")
            .first()
        )
        row = found or {"id": None}
        cache.set(key, row, settings.KEEL_INTEGRATION_CACHE_SECONDS)
    if row["id"] is None or not tokens.matches(token, row["token_digest"]) or not row["enabled"]:
        return None
    return AuthenticatedIntegration(id=row["id"], name=row["name"])


def _validate_settings(fields: dict[str, Any], *, exclude_pk: int | None = None) -> None:
    """Check integration settings; raise KeelError naming the first bad field."""
    name = fields.get("name")
    if name is not None:
        if not str(name).strip():
            raise KeelError("A name is required.", field="name")
        others = Integration.objects.filter(name=name)
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        if others.exists():
            raise KeelError(f"An integration named {name!r} exists already.", field="name")
    mapping = fields.get("severity_mapping")
    if mapping is not None and any(v not in Severity.values for v in mapping.values()):
        raise KeelError(
            f"Severity mapping values must be one of {', '.join(Severity.values)}.",
            field="severity_mapping",
        )
    for label in ("service_label", "severity_label"):
        if label in fields and not str(fields[label]).strip():
            raise KeelError(f"{label} must name a label.", field=label)
    quiet_period = fields.get("quiet_period")
    if quiet_period is not None and quiet_period <= timedelta(0):
        raise KeelError("The quiet period must be positive.", field="quiet_period")


@transaction.atomic
def integration_create(
    *,
    actor: Actor,
    name: str,
    default_service: Service | None = None,
    service_label: str = "service",
    severity_label: str = "severity",
    severity_mapping: dict[str, str] | None = None,
    default_severity: str = Severity.SEV3,
    resolve_policy: str = ResolvePolicy.MONITORING,
    quiet_period: timedelta | None = None,
) -> tuple[Integration, str]:
    """Create an integration; returns it and its token, which is never shown again."""
    actor.require(Role.ADMIN)
    fields: dict[str, Any] = {
        "name": name,
        "default_service": default_service,
        "service_label": service_label,
        "severity_label": severity_label,
        "default_severity": default_severity,
        "resolve_policy": resolve_policy,
        "quiet_period": quiet_period,
    }
    if severity_mapping is not None:
        fields["severity_mapping"] = severity_mapping
    _validate_settings(fields)
    new = tokens.mint("am")
    integration = Integration.objects.create(
        **fields, token_prefix=new.prefix, token_digest=new.digest
    )
    return integration, new.plaintext


UPDATABLE_SETTINGS = (
    "name",
    "default_service",
    "service_label",
    "severity_label",
    "severity_mapping",
    "default_severity",
    "resolve_policy",
    "quiet_period",
)


@transaction.atomic
def integration_update(*, integration: Integration, actor: Actor, **changes: Any) -> Integration:
    """Change routing and policy settings; they apply to deliveries processed from now on."""
    actor.require(Role.ADMIN)
    unknown = set(changes) - set(UPDATABLE_SETTINGS)
    if unknown:
        raise KeelError(f"{', '.join(sorted(unknown))} cannot be changed here.")
    _validate_settings(changes, exclude_pk=integration.pk)
    for field, value in changes.items():
        setattr(integration, field, value)
    if changes:
        integration.save(update_fields=list(changes))
        if "name" in changes:
            _forget(integration)
    return integration


@transaction.atomic
def integration_rotate_token(*, integration: Integration, actor: Actor) -> tuple[Integration, str]:
    """Replace the token; the old one stops working at once."""
    actor.require(Role.ADMIN)
    _forget(integration)
    new = tokens.mint("am")
    integration.token_prefix = new.prefix
    integration.token_digest = new.digest
    integration.save(update_fields=["token_prefix", "token_digest"])
    return integration, new.plaintext


@transaction.atomic
def integration_set_enabled(
    *, integration: Integration, enabled: bool, actor: Actor
) -> Integration:
    actor.require(Role.ADMIN)
    if integration.enabled != enabled:
        integration.enabled = enabled
        integration.save(update_fields=["enabled"])
        _forget(integration)
    return integration
