"""The incident room, its actions, and the declare form. Every action is a plain POST
form (redirect after success; on bad input the room is shown again with the error next
to the field and the input kept); HTMX only refreshes the live parts."""

import hashlib
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.actors import Actor
from core.bounds import page_number
from core.errors import KeelConflict, KeelError
from core.forms import attach_error

from .. import services
from ..choices import OPEN_STATUSES, TRANSITIONS, Status
from ..forms import (
    ActionForm,
    CorrectTimeForm,
    DeclareForm,
    DetailsForm,
    NoteForm,
    PinForm,
    ReopenForm,
    ResolveForm,
    ResponderForm,
    SeverityForm,
    StatusForm,
)
from ..models import Alert, Incident, TimelineEntry
from ..selectors import (
    TimelineWindow,
    incident_alerts,
    incident_get,
    incident_head,
    incident_timeline_window,
)
from .common import find_incident, html_not_found

FORMS: dict[str, type[forms.Form]] = {
    "acknowledge": ActionForm,
    "command": ActionForm,
    "close": ActionForm,
    "status": StatusForm,
    "severity": SeverityForm,
    "note": NoteForm,
    "responder": ResponderForm,
    "details": DetailsForm,
    "correct": CorrectTimeForm,
    "resolve": ResolveForm,
    "reopen": ReopenForm,
}


def _load(request: HttpRequest, number: int) -> Incident:
    try:
        return incident_get(user=request.user, number=number)
    except Incident.DoesNotExist:
        raise Http404(f"No incident INC-{number}.") from None


ROOM_ALERTS = 50  # alerts on one page of the room, firing first
ROOM_TIMELINE = 50  # timeline entries on one page of the room, from the newest
ROOM_PINNED = 100  # pinned entries shown besides the page (the newest)


def _room_link(incident: Incident, anchor: str, state: dict[str, Any], **changes: Any) -> str:
    """The room's address at the list positions `state` (alerts page, timeline page,
    order) with `changes` applied, defaults left out: links that work without JavaScript."""
    params = {**state, **changes}
    kept = {k: v for k, v in params.items() if v not in (None, "", 1, "newest")}
    query = f"?{urlencode(kept)}" if kept else ""
    return f"{_room_url(incident)}{query}#{anchor}"


