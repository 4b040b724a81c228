"""Stopping pages: a responder's acknowledge on the incident room, and the one-click link."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import KeelError
from incidents.selectors import incident_find, incident_holder
from oncall import services

from ._common import attempt


@login_required
@require_POST
def incident_pages_acknowledge(request: HttpRequest, number: int) -> HttpResponse:
    """Stop the escalation restarted by a reopen (responders)."""
    try:
        incident = incident_find(user=request.user, number=number)
    except ObjectDoesNotExist as exc:
        raise Http404("No such incident.") from exc
    attempt(
        request,
        lambda: services.escalation_acknowledge(user=request.user, incident=incident),
        "Paging stopped.",
    )
    return redirect("ui:incident-room", number=incident.number)


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
