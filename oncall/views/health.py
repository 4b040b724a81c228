"""On-call health: pages per person and week, off-hours pages, the noisiest alerts."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from catalog.selectors import team_by_slug, team_list
from oncall import reports

from ._common import require_viewer


@login_required
def health(request: HttpRequest) -> HttpResponse:
    require_viewer(request)
    try:
        weeks = max(1, min(int(request.GET.get("weeks", 4)), 26))
    except ValueError:
        weeks = 4
    team = team_by_slug(user=request.user, slug=request.GET.get("team", ""))
    end = timezone.now()
    return render(
        request,
        "oncall/health.html",
        {
            "report": reports.health_report(
                team=team, start=end - timedelta(weeks=weeks), end=end, user=request.user
            ),
            "weeks": weeks,
            "team": team,
            "teams": team_list(user=request.user),
        },
    )
