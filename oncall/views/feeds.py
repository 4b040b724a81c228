"""Calendar feeds: create and revoke a secret iCal URL, and serve the calendar behind it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import KeelError
from oncall import ical, services
from oncall.models import CalendarFeed

from ._common import attempt, schedule_or_404


@login_required
@require_POST
def feed_new(request: HttpRequest) -> HttpResponse:
    schedule = None
    if request.POST.get("schedule", "").isdigit():
        schedule = schedule_or_404(request, int(request.POST["schedule"]))
    try:
        _, token = services.feed_create(
            user=request.user, schedule=schedule, person=None if schedule else request.user
        )
    except KeelError as error:
        messages.error(request, error.message)
        return redirect("oncall:mine")
    request.session["oncall_new_feed_url"] = request.build_absolute_uri(
        reverse("oncall:ical", kwargs={"token": token})
    )
    messages.success(request, "Calendar feed created. Copy its URL now: it is shown only once.")
    return redirect("oncall:schedule", pk=schedule.pk) if schedule else redirect("oncall:mine")


@login_required
@require_POST
def feed_remove(request: HttpRequest, pk: int) -> HttpResponse:
    feed = get_object_or_404(CalendarFeed, pk=pk)
    attempt(
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