def _live_context(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """The alerts and timeline of the room, one page of each: the same few queries whatever
    the incident's size, with exact counts."""
    newest_first = request.GET.get("order", "newest") != "oldest"
    counts: dict[str, int] = incident.alert_counts  # type: ignore[attr-defined]
    alert_pages = max(1, -(-counts["total"] // ROOM_ALERTS))
    alert_page = min(page_number(request.GET.get("alerts")), alert_pages)
    offset = (alert_page - 1) * ROOM_ALERTS
    alerts = list(incident_alerts(incident=incident)[offset : offset + ROOM_ALERTS])
    window = incident_timeline_window(
        incident=incident,
        page=page_number(request.GET.get("timeline")),
        size=ROOM_TIMELINE,
        pinned_limit=ROOM_PINNED,
    )
    timeline = list(window.entries)
    if newest_first:
        timeline.reverse()

    state = {
        "order": "newest" if newest_first else "oldest",
        "alerts": alert_page,
        "timeline": window.page,
    }

    def link(anchor: str, **changes: Any) -> str:
        return _room_link(incident, anchor, state, **changes)

    return {
        "incident": incident,
        "timeline": timeline,
        "timeline_window": window,
        "pinned_elsewhere": window.pinned_elsewhere,
        "newest_first": newest_first,
        "alerts": alerts,
        "alert_counts": counts,
        "firing": counts["firing"],
        "alerts_first_shown": offset + 1 if alerts else 0,
        "alerts_last_shown": offset + len(alerts),
        "alert_page": alert_page,
        "alert_pages": alert_pages,
        "alerts_previous_url": link("alerts", alerts=alert_page - 1) if alert_page > 1 else "",
        "alerts_next_url": (
            link("alerts", alerts=alert_page + 1) if alert_page < alert_pages else ""
        ),
        "timeline_newer_url": (
            link("timeline", timeline=window.page - 1) if window.page > 1 else ""
        ),
        "timeline_older_url": (
            link("timeline", timeline=window.page + 1) if window.page < window.pages else ""
        ),
        "timeline_newest_url": link("timeline", timeline=1) if window.page > 2 else "",
        "timeline_oldest_url": (
            link("timeline", timeline=window.pages) if window.page < window.pages - 1 else ""
        ),
        "order_newest_url": link("timeline", order="newest"),
        "order_oldest_url": link("timeline", order="oldest"),
        "live_query": urlencode(state),
        "stamp": _stamp(window, alerts, counts),
    }


def _stamp(window: TimelineWindow, alerts: list[Alert], counts: dict[str, int]) -> str:
    """A short digest of what the live part shows, so an unchanged part is not redrawn
    (redrawing would move the keyboard focus and the screen reader's place)."""
    digest = hashlib.sha256()
    digest.update(f"t{window.total}:{window.pages}:{window.pinned_total};".encode())
    digest.update(";".join(f"{k}={v}" for k, v in sorted(counts.items())).encode())
    for entry in sorted([*window.entries, *window.pinned_elsewhere], key=lambda e: e.pk):
        digest.update(f"e{entry.pk}:{int(entry.pinned)};".encode())
    for alert in alerts:
        digest.update(f"a{alert.pk}:{alert.status}:{alert.last_seen_at.isoformat()};".encode())
    return digest.hexdigest()[:16]


def _actions_state(incident: Incident) -> str:
    """What decides which actions the room offers: when it differs from the state the
    page was loaded in, the header says the actions below are out of date."""
    return f"{incident.status}.{int(incident.awaiting_acknowledgement)}"


def _head_context(incident: Incident, loaded: str) -> dict[str, Any]:
    current = _actions_state(incident)
    if not re.fullmatch(r"[a-z]{1,20}\.[01]", loaded):
        loaded = current
    return {
        "incident": incident,
        "head_stamp": _head_stamp(incident) + ("" if loaded == current else "-stale"),
        "actions_loaded": loaded,
        "actions_stale": loaded != current,
    }


def _head_stamp(incident: Incident) -> str:
    """A digest of what the room's header shows; running durations tick in the browser and
    are left out, so an unchanged header is answered with 204 and not redrawn."""
    shown = [
        incident.title,
        incident.summary,
        incident.status,
        incident.severity,
        incident.kind,
        incident.started_at.isoformat(),
        incident.detected_at.isoformat(),
        incident.acknowledged_at.isoformat() if incident.acknowledged_at else "",
        incident.last_acknowledged_at.isoformat() if incident.last_acknowledged_at else "",
        incident.resolved_at.isoformat() if incident.resolved_at else "",
        incident.acknowledged_by.get_username() if incident.acknowledged_by else "",
        incident.commander.get_username() if incident.commander else "",
        ",".join(sorted(u.get_username() for u in incident.responders.all())),
        ",".join(sorted(f"{s.slug}:{s.name}" for s in incident.services.all())),
        incident.integration.name if incident.integration else "",
        str(incident.previous_id or ""),
    ]
    return hashlib.sha256("\x1f".join(shown).encode()).hexdigest()[:16]


def _redrawn(form: forms.Form, initial: dict[str, Any], message: str) -> forms.Form:
    """The form refused as stale, drawn again from the incident's current state (what the
    person typed in other fields kept) with the refusal above it."""
    state = set(getattr(form, "state_fields", ()))
    kept = {k: v for k, v in form.cleaned_data.items() if k not in state and k != "version"}
    fresh = type(form)(initial={**kept, **initial}, prefix=form.prefix)
    # An unbound form keeps its initial values; give it an error list to show the refusal.
    fresh.cleaned_data = {}
    fresh._errors = ErrorDict()  # type: ignore[attr-defined]
    fresh.add_error(None, message)
    return fresh


def _room(
    request: HttpRequest,
    number: int,
    bound: dict[str, forms.Form] | None = None,
    status: int = 200,
    conflict: KeelConflict | None = None,
) -> HttpResponse:
    incident = _load(request, number)
    bound = bound or {}
    services_ids = [s.pk for s in incident.services.all()]
    initial: dict[str, dict[str, Any]] = {
        "severity": {"severity": incident.severity},
        "details": {
            "title": incident.title,
            "summary": incident.summary,
            "services": services_ids,
        },
    }
    room_forms: dict[str, forms.Form] = {}
    for name, form_class in FORMS.items():
        current = {**initial.get(name, {}), "version": incident.version}  # type: ignore[attr-defined]
        form = bound.get(name)
        if form is not None and conflict is not None:
            form = _redrawn(form, current, conflict.message)
        room_forms[name] = form or form_class(initial=current, prefix=name)
    next_statuses = [
        (value, Status(value).label)
        for value in TRANSITIONS[incident.status]
        if value in OPEN_STATUSES
    ]
    room_forms["status"].fields["status"].choices = next_statuses  # type: ignore[attr-defined]
    context = {
        **_live_context(request, incident),
        **_head_context(incident, _actions_state(incident)),
        "forms": room_forms,
        "next_statuses": next_statuses,
        "version": incident.version,  # type: ignore[attr-defined]
        "is_commander": incident.commander_id == request.user.pk,
        "is_responder": any(u.pk == request.user.pk for u in incident.responders.all()),
        "open": incident.is_open,
    }
    return render(request, "incidents/room.html", context, status=status)


@html_not_found
@login_required
def incident_room(request: HttpRequest, number: int) -> HttpResponse:
    return _room(request, number)


@html_not_found
@login_required
def incident_live(request: HttpRequest, number: int) -> HttpResponse:
    """The parts of the room that change on their own: alerts and timeline."""
    incident = _load(request, number)
    context = _live_context(request, incident)
    if request.GET.get("v") == context["stamp"]:
        return HttpResponse(status=204)  # nothing new: HTMX leaves the page alone
    return render(request, "incidents/_room_live.html", context)


@html_not_found
@login_required
def incident_head_live(request: HttpRequest, number: int) -> HttpResponse:
    """The room's header (badges, acknowledgement, commander, responders), polled so that
    what others change shows without a reload. It holds no form, so a poll never takes
    away what the user is typing elsewhere in the room."""
    try:
        incident = incident_head(user=request.user, number=number)
    except Incident.DoesNotExist:
        raise Http404(f"No incident INC-{number}.") from None
    context = _head_context(incident, request.GET.get("actions", ""))
    if request.GET.get("v") == context["head_stamp"]:
        return HttpResponse(status=204)
    return render(request, "incidents/_room_head.html", context)


def _room_url(incident: Incident) -> str:
    return reverse("ui:incident-room", args=[incident.number])


Apply = Callable[[Incident, dict[str, Any], Actor], Any]


def _act(request: HttpRequest, number: int, name: str, apply: Apply, done: str) -> HttpResponse:
    """Validate the named form, call one service, redirect back to the room. A change based
    on a stale page is refused: the room is drawn again from the current state (409)."""
    incident = find_incident(request.user, number)
    form = FORMS[name](request.POST, prefix=name)
    if form.is_valid():
        try:
            apply(incident, form.cleaned_data, Actor.of(request.user))
        except KeelConflict as conflict:
            if not _shows_errors(form):
                messages.error(request, conflict.message)
            return _room(request, number, bound={name: form}, status=409, conflict=conflict)
        except KeelError as exc:
            if not _shows_errors(form):
                messages.error(request, exc.message)
                return redirect(_room_url(incident))
            attach_error(form, exc)
        else:
            messages.success(request, done)
            return redirect(_room_url(incident))
    elif not _shows_errors(form):
        messages.error(request, "This form was damaged; reload the page and try again.")
        return redirect(_room_url(incident))
    return _room(request, number, bound={name: form}, status=400)


def _shows_errors(form: forms.Form) -> bool:
    """Whether the form has fields of its own to show an error with (a bare button does not)."""
    return any(not field.is_hidden for field in form)


def _action(name: str, apply: Apply, done: str) -> Callable[..., HttpResponse]:
    """A room action as a view: a signed-in POST that goes through `_act`, a missing incident
    answered with a page."""

    @html_not_found
    @login_required
    @require_POST
    def view(request: HttpRequest, number: int) -> HttpResponse:
        return _act(request, number, name, apply, done)

    return view


acknowledge = _action(
    "acknowledge",
    lambda i, d, a: services.incident_acknowledge(incident=i, actor=a, based_on=d["version"]),
    "Acknowledged.",
)
set_status = _action(
    "status",
    lambda i, d, a: services.incident_set_status(
        incident=i, status=d["status"], note=d["note"], actor=a, based_on=d["version"]
    ),
    "Status changed.",
)
set_severity = _action(
    "severity",
    lambda i, d, a: services.incident_set_severity(
        incident=i, severity=d["severity"], actor=a, based_on=d["version"]
    ),
    "Severity changed.",
)
take_command = _action(
    "command",
    lambda i, d, a: services.incident_assign_commander(
        incident=i, commander=a.user, actor=a, based_on=d["version"]
    ),
    "You are the incident commander.",
)
add_responder = _action(
    "responder",
    lambda i, d, a: services.incident_add_responder(
        incident=i, user=d["username"], actor=a, based_on=d["version"]
    ),
    "Responder added.",
)
remove_responder = _action(
    "responder",
    lambda i, d, a: services.incident_remove_responder(
        incident=i, user=d["username"], actor=a, based_on=d["version"]
    ),
    "Responder removed.",
)
add_note = _action(
    "note",
    lambda i, d, a: services.incident_add_note(
        incident=i, text=d["text"], pinned=d["pinned"], actor=a
    ),
    "Note added.",
)
edit_details = _action(
    "details",
    lambda i, d, a: services.incident_update_details(
        incident=i,
        title=d["title"],
        summary=d["summary"],
        services=list(d["services"]),
        actor=a,
        based_on=d["version"],
    ),
    "Details saved.",
)
correct_time = _action(
    "correct",
    lambda i, d, a: services.incident_correct_time(
        incident=i,
        field=d["field"],
        value=d["value"],
        reason=d["reason"],
        actor=a,
        based_on=d["version"],
    ),
    "Time corrected.",
)
resolve = _action(
    "resolve",
    lambda i, d, a: services.incident_resolve(
        incident=i, note=d["note"], actor=a, based_on=d["version"]
    ),
    "Resolved.",
)
reopen = _action(
    "reopen",
    lambda i, d, a: services.incident_reopen(
        incident=i, reason=d["reason"], actor=a, based_on=d["version"]
    ),
    "Reopened.",
)
close = _action(
    "close",
    lambda i, d, a: services.incident_close(incident=i, actor=a, based_on=d["version"]),
    "Closed.",
)


@html_not_found
@login_required
@require_POST
def pin_entry(request: HttpRequest, number: int, entry_id: int) -> HttpResponse:
    incident = find_incident(request.user, number)
    entry = TimelineEntry.objects.filter(incident=incident, pk=entry_id).first()
    if entry is None:
        raise Http404("No such timeline entry.")
    form = PinForm(request.POST)
    form.is_valid()
    pinned = bool(form.cleaned_data.get("pinned"))
    services.timeline_entry_set_pinned(entry=entry, pinned=pinned, actor=Actor.of(request.user))
    messages.success(request, "Pinned for the postmortem." if pinned else "Unpinned.")
    return redirect(f"{_room_url(incident)}#entry-{entry.pk}")


@html_not_found
@login_required
def declare(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = DeclareForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = services.incident_declare(
                    actor=Actor.of(request.user),
                    title=data["title"],
                    severity=data["severity"],
                    summary=data["summary"],
                    services=list(data["services"]),
                    kind=data["kind"],
                )
            except KeelError as exc:
                attach_error(form, exc)
            else:
                messages.success(request, f"{incident.reference} declared.")
                return redirect(_room_url(incident))
        return render(request, "incidents/declare.html", {"form": form}, status=400)
    return render(request, "incidents/declare.html", {"form": DeclareForm()})
