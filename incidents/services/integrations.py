"""Integrations: creation, token rotation, enabling, and webhook authentication."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from accounts import tokens
from accounts.roles import Role
from slos.models import Service

from ..actors import Actor
from ..choices import ResolvePolicy, Severity
from ..errors import IncidentError
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
    transaction.on_commit(lambda: cache.delete(key))


def integration_authenticate(*, token: str) -> AuthenticatedIntegration | None:
    """The enabled integration whose token this is, or None.

    Reads through a short-lived cache so a webhook storm does not query the database for
    every request; disabling or rotating clears the entry.
    """
    prefix = tokens.split_prefix(token or "")
    if prefix is None:
        return None
    key = _cache_key(prefix)
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
    if Integration.objects.filter(name=name).exists():
        raise IncidentError(f"An integration named {name!r} exists already.", field="name")
    mapping = severity_mapping if severity_mapping is not None else None
    if mapping is not None:
        bad = {k: v for k, v in mapping.items() if v not in Severity.values}
        if bad:
            raise IncidentError(
                f"Severity mapping values must be one of {', '.join(Severity.values)}.",
                field="severity_mapping",
            )
    if quiet_period is not None and quiet_period <= timedelta(0):
        raise IncidentError("The quiet period must be positive.", field="quiet_period")
    new = tokens.mint("am")
    fields: dict[str, Any] = {
        "name": name,
        "default_service": default_service,
        "service_label": service_label,
        "severity_label": severity_label,
        "default_severity": default_severity,
        "resolve_policy": resolve_policy,
        "quiet_period": quiet_period,
        "token_prefix": new.prefix,
        "token_digest": new.digest,
    }
    if mapping is not None:
        fields["severity_mapping"] = mapping
    integration = Integration.objects.create(**fields)
    return integration, new.plaintext


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
