"""Reads for incidents, alerts, integrations and metrics, with permission checks."""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    Count,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from core.roles import Role, require_role

from . import metrics
from .choices import OPEN_STATUSES, STATE_KINDS, AlertStatus, DeliveryState, EntryKind, Kind
from .models import Alert, Delivery, Incident, Integration, TimelineEntry
from .models.delivery import MAX_ATTEMPTS


def incident_list(*, user: Any) -> QuerySet[Incident]:
    """Incidents a user may see, with what list views show loaded eagerly. `alert_count`
    is counted for each listed incident alone (a join with every alert of the incidents
    listed took a third of a second for one incident of 100,000 alerts)."""
    require_role(user, Role.VIEWER)
    alerts = (
        Alert.objects.filter(incident=OuterRef("pk"))
        .order_by()
        .values("incident")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        Incident.objects.select_related("commander")
        .prefetch_related("services")
        .annotate(alert_count=Coalesce(Subquery(alerts, output_field=IntegerField()), Value(0)))
        .order_by("-started_at", "-id")
    )


class IncidentNotFound(Incident.DoesNotExist, Http404):
    """No incident of that number: every face answers it as a 404 saying which."""

    def __init__(self, number: int) -> None:
        super().__init__(f"No incident INC-{number}.")


def _one(queryset: QuerySet[Incident], number: int) -> Incident:
    try:
        return queryset.get(number=number)
    except Incident.DoesNotExist:
        raise IncidentNotFound(number) from None


def incident_find(*, user: Any, number: int) -> Incident:
    """One incident by number, without its related rows (for changes)."""
    require_role(user, Role.VIEWER)
    return _one(Incident.objects.all(), number)


def _viewer(user: Any) -> None:
    """None is the system (tasks, services of other apps), which is trusted."""
    if user is not None:
        require_role(user, Role.VIEWER)


def incident_by_id(*, user: Any, incident_id: int) -> Incident | None:
    """One incident by id without its related rows, or None (a task re-reads the incident
    it was handed, which may be gone)."""
    _viewer(user)
    return Incident.objects.filter(pk=incident_id).first()


def incident_with_services(*, user: Any, incident_id: int) -> Incident | None:
    """One incident by id with its services loaded, or None."""
    _viewer(user)
    return Incident.objects.prefetch_related("services").filter(pk=incident_id).first()


def incident_with_people(*, user: Any, incident_id: int) -> Incident:
    """One incident by id with its commander, services and responders (what a document
    about it names); raises Incident.DoesNotExist."""
    _viewer(user)
    return (
        Incident.objects.select_related("commander")
        .prefetch_related("services", "responders")
        .get(pk=incident_id)
    )


def incident_services(*, incident: Incident) -> QuerySet[Any]:
    """The services an incident affects, with their owning teams, by slug."""
    return incident.services.select_related("owner").order_by("slug")


def incident_for_update(*, incident_id: int) -> Incident | None:
    """One incident by id, locked until the transaction ends, or None: for a service of
    another app that must hold the incident while it decides what follows (the system)."""
    return Incident.objects.select_for_update().filter(pk=incident_id).first()


def incident_touches_services(
    *, incident_id: int, service_ids: Iterable[int] | QuerySet[Any]
) -> bool:
    """Whether the incident affects any of `service_ids` (a list or a subquery of ids)."""
    return Incident.objects.filter(pk=incident_id, services__in=service_ids).exists()


def incident_ids_open(*, service_ids: Iterable[int] | QuerySet[Any]) -> QuerySet[Incident, int]:
    """The ids of the open incidents affecting any of `service_ids` (a list or a subquery
    of ids), each once."""
    return (
        Incident.objects.filter(status__in=OPEN_STATUSES, services__in=service_ids)
        .values_list("pk", flat=True)
        .distinct()
    )


def incident_open_holding_alert(
    *, labels: Mapping[str, str], alertname: str, or_label_key: str
) -> Incident | None:
    """The oldest open incident (lowest number) holding one alert whose labels include
    `labels` and that is named `alertname` or carries the label `or_label_key`."""
    named = Q(alerts__labels__alertname=alertname) | Q(alerts__labels__has_key=or_label_key)
    held = Q(**{f"alerts__labels__{key}": value for key, value in labels.items()})
    return (
        Incident.objects.filter(named & held, status__in=OPEN_STATUSES).order_by("number").first()
    )


def service_incidents(*, user: Any, service: Any, limit: int) -> list[Incident]:
    """The latest `limit` incidents affecting a service, newest start first."""
    _viewer(user)
    return list(Incident.objects.filter(services=service).order_by("-started_at")[:limit])


