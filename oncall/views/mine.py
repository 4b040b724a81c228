"""My on-call: my shifts, pages and handoffs, and my contact methods."""

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import KeelError
from core.forms import attach_error
from oncall import reports, selectors, services
from oncall.forms import ContactMethodForm
from oncall.models import CalendarFeed, ContactMethod

from ._common import require_viewer


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    require_viewer(request)
    me: Any = request.user
    form = ContactMethodForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_method_create(
                user=request.user, owner=request.user, **form.cleaned_data
            )
        except KeelError as error:
            attach_error(form, error)
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
