"""Team pages: a team's schedules and policies, and the team editor (admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from catalog.models import Team
from core.errors import KeelError
from core.forms import attach_error
from oncall import selectors, services
from oncall.forms import ScheduleForm, TeamForm

from ._common import require_viewer


@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    require_viewer(request)
    team = get_object_or_404(Team, slug=slug)
    schedules = list(selectors.schedule_list(user=request.user, team=team))
    form = ScheduleForm(request.POST or None, initial={"time_zone": team.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            schedule = services.schedule_create(user=request.user, team=team, **form.cleaned_data)
        except KeelError as error:
            attach_error(form, error)
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
    require_viewer(request)
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
            attach_error(form, error)
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
