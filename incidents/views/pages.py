"""Read-only pages: dashboard, incident list, alerts, metrics."""

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import mark_safe

from core.roles import Role, role_of

from .. import charts
from ..alert_labels import alerts_matching
from ..choices import OPEN_STATUSES, Severity, Status
from ..filters import IncidentFilter
from ..forms import SORTS, AlertFilterForm, IncidentFilterForm, MetricsForm
from ..models import Incident
from ..selectors import alert_list, incident_list, incident_metrics, integration_list
from .common import is_htmx
from .paging import Page, paginate

PAGE_SIZE = 50
DASHBOARD_LIMIT = 25
RECENTLY_RESOLVED_DAYS = 7


def _page_of(request: HttpRequest, ids_query: Any) -> tuple[Page, list[int]]:
    page = paginate(ids_query, request.GET.get("page"), PAGE_SIZE)
    return page, list(page.object_list)


def _rows(user: Any, ids: list[int]) -> list[Incident]:
    """The incidents of one page, with what the list shows, in the page's order."""
    found = {i.pk: i for i in incident_list(user=user).filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    incident_list(user=request.user)  # the role check
    open_incidents = Incident.objects.filter(status__in=OPEN_STATUSES)
    by_severity = ("severity", "-started_at", "-id")
    unacknowledged = _rows(
        request.user,
        list(
            open_incidents.filter(last_acknowledged_at__isnull=True)
            .order_by(*by_severity)
            .values_list("pk", flat=True)[:DASHBOARD_LIMIT]
        ),
    )
    acknowledged = _rows(
        request.user,
        list(
            open_incidents.filter(last_acknowledged_at__isnull=False)
            .order_by(*by_severity)
            .values_list("pk", flat=True)[:DASHBOARD_LIMIT]
        ),
    )
    counts = {
        row["severity"]: row["n"]
        for row in Incident.objects.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values("severity")
        .annotate(n=Count("id"))
    }
    unacknowledged_total = Incident.objects.filter(
        status__in=OPEN_STATUSES, last_acknowledged_at__isnull=True
    ).count()
    since = timezone.now() - timedelta(days=RECENTLY_RESOLVED_DAYS)
    resolved = _rows(
        request.user,
        list(
            Incident.objects.filter(
                status__in=[Status.RESOLVED, Status.CLOSED], resolved_at__gte=since
            )
            .order_by("-resolved_at", "-id")
            .values_list("pk", flat=True)[:10]
        ),
    )
    context = {
        "unacknowledged": unacknowledged,
        "unacknowledged_total": unacknowledged_total,
        "acknowledged": acknowledged,
        "severity_counts": [(s.value, counts.get(s.value, 0)) for s in Severity],
        "open_total": sum(counts.values()),
        "resolved": resolved,
        "resolved_days": RECENTLY_RESOLVED_DAYS,
        "limit": DASHBOARD_LIMIT,
    }
    template = "incidents/_dashboard_live.html" if is_htmx(request) else "incidents/dashboard.html"
    return render(request, template, context)


def _filtered_ids(form: IncidentFilterForm) -> Any:
    data = QueryDict(mutable=True)
    for name, value in form.filter_params().items():
        data.setlist(name, value if isinstance(value, list) else [value])
    order = SORTS.get(form.cleaned_data.get("sort") or "-started", SORTS["-started"])
    selected = IncidentFilter(data=data, queryset=Incident.objects.all()).qs
    return selected.order_by(*order).values_list("pk", flat=True)


@login_required
def incident_list_view(request: HttpRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET)
    incident_list(user=request.user)  # the role check
    if form.is_valid():
        page, ids = _page_of(request, _filtered_ids(form))
        rows = _rows(request.user, ids)
    else:
        page, rows = None, []
    context = {"form": form, "page": page, "incidents": rows}
    template = "incidents/_list_results.html" if is_htmx(request) else "incidents/list.html"
    return render(request, template, context, status=200 if form.is_valid() else 400)


@login_required
def alert_list_view(request: HttpRequest) -> HttpResponse:
    form = AlertFilterForm(request.GET)
    alerts = alert_list(user=request.user)
    page = None
    if form.is_valid():
        data = form.cleaned_data
        if data.get("integration"):
            alerts = alerts.filter(integration_id=data["integration"])
        if data.get("status"):
            alerts = alerts.filter(status=data["status"])
        if data.get("label"):
            alerts = alerts_matching(alerts, data["label"])
        page = paginate(alerts, request.GET.get("page"), PAGE_SIZE)
    integrations = (
        list(integration_list(user=request.user).values("id", "name"))
        if role_of(request.user) >= Role.ADMIN
        else []
    )
    return render(
        request,
        "incidents/alerts.html",
        {"form": form, "page": page, "integrations": integrations},
        status=200 if form.is_valid() else 400,
    )


METRICS = (
    ("time_to_detect", "MTTD", "Time to detect (start → detection)"),
    ("time_to_acknowledge", "MTTA", "Time to acknowledge (detection → acknowledgement)"),
    ("time_to_resolve", "MTTR", "Time to resolve (start → resolution)"),
)
MAX_GROUPS = 6


def _week_start(now: datetime) -> datetime:
    local = timezone.localtime(now)
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


@login_required
def metrics_view(request: HttpRequest) -> HttpResponse:
    data = request.GET.copy()
    data.setdefault("weeks", "12")
    data.setdefault("by", "overall")
    form = MetricsForm(data)
    if not form.is_valid():
        return render(request, "incidents/metrics.html", {"form": form}, status=400)
    weeks = form.cleaned_data.get("weeks") or 12
    by = form.cleaned_data.get("by") or "overall"
    first = _week_start(timezone.now()) - timedelta(weeks=weeks - 1)
    starts = [first + timedelta(weeks=i) for i in range(weeks)]
    summaries = [
        incident_metrics(user=request.user, since=start, until=start + timedelta(weeks=1))
        for start in starts
    ]
    labels = [f"{start:%b %d}" for start in starts]
    if by == "overall":
        groups = ["All incidents"]
        blocks = [[s["overall"]] for s in summaries]
    else:
        key = "by_service" if by == "service" else "by_severity"
        totals: dict[str, int] = {}
        for summary in summaries:
            for row in summary[key]:
                totals[row[by]] = totals.get(row[by], 0) + row["count"]
        groups = sorted(totals, key=lambda g: (-totals[g], g))[:MAX_GROUPS]
        if by == "severity":
            groups.sort()
        blocks = []
        for summary in summaries:
            found = {row[by]: row for row in summary[key]}
            blocks.append([found.get(g, {"count": 0}) for g in groups])
    charts_out = []
    tables = []
    for key, short, long in METRICS:
        series = []
        for index, group in enumerate(groups):
            for pct in ("p50", "p90"):
                if by != "overall" and pct == "p90":
                    continue
                values = [(week[index].get(key) or {}).get(pct) for week in blocks]
                name = f"{group} {pct}" if by != "overall" else pct
                series.append(charts.Series(name=name, values=values))
        svg = charts.line_chart(title=f"{short}: {long}", labels=labels, series=series)
        charts_out.append({"short": short, "long": long, "svg": mark_safe(svg)})  # noqa: S308
        rows = []
        for label, week in zip(labels, blocks, strict=True):
            cells = []
            for entry in week:
                stats = entry.get(key) or {}
                cells.append(
                    {
                        "count": stats.get("count", 0),
                        "p50": charts.human_duration(stats.get("p50")),
                        "p90": charts.human_duration(stats.get("p90")),
                    }
                )
            rows.append({"week": label, "cells": cells})
        tables.append({"short": short, "long": long, "rows": rows})
    context = {
        "form": form,
        "by": by,
        "groups": groups,
        "metrics": list(zip(charts_out, tables, strict=True)),
        "first": starts[0],
        "weeks": weeks,
    }
    return render(request, "incidents/metrics.html", context)