def _with_version(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    """Annotate `version` (the id of the newest entry that changed the incident's state),
    read in the same statement as the incident's fields, so a form drawn from them says
    truly what it was based on."""
    newest = (
        TimelineEntry.objects.filter(incident=OuterRef("pk"), kind__in=STATE_KINDS)
        .order_by("-id")
        .values("id")[:1]
    )
    return queryset.annotate(
        version=Coalesce(Subquery(newest, output_field=IntegerField()), Value(0))
    )


def incident_get(*, user: Any, number: int) -> Incident:
    """One incident with its services, responders and version, and its exact alert counts
    (`alert_counts` by status and `alert_count`). Its alerts and timeline are not loaded:
    an incident may hold 100,000 of each; read them a page at a time with
    `incident_alerts` and `incident_timeline_window`."""
    require_role(user, Role.VIEWER)
    incident = _one(
        _with_version(Incident.objects.all())
        .select_related("commander", "acknowledged_by", "integration", "previous")
        .prefetch_related("services", "responders"),
        number,
    )
    counts = incident_alert_counts(incident=incident)
    incident.alert_counts = counts  # type: ignore[attr-defined]
    incident.alert_count = counts["total"]  # type: ignore[attr-defined]
    return incident


def incident_alert_counts(*, incident: Incident) -> dict[str, int]:
    """Exact counts of an incident's alerts by status, and their total (one grouped count
    over the (incident, status) index)."""
    counts = dict.fromkeys(AlertStatus.values, 0)
    rows = (
        Alert.objects.filter(incident=incident)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    for status, n in rows:
        counts[status] = n
    return {**counts, "total": sum(counts.values())}


def incident_alerts(*, incident: Incident) -> QuerySet[Alert]:
    """An incident's alerts, firing first, then the newest start first. "firing" sorts
    before "resolved", so the order is the index's (incident, status, -starts_at, -id) and
    any page of it is read without sorting the incident's other alerts."""
    return (
        Alert.objects.filter(incident=incident)
        .select_related("integration", "incident")
        .order_by("status", "-starts_at", "-id")
    )


def incident_timeline(*, incident: Incident) -> QuerySet[TimelineEntry]:
    """An incident's timeline entries, newest first."""
    return TimelineEntry.objects.filter(incident=incident).order_by("-at", "-id")


def incident_detail(*, user: Any, number: int, size: int) -> Incident:
    """`incident_get` with the first `size` alerts (`alerts_first_page`), the newest `size`
    timeline entries oldest first (`timeline_recent`) and the exact `timeline_count`: what
    the API's detail shows, bounded whatever the incident's size."""
    incident = incident_get(user=user, number=number)
    incident.alerts_first_page = list(incident_alerts(incident=incident)[:size])  # type: ignore[attr-defined]
    recent = list(incident_timeline(incident=incident)[:size])
    recent.reverse()
    incident.timeline_recent = recent  # type: ignore[attr-defined]
    incident.timeline_count = TimelineEntry.objects.filter(incident=incident).count()  # type: ignore[attr-defined]
    return incident


@dataclass(frozen=True)
class TimelineWindow:
    """A page of an incident's timeline counted from the newest entry (page 1 is the newest
    `size`), oldest first, with the pinned entries outside it (newest `pinned_limit`)."""

    entries: list[TimelineEntry]
    pinned_elsewhere: list[TimelineEntry]
    pinned_total: int
    total: int
    page: int
    pages: int
    size: int


def incident_timeline_window(
    *, incident: Incident, page: int, size: int, pinned_limit: int
) -> TimelineWindow:
    """The entries of one timeline page and the pinned entries not on it; `page` is clamped
    to the pages there are. Bounded whatever the incident's size: a count, one page, and
    at most `pinned_limit` pinned entries (read through the partial index of pinned ones)."""
    total = TimelineEntry.objects.filter(incident=incident).count()
    pages = max(1, -(-total // size))
    page = min(max(page, 1), pages)
    entries = list(incident_timeline(incident=incident)[(page - 1) * size : page * size])
    entries.reverse()
    shown = [e.pk for e in entries]
    pinned = list(
        incident_timeline(incident=incident)
        .filter(pinned=True)
        .exclude(pk__in=shown)[:pinned_limit]
    )
    pinned.reverse()
    pinned_total = len(pinned)
    if pinned_total == pinned_limit:
        pinned_total = (
            TimelineEntry.objects.filter(incident=incident, pinned=True)
            .exclude(pk__in=shown)
            .count()
        )
    return TimelineWindow(
        entries=entries,
        pinned_elsewhere=pinned,
        pinned_total=pinned_total,
        total=total,
        page=page,
        pages=pages,
        size=size,
    )


def incident_head(*, user: Any, number: int) -> Incident:
    """One incident with what its room's header shows (people and services), without its
    alerts and timeline."""
    require_role(user, Role.VIEWER)
    return _one(
        _with_version(Incident.objects.all())
        .select_related("commander", "acknowledged_by", "integration", "previous")
        .prefetch_related("services", "responders"),
        number,
    )


def alert_list(*, user: Any) -> QuerySet[Alert]:
    require_role(user, Role.VIEWER)
    return Alert.objects.select_related("integration", "incident").order_by("-starts_at", "-id")


def integration_list(*, user: Any) -> QuerySet[Integration]:
    """Integrations hold routing secrets' prefixes; admins only."""
    require_role(user, Role.ADMIN)
    return Integration.objects.select_related("default_service").order_by("name")


def delivery_list(*, user: Any, integration: Integration) -> QuerySet[Delivery]:
    require_role(user, Role.ADMIN)
    return Delivery.objects.filter(integration=integration).defer("body")


def deliveries_failed(*, user: Any, integration: Integration | None = None) -> QuerySet[Delivery]:
    """Deliveries that failed after their retries: their alerts are not in Keel until an
    admin replays them."""
    require_role(user, Role.ADMIN)
    found = Delivery.objects.filter(state=DeliveryState.FAILED, attempts__gte=MAX_ATTEMPTS)
    if integration is not None:
        found = found.filter(integration=integration)
    return found.defer("body").order_by("-received_at", "-id")


def deliveries_failed_by_integration(*, user: Any) -> list[dict[str, Any]]:
    """How many deliveries of each integration failed after their retries (admins)."""
    return list(
        deliveries_failed(user=user)
        .order_by()
        .values("integration_id", "integration__name")
        .annotate(count=Count("id"), latest=Max("received_at"))
        .order_by("integration__name")
    )


def _durations(incidents: list[Incident]) -> dict[str, metrics.Summary]:
    return {
        "time_to_detect": metrics.summarize(
            [metrics.seconds_between(i.started_at, i.detected_at) for i in incidents]
        ),
        "time_to_acknowledge": metrics.summarize(
            [metrics.seconds_between(i.detected_at, i.acknowledged_at) for i in incidents]
        ),
        "time_to_resolve": metrics.summarize(
            [metrics.seconds_between(i.started_at, i.resolved_at) for i in incidents]
        ),
    }


def incident_metrics(
    *, user: Any, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """MTTD/MTTA/MTTR summaries (seconds) for incidents started in [since, until).

    Drills are left out. An incident affecting several services counts for each.
    """
    require_role(user, Role.VIEWER)
    filters = ~Q(kind=Kind.DRILL)
    if since is not None:
        filters &= Q(started_at__gte=since)
    if until is not None:
        filters &= Q(started_at__lt=until)
    rows = list(
        Incident.objects.filter(filters)
        .only("started_at", "detected_at", "acknowledged_at", "resolved_at", "severity")
        .prefetch_related("services")
    )
    by_service: dict[str, list[Incident]] = {}
    by_severity: dict[str, list[Incident]] = {}
    for incident in rows:
        by_severity.setdefault(incident.severity, []).append(incident)
        for service in incident.services.all():
            by_service.setdefault(service.slug, []).append(incident)

    def block(items: list[Incident]) -> dict[str, Any]:
        return {
            "count": len(items),
            **{name: asdict(s) for name, s in _durations(items).items()},
        }

    return {
        "since": since,
        "until": until,
        "overall": block(rows),
        "by_service": [{"service": k, **block(v)} for k, v in sorted(by_service.items())],
        "by_severity": [{"severity": k, **block(v)} for k, v in sorted(by_severity.items())],
    }


@dataclass
class TeamIncidents:
    """A team's incidents over a span: opened in it, resolved in it, open at its end."""

    opened: list[Incident]
    resolved: list[Incident]
    still_open: list[Incident]


def team_incidents(*, user: Any, team: Any, start: datetime, end: datetime) -> TeamIncidents:
    """The incidents of the services a team owns over [start, end) (the handoff report)."""
    if user is not None:  # None is the system
        require_role(user, Role.VIEWER)
    incidents = Incident.objects.filter(services__owner=team).distinct()
    return TeamIncidents(
        opened=list(
            incidents.filter(detected_at__gte=start, detected_at__lt=end).order_by("detected_at")
        ),
        resolved=list(
            incidents.filter(resolved_at__gte=start, resolved_at__lt=end).order_by("resolved_at")
        ),
        still_open=list(
            incidents.filter(detected_at__lt=end)
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=end))
            .order_by("detected_at")
        ),
    )


def incident_alert_labels(*, incident_id: int) -> list[dict[str, Any]]:
    """The labels of each of an incident's alerts (the system reads which SLOs its burn
    alerts name)."""
    return list(Alert.objects.filter(incident_id=incident_id).values_list("labels", flat=True))


def alert_names_and_runbooks(*, user: Any, incident_ids: Any) -> list[Alert]:
    """The alerts of some incidents, with only their labels and annotations loaded (the
    on-call health report counts names and missing runbooks)."""
    if user is not None:  # None is the system
        require_role(user, Role.VIEWER)
    return list(
        Alert.objects.filter(incident_id__in=incident_ids).only(
            "labels", "annotations", "incident_id"
        )
    )


def incident_holder(*, incident: Incident) -> str | None:
    """Who has the incident now: the person of the latest acknowledgement since it last
    opened (after a reopen that may be someone other than the first), or None."""
    if not incident.is_open or incident.last_acknowledged_at is None:
        return None
    entry = (
        TimelineEntry.objects.filter(
            incident=incident, kind=EntryKind.ACKNOWLEDGED, at=incident.last_acknowledged_at
        )
        .order_by("-id")
        .values_list("actor_name", flat=True)
        .first()
    )
    if entry:
        return entry
    return incident.acknowledged_by.get_username() if incident.acknowledged_by else None
