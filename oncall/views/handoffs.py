"""A handoff page: the shift report, the outgoing person's notes, the incoming acknowledge."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from core.errors import KeelError
from oncall import reports, selectors, services
from oncall.forms import NotesForm
from oncall.models import Handoff

from ._common import require_viewer


@login_required
@require_http_methods(["GET", "POST"])
def handoff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    require_viewer(request)
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
            "report": reports.handoff_report(handoff, user=request.user),
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
