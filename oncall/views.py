"""On-call pages: now/next, schedules, policies, my on-call, handoffs, health, iCal, ack links."""

import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.services import profile_time_zones
from catalog.models import Team
from core.bounds import datetime_problem
from core.errors import KeelError
from incidents.selectors import incident_holder
from oncall.models import (
    CalendarFeed,
    ContactMethod,
    EscalationPolicy,
    Handoff,
    Layer,
    Override,
    Schedule,
)

from . import ical, reports, selectors, services, timeline_svg
from .choices import TargetKind
from .forms import (
    ContactMethodForm,
    LayerForm,
    NotesForm,
    OverrideForm,
    PolicyForm,
    ScheduleForm,
    TeamForm,
)


def _attach(form: forms.Form, error: KeelError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _attempt(request: HttpRequest, change: Callable[[], object], success: str) -> None:
    """Make one change through its service; the next page says it was done, or why not."""
    try:
        change()
    except KeelError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


def _viewer(request: HttpRequest) -> None:
    selectors.team_list(user=request.user)  # raises PermissionDenied without the viewer role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    schedules = list(selectors.schedule_list(user=request.user))
    rows = selectors.oncall_now(schedules=schedules)
    teams: dict[Team, list[Any]] = {}
    for row in rows:
        teams.setdefault(row.schedule.team, []).append(row)
    empty = [t for t in selectors.team_list(user=request.user) if t not in teams]
    return render(
        request,
        "oncall/home.html",
        {
            "teams": teams,
            "empty_teams": empty,
            "can_configure": selectors.can_configure(request.user),
        },
    )


@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    schedules = list(selectors.schedule_list(user=request.user, team=team))
    form = ScheduleForm(request.POST or None, initial={"time_zone": team.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            schedule = services.schedule_create(user=request.user, team=team, **form.cleaned_data)
        except KeelError as error:
            _attach(form, error)
        else:
            return redirect("oncall:schedule", pk=schedule.pk)
    return render(
        request,
        "oncall/team.html",
        {
            "team": team,
            "rows": selectors.oncall_now(schedules=schedules),
            "policies": selectors.policy_list(user=request.user, team=team),
            "form": form,
            "can_configure": selectors.can_configure(request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Create a team, or edit one's name, members, zone and working hours (admins)."""
    _viewer(request)
    team = get_object_or_404(Team, slug=slug) if slug else None
    if request.method == "GET" and not selectors.can_configure(request.user):
        raise PermissionDenied("Only admins configure teams.")
    form = TeamForm(
        request.POST or None,
        editing=team is not None,
        initial=TeamForm.initial_for(team) if team else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            if team is None:
                team = services.team_create(user=request.user, **form.cleaned_data)
                messages.success(request, f"Team {team.name} created.")
            else:
                services.team_update(user=request.user, team=team, **form.cleaned_data)
                messages.success(request, f"Team {team.name} saved.")
        except KeelError as error:
            _attach(form, error)
        else:
            return redirect("oncall:team", slug=team.slug)
    elif request.method == "POST" and not selectors.can_configure(request.user):
        raise PermissionDenied("Only admins configure teams.")
    return render(
        request,
        "oncall/team_edit.html",
        {"team": team, "form": form},
        status=400 if form.errors else 200,
    )


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
    from oncall import rotation

    start, end = _window(request, schedule)
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    layers = sorted(schedule.layers.all(), key=lambda layer: layer.position)
    overrides = selectors.schedule_overrides(schedule, start, end)
    resolved = selectors.schedule_resolve(schedule, start, end, overrides=overrides, layers=layers)
    final = resolved.shifts
    broken = {e.layer.pk for e in resolved.errors if e.layer is not None}
    rows = [
        timeline_svg.Row(
            f"{layer.position + 1}. {layer.name}" + (" (error)" if layer.pk in broken else ""),
            []
            if layer.pk in broken
            else rotation.layer_coverage(
                selectors.to_rotation_layer(layer), start, end, schedule.time_zone
            ),
        )
        for layer in reversed(layers)
    ]
    rows.append(
        timeline_svg.Row("Overrides", [(o.starts_at, o.ends_at, o.user_id) for o in overrides])
    )
    rows.append(timeline_svg.Row("Final schedule", [(s.start, s.end, s.who) for s in final]))
    ids = {who for row in rows for _, _, who in row.bars}
    names: dict[int | str, str] = {
        u.pk: u.get_username() for u in get_user_model().objects.filter(pk__in=ids)
    }
    svg = timeline_svg.render(rows, start, end, names, zone)
    return render(
        request,
        "oncall/schedule.html",
        {
            "schedule": schedule,
            "layers": list(reversed(layers)),
            "overrides": selectors.schedule_overrides(
                schedule, timezone.now(), timezone.now() + timedelta(days=365)
            ),
            "svg": svg,
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


def _schedule(request: HttpRequest, pk: int) -> Schedule:
    _viewer(request)
    schedule = selectors.schedule_list(user=request.user).filter(pk=pk).first()
    if schedule is None:
        raise Http404("No such schedule.")
    return schedule


@login_required
def schedule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk)
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
    schedule = _schedule(request, pk)
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
                _attach(form, error)
            else:
                messages.success(request, "Layer saved.")
                return redirect("oncall:schedule", pk=schedule.pk)
        return _schedule_page(request, schedule, layer_form=form, editing=editing, status=400)


@login_required
@require_POST
def layer_remove(request: HttpRequest, pk: int, layer_pk: int) -> HttpResponse:
    schedule = _schedule(request, pk)
    services.layer_delete(
        user=request.user, layer=get_object_or_404(Layer, pk=layer_pk, schedule=schedule)
    )
    messages.success(request, "Layer deleted.")
    return redirect("oncall:schedule", pk=schedule.pk)


@login_required
@require_POST
def override_add(request: HttpRequest, pk: int) -> HttpResponse:
    schedule = _schedule(request, pk)
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
                _attach(form, error)
            else:
                messages.success(request, "Override saved.")
                return redirect("oncall:schedule", pk=schedule.pk)
        return _schedule_page(request, schedule, override_form=form, status=400)


@login_required
@require_POST
def override_remove(request: HttpRequest, pk: int, override_pk: int) -> HttpResponse:
    schedule = _schedule(request, pk)
    services.override_delete(
        user=request.user, override=get_object_or_404(Override, pk=override_pk, schedule=schedule)
    )
    messages.success(request, "Override deleted.")
    return redirect("oncall:schedule", pk=schedule.pk)


# --- escalation policy editor ----------------------------------------------------------

STEP_ROWS = 5


def _target_choices(team: Team) -> list[tuple[str, str]]:
    out = [(f"schedule:{s.pk}", f"On call: {s.name}") for s in team.schedules.order_by("name")]
    out += [(f"team:{t.pk}", f"Everyone in {t.name}") for t in Team.objects.order_by("name")]
    out += [
        (f"user:{u.pk}", u.get_username())
        for u in get_user_model().objects.filter(is_active=True).order_by("username")
    ]
    return out


def _parse_steps(request: HttpRequest, team: Team) -> list[services.StepSpec]:
    steps = []
    users = get_user_model().objects
    for i in range(STEP_ROWS):
        chosen = request.POST.getlist(f"step-{i}-targets")
        if not chosen:
            continue
        try:
            after = int(request.POST.get(f"step-{i}-after", "15"))
        except ValueError as exc:
            raise KeelError(f"Step {i + 1}: minutes must be a number.", field="steps") from exc
        targets = []
        for value in chosen:
            kind, _, ident = value.partition(":")
            if not ident.isdigit():
                raise KeelError(f"Step {i + 1}: unknown target {value!r}.", field="steps")
            if kind == TargetKind.SCHEDULE:
                targets.append(
                    services.TargetSpec(
                        kind=kind, schedule=Schedule.objects.filter(pk=ident).first()
                    )
                )
            elif kind == TargetKind.TEAM:
                targets.append(
                    services.TargetSpec(kind=kind, team=Team.objects.filter(pk=ident).first())
                )
            elif kind == TargetKind.USER:
                targets.append(services.TargetSpec(kind=kind, user=users.filter(pk=ident).first()))
            else:
                raise KeelError(f"Step {i + 1}: unknown target {value!r}.", field="steps")
        steps.append(services.StepSpec(escalate_after_minutes=after, targets=targets))
    return steps


def _step_rows(request: HttpRequest, policy: EscalationPolicy | None) -> list[dict[str, Any]]:
    rows = []
    saved = list(policy.steps.prefetch_related("targets")) if policy else []
    for i in range(STEP_ROWS):
        if request.method == "POST":
            chosen = request.POST.getlist(f"step-{i}-targets")
            after = request.POST.get(f"step-{i}-after", "15")
        elif i < len(saved):
            chosen = [
                f"{t.kind}:{t.schedule_id or t.team_id or t.user_id}"
                for t in saved[i].targets.all()
            ]
            after = str(saved[i].escalate_after_minutes)
        else:
            chosen, after = [], "15"
        rows.append({"index": i, "number": i + 1, "chosen": chosen, "after": after})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    _viewer(request)
    team = get_object_or_404(Team, slug=slug)
    policy = get_object_or_404(EscalationPolicy, pk=pk, team=team) if pk else None
    initial = (
        {
            "name": policy.name,
            "repeat": policy.repeat,
            "is_default": policy.is_default,
            "services": list(policy.services.all()),
        }
        if policy
        else None
    )
    form = PolicyForm(request.POST or None, initial=initial)
    services_field = form.fields["services"]
    assert isinstance(services_field, forms.ModelMultipleChoiceField)
    services_field.queryset = team.services.order_by("slug")
    status = 200
    if request.method == "POST":
        if not selectors.can_configure(request.user):
            raise PermissionDenied("This needs the admin role.")
        if form.is_valid():
            try:
                steps = _parse_steps(request, team)
                if policy is None:
                    policy = services.policy_create(
                        user=request.user, team=team, steps=steps, **form.cleaned_data
                    )
                else:
                    services.policy_update(
                        user=request.user, policy=policy, steps=steps, **form.cleaned_data
                    )
            except KeelError as error:
                _attach(form, error)
            else:
                messages.success(request, "Escalation policy saved.")
                return redirect("oncall:policy-edit", slug=team.slug, pk=policy.pk)
        status = 400
    return render(
        request,
        "oncall/policy.html",
        {
            "team": team,
            "policy": policy,
            "form": form,
            "rows": _step_rows(request, policy),
            "targets": _target_choices(team),
            "can_configure": selectors.can_configure(request.user),
        },
        status=status,
    )


# --- my on-call, handoffs, health -----------------------------------------------------


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    me: Any = request.user
    form = ContactMethodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_method_create(
                user=request.user, owner=request.user, **form.cleaned_data
            )
        except KeelError as error:
            _attach(form, error)
        else:
            messages.success(request, "Contact method added.")
            return redirect("oncall:mine")
    now = timezone.now()
    shifts, shift_errors = reports.my_shifts_checked(
        user=me, start=now, end=now + timedelta(days=28)
    )
    return render(
        request,
        "oncall/mine.html",
        {
            "shifts": shifts,
            "shift_errors": shift_errors,
            "pages": selectors.page_list(user=request.user).filter(user=me)[:30],
            "handoffs": selectors.handoff_list(user=request.user).filter(incoming=me)[:10],
            "handoffs_out": selectors.handoff_list(user=request.user).filter(outgoing=me)[:10],
            "methods": ContactMethod.objects.filter(user=me),
            "can_add_methods": selectors.can_respond(me),
            "feeds": CalendarFeed.objects.filter(user=me, revoked_at__isnull=True),
            "new_feed_url": request.session.pop("oncall_new_feed_url", None),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def contact_method_remove(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(ContactMethod, pk=pk)
    services.contact_method_delete(user=request.user, method=method)
    messages.success(request, "Contact method removed.")
    return redirect("oncall:mine")


@login_required
@require_POST
def feed_new(request: HttpRequest) -> HttpResponse:
    schedule = None
    if request.POST.get("schedule", "").isdigit():
        schedule = _schedule(request, int(request.POST["schedule"]))
    try:
        _, token = services.feed_create(
            user=request.user, schedule=schedule, person=None if schedule else request.user
        )
    except KeelError as error:
        messages.error(request, error.message)
        return redirect("oncall:mine")
    from django.urls import reverse

    request.session["oncall_new_feed_url"] = request.build_absolute_uri(
        reverse("oncall:ical", kwargs={"token": token})
    )
    messages.success(request, "Calendar feed created. Copy its URL now: it is shown only once.")
    return redirect("oncall:schedule", pk=schedule.pk) if schedule else redirect("oncall:mine")


@login_required
@require_POST
def feed_remove(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed, pk=pk)
    _attempt(
        request,
        lambda: services.feed_revoke(user=request.user, feed=feed),
        "Calendar feed revoked; its URL no longer works.",
    )
    return (
        redirect("oncall:schedule", pk=feed.schedule_id)
        if feed.schedule_id
        else redirect("oncall:mine")
    )


def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The calendar behind a secret URL (calendar apps cannot log in)."""
    feed = services.feed_authenticate(token)
    if feed is None:
        return HttpResponse(
            "Unknown or revoked calendar feed.\n", status=404, content_type="text/plain"
        )
    body = ical.feed_calendar(feed, at=timezone.now())
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def handoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    handoff = get_object_or_404(
        Handoff.objects.select_related("schedule__team", "outgoing", "incoming"), pk=pk
    )
    form = NotesForm(request.POST or None, initial={"notes": handoff.notes})
    can_write_notes = request.user.pk == handoff.outgoing_id or selectors.can_configure(
        request.user
    )
    status = 200
    if request.method == "POST":
        try:
            if "acknowledge" in request.POST:
                services.handoff_acknowledge(user=request.user, handoff=handoff)
                messages.success(request, "You have the shift.")
                return redirect("oncall:handoff", pk=handoff.pk)
            if form.is_valid():
                services.handoff_update_notes(
                    user=request.user, handoff=handoff, notes=form.cleaned_data["notes"]
                )
                messages.success(request, "Notes saved.")
                return redirect("oncall:handoff", pk=handoff.pk)
        except KeelError as error:
            form.add_error("notes" if can_write_notes else None, error.message)
        status = 400
    return render(
        request,
        "oncall/handoff.html",
        {
            "handoff": handoff,
            "report": reports.handoff_report(handoff),
            "form": form,
            "zone": handoff.schedule.time_zone,
            "reminders": _reminders_shown(request, handoff),
            "can_write_notes": can_write_notes,
        },
        status=status,
    )


def _reminders_shown(request: HttpRequest, handoff: Any) -> list[Any]:
    """The handoff's webhook reminders, their delivery errors hidden from other viewers."""
    reminders = list(handoff.reminders.select_related("contact_method").order_by("id"))
    for reminder in reminders:
        reminder.shown_error = selectors.delivery_error_for(
            request.user, owner_id=reminder.contact_method.user_id, error=reminder.last_error
        )
    return reminders


@login_required
@require_POST
def incident_pages_acknowledge(request: HttpRequest, number: int) -> HttpResponse:
    """Stop the escalation restarted by a reopen (responders)."""
    from incidents.models import Incident

    incident = get_object_or_404(Incident, number=number)
    _attempt(
        request,
        lambda: services.escalation_acknowledge(user=request.user, incident=incident),
        "Paging stopped.",
    )
    return redirect("ui:incident-room", number=incident.number)


@login_required
def health(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    try:
        weeks = max(1, min(int(request.GET.get("weeks", 4)), 26))
    except ValueError:
        weeks = 4
    team = Team.objects.filter(slug=request.GET.get("team", "")).first()
    end = timezone.now()
    return render(
        request,
        "oncall/health.html",
        {
            "report": reports.health_report(team=team, start=end - timedelta(weeks=weeks), end=end),
            "weeks": weeks,
            "team": team,
            "teams": Team.objects.all(),
        },
    )


@require_http_methods(["GET", "POST"])
def page_acknowledge_link(request: HttpRequest, token: str) -> HttpResponse:
    """The one-click acknowledge link of a page. A GET only shows the button, because
    mail scanners follow links; the click (a POST) acknowledges as the paged person."""
    try:
        page = services.page_from_token(token)
    except KeelError as error:
        return render(request, "oncall/page_ack.html", {"error": error.message}, status=400)
    done = None
    if request.method == "POST":
        try:
            services.page_acknowledge(page=page)
        except KeelError as error:
            return render(
                request, "oncall/page_ack.html", {"error": error.message, "page": page}, status=400
            )
        done = True
        page.incident.refresh_from_db()
    context = {
        "page": page,
        "incident": page.incident,
        "done": done,
        "holder": incident_holder(incident=page.incident),
    }
    return render(request, "oncall/page_ack.html", context)
