"""A schedule's page: its timeline, layers and overrides, and the edits made on it."""

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.services import profile_time_zones
from core.bounds import datetime_problem
from core.errors import KeelError
from core.forms import attach_error
from oncall import rotation, selectors, services, timeline_svg
from oncall.forms import LayerForm, OverrideForm
from oncall.models import CalendarFeed, Layer, Override, Schedule

from ._common import schedule_or_404


def _window(request: HttpRequest, schedule: Schedule) -> tuple[datetime, datetime]:
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    try:
        days = max(1, min(int(request.GET.get("days", 14)), 62))
    except ValueError:
        days = 14
    today = timezone.now().astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    try:
        first = datetime.fromisoformat(request.GET["from"]).replace(tzinfo=zone)
        last = first + timedelta(days=days)
    except (KeyError, ValueError, OverflowError):
        return today, today + timedelta(days=days)
    if datetime_problem(first) or datetime_problem(last):  # outside Keel's range
        return today, today + timedelta(days=days)
    return first, last


def _schedule_page(
    request: HttpRequest,
    schedule: Schedule,
    *,
    layer_form: LayerForm | None = None,
    override_form: OverrideForm | None = None,
    editing: Layer | None = None,
    status: int = 200,
) -> HttpResponse:
    start, end = _window(request, schedule)
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    layers = sorted(schedule.layers.all(), key=lambda layer: layer.position)
    overrides = selectors.schedule_overrides(schedule, start, end)
    resolved = selectors.schedule_resolve(schedule, start, end, overrides=overrides, layers=layers)
    final = resolved.shifts
    broken = {e.layer.pk for e in resolved.errors if e.layer is not None}
    rows = timeline_svg.schedule_rows(
        layers=[
            timeline_svg.LayerBars(
                f"{layer.position + 1}. {layer.name}",
                None
                if layer.pk in broken
                else rotation.layer_coverage(
                    selectors.to_rotation_layer(layer), start, end, schedule.time_zone
                ),
            )
            for layer in reversed(layers)
        ],
        overrides=[(o.starts_at, o.ends_at, o.user_id) for o in overrides],
        final=[(s.start, s.end, s.who) for s in final],
    )
    users = selectors.users_by_id(who for who in timeline_svg.people(rows) if isinstance(who, int))
    names: dict[int | str, str] = {pk: user.get_username() for pk, user in users.items()}
    return render(
        request,
        "oncall/schedule.html",
        {
            "schedule": schedule,
            "layers": list(reversed(layers)),
            "overrides": selectors.schedule_overrides(
                schedule, timezone.now(), timezone.now() + timedelta(days=365)
            ),
            "svg": timeline_svg.render(rows, start, end, names, zone),
            "errors": resolved.errors,
            "people_zones": _people_zones(schedule),
            "final": [(s, names.get(s.who, "?")) for s in rotation.merge_people(final)],
            "start": start,
            "end": end,
            "prev_from": (start - (end - start)).strftime("%Y-%m-%d"),
            "next_from": end.strftime("%Y-%m-%d"),
            "layer_form": layer_form or LayerForm(schedule=schedule, initial={"shift_length": 1}),
            "override_form": override_form or OverrideForm(schedule=schedule),
            "editing": editing,
            "can_configure": selectors.can_configure(request.user),
            "can_respond": selectors.can_respond(request.user),
            "feeds": CalendarFeed.objects.filter(schedule=schedule, revoked_at__isnull=True),
            "new_feed_url": request.session.pop("oncall_new_feed_url", None),
        },
        status=status,
    )


def _people_zones(schedule: Schedule) -> list[tuple[str, str | None]]:
    """The schedule's people with the zone each of them reads times in."""
    members = list(schedule.team.members.order_by("username"))
    chosen = profile_time_zones(users=members)
    return [(m.get_username(), chosen[m.pk]) for m in members]


@login_required
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = schedule_or_404(request, pk)
    with timezone.override(zoneinfo.ZoneInfo(schedule.time_zone)):
        editing = None
        form = None
        if "edit" in request.GET:
            editing = (
                schedule.layers.filter(pk=request.GET["edit"]).first()
                if request.GET["edit"].isdigit()
                else None
            )
            if editing is not None:
                form = LayerForm(schedule=schedule, initial=LayerForm.initial_for(editing))
        return _schedule_page(request, schedule, layer_form=form, editing=editing)


def _layer_kwargs(form: LayerForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "participants": form.ordered_participants(),
        "shift_length": data["shift_length"],
        "shift_unit": data["shift_unit"],
        "handoff_at": data["handoff_at"],
        "starts_at": data["starts_at"] or data["handoff_at"],
        "ends_at": data["ends_at"],
        "restriction_weekdays": data["restriction_weekdays"],
        "restriction_start": data["restriction_start"],
        "restriction_end": data["restriction_end"],
    }


@login_required
@require_POST
def layer_save(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = schedule_or_404(request, pk)
    with timezone.override(zoneinfo.ZoneInfo(schedule.time_zone)):
        editing = None
        if request.POST.get("layer", "").isdigit():
            editing = get_object_or_404(Layer, pk=request.POST["layer"], schedule=schedule)
        form = LayerForm(request.POST, schedule=schedule)
        if form.is_valid():
            try:
                if editing is None:
                    services.layer_create(
                        user=request.user, schedule=schedule, **_layer_kwargs(form)
                    )
                else:
                    services.layer_update(user=request.user, layer=editing, **_layer_kwargs(form))
            except KeelError as error:
                attach_error(form, error)
            else:
                messages.success(request, "Layer saved.")
                return redirect("oncall:schedule", pk=schedule.pk)
        return _schedule_page(request, schedule, layer_form=form, editing=editing, status=400)


@login_required
@require_POST
def layer_remove(request: HttpRequest, pk: int, layer_pk: int) -> HttpResponse:
    schedule = schedule_or_404(request, pk)
    services.layer_delete(
        user=request.user, layer=get_object_or_404(Layer, pk=layer_pk, schedule=schedule)
    )
    messages.success(request, "Layer deleted.")
    return redirect("oncall:schedule", pk=schedule.pk)


@login_required
@require_POST
def override_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = schedule_or_404(request, pk)
    with timezone.override(zoneinfo.ZoneInfo(schedule.time_zone)):
        form = OverrideForm(request.POST, schedule=schedule)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.override_create(
                    user=request.user,
                    schedule=schedule,
                    person=data["user"],
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                    reason=data["reason"],
                )
            except KeelError as error:
                attach_error(form, error)
            else:
                messages.success(request, "Override saved.")
                return redirect("oncall:schedule", pk=schedule.pk)
        return _schedule_page(request, schedule, override_form=form, status=400)


@login_required
@require_POST
def override_remove(request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
    schedule = schedule_or_404(request, pk)
    services.override_delete(
        user=request.user, override=get_object_or_404(Override, pk=override_pk, schedule=schedule)
    )
    messages.success(request, "Override deleted.")
    return redirect("oncall:schedule", pk=schedule.pk)
