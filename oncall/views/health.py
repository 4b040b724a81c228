"""On-call health: pages per person and week, off-hours pages, the noisiest alerts."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from catalog.models import Team
from oncall import reports

from ._common import require_viewer


@login_required
def health(request: HttpRequest) -> HttpResponse:
    require_viewer(request)
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
