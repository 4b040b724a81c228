"""The on-call home page: who is on call now and next, team by team."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.models import Team
from oncall import selectors

from ._common import require_viewer


@login_required
def home(request: HttpRequest) -> HttpResponse:
    require_viewer(request)
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
