"""Creating, changing and removing SLOs and corrections (admins configure)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import Service
from core.actors import Actor
from core.roles import Role
from slos.models import SLO, Correction

from .. import budget_policy, promql, rules
from ..choices import BudgetingMethod, CorrectionCategory, SliSource
from ..errors import SloError

SLO_FIELDS = (
    "name",
    "description",
    "objective",
    "window_kind",
    "window_days",
    "time_zone",
    "budgeting_method",
    "slice_seconds",
    "slice_target",
    "source",
    "bad_query",
    "good_query",
    "total_query",
    "alert_windows",
    "alerting",
    "policy",
    "labels",
)


def _check(slo: SLO) -> list[str]:
    """The rules a row must follow, as errors on the field to fix (the database repeats the
    structural ones as constraints). Returns the query fields rewritten to the window."""
    try:
        ZoneInfo(slo.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise SloError(f"Unknown time zone {slo.time_zone!r}.", field="time_zone") from error
    if slo.source == SliSource.PROMETHEUS:
        if not slo.total_query.strip():
            raise SloError("A Prometheus SLI needs a total query.", field="total_query")
        if not (slo.bad_query.strip() or slo.good_query.strip()):
            raise SloError("A Prometheus SLI needs a bad or a good query.", field="bad_query")
    if slo.budgeting_method == BudgetingMethod.TIMESLICES:
        if slo.slice_target is None:
            raise SloError("Timeslices need a slice target between 0 and 1.", field="slice_target")
        if slo.slice_seconds % 60:
            raise SloError("A slice is a whole number of minutes.", field="slice_seconds")
    try:
        slo.windows()
    except (KeyError, ValueError, TypeError) as error:
        raise SloError(f"Bad alert windows: {error}", field="alert_windows") from error
    try:
        budget_policy.Policy.from_config(slo.policy)
    except (ValueError, TypeError, ZeroDivisionError) as error:
        raise SloError(f"Bad policy: {error}", field="policy") from error
    try:
        slo.full_clean(exclude=["service"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise SloError(f"{field}: {messages[0]}", field=field) from error
    if not 0 < slo.objective < 100:
        raise SloError("The objective is a percent strictly between 0 and 100.", field="objective")
    problem = rules.alerting_problem(slo.alerting)
    if problem:
        raise SloError(f"Alerting: {problem}.", field="alerting")
    if slo.source == SliSource.PROMETHEUS:
        return _check_queries(slo)
    return []


def _check_queries(slo: SLO) -> list[str]:
    """Each query parsed as Keel runs it, and the rules Keel would export for the SLO: an SLO
    that Keel cannot evaluate, or whose rules Prometheus would refuse, is not saved. A counter
    rate with a fixed range is rewritten to the window (exact)."""
    rewritten = []
    for name in ("bad_query", "good_query", "total_query"):
        text = getattr(slo, name)
        if not text.strip():
            continue
        try:
            checked = promql.check_events_query(text).query
        except promql.QueryError as error:
            label = name.replace("_", " ").capitalize()
            raise SloError(f"{label}: {error}.", field=name) from error
        if checked != text:
            setattr(slo, name, checked)
            rewritten.append(name)
    try:
        windows = slo.windows()
    except (KeyError, ValueError, TypeError):
        return rewritten  # reported on alert_windows
    try:
        rules.check_rules(
            rules.RuleSlo(
                service=slo.service.slug,
                name=slo.name,
                objective=slo.objective,
                window_days=slo.window_days,
                bad_query=slo.bad_query,
                good_query=slo.good_query,
                total_query=slo.total_query,
                windows=windows,
                alerting=slo.alerting if isinstance(slo.alerting, dict) else {},
            )
        )
    except promql.QueryError as error:
        raise SloError(f"{error}.", field="total_query") from error
    return rewritten


def _unique(slo: SLO) -> None:
    clash = SLO.objects.filter(service_id=slo.service_id, name=slo.name).exclude(pk=slo.pk)
    if clash.exists():
        raise SloError(f"{slo.service.slug} already has an SLO named {slo.name!r}.", field="name")


@transaction.atomic
def slo_create(*, actor: Actor, service: Service, **fields: Any) -> SLO:
    """Add an SLO to a service."""
    actor.require(Role.ADMIN)
    slo = SLO(service=service, **{k: v for k, v in fields.items() if k in SLO_FIELDS})
    _check(slo)
    _unique(slo)
    slo.save()
    return slo


@transaction.atomic
def slo_update(*, actor: Actor, slo: SLO, **fields: Any) -> SLO:
    """Change an SLO's definition; its next evaluation uses the new one."""
    actor.require(Role.ADMIN)
    slo = SLO.objects.select_for_update().select_related("service").get(pk=slo.pk)
    changed = []
    for name, value in fields.items():
        if name in SLO_FIELDS and getattr(slo, name) != value:
            setattr(slo, name, value)
            changed.append(name)
    if "service" in fields and fields["service"].pk != slo.service_id:
        slo.service = fields["service"]
        changed.append("service")
    if not changed:
        return slo
    rewritten = _check(slo)
    _unique(slo)
    slo.save(update_fields=sorted({*changed, *rewritten, "updated_at"}))
    return slo


@transaction.atomic
def slo_upsert(*, actor: Actor, service: Service, name: str, **fields: Any) -> tuple[SLO, bool]:
    """Create or update the SLO of `service` named `name` (SLOs as code)."""
    existing = SLO.objects.filter(service=service, name=name).first()
    if existing is None:
        return slo_create(actor=actor, service=service, name=name, **fields), True
    return slo_update(actor=actor, slo=existing, **fields), False


@transaction.atomic
def slo_delete(*, actor: Actor, slo: SLO) -> None:
    actor.require(Role.ADMIN)
    slo.delete()


@transaction.atomic
def correction_create(
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    category: str,
    reason: str,
    slo: SLO | None = None,
    service: Service | None = None,
) -> Correction:
    """Exclude a period (maintenance, drill) from an SLO or from every SLO of a service."""
    actor.require(Role.ADMIN)
    if (slo is None) == (service is None):
        raise SloError("A correction applies to one SLO or to one service.", field="slo")
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise SloError("Give times with a time zone (e.g. 2026-11-21T16:25:00Z).", field="start")
    if end <= start:
        raise SloError("The end must be after the start.", field="end")
    if category not in CorrectionCategory.values:
        raise SloError(
            f"Unknown category; use one of {', '.join(CorrectionCategory.values)}.",
            field="category",
        )
    if not reason.strip():
        raise SloError("Say why the period is excluded.", field="reason")
    return Correction.objects.create(
        slo=slo,
        service=service,
        start=start,
        end=end,
        category=category,
        reason=reason.strip(),
        created_by=actor.user,
    )
