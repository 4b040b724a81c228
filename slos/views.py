"""Server-rendered pages for SLOs, services and the weekly report: read, then render."""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from catalog.models import Service
from core.actors import Actor
from core.roles import Role
from slos.models import SLO, GateBypass

from . import selectors, services
from .durations import duration_text
from .errors import SloError
from .forms import BypassForm, CorrectionForm, SloForm
from .report import weekly_report
from .services import gate_check
from .sla import sla_months, sla_zone

PAGE_SIZE = 50


@login_required
def slo_list_view(request: HttpRequest) -> HttpResponse:
    """Every SLO with its budget, worst first when asked (`?order=risk`), 50 a page."""
    slos = selectors.slo_list(user=request.user)
    service = request.GET.get("service", "")
    if service:
        slos = slos.filter(service__slug=service)
    if request.GET.get("order") == "risk":
        slos = slos.order_by(F("status__remaining").asc(nulls_first=True), "service__slug", "name")
    page = Paginator(slos, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "slos/list.html", {"slos": page.object_list, "page": page})


@login_required
def slo_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        slo = selectors.slo_get(user=request.user, pk=pk)
    except SLO.DoesNotExist:
        raise Http404 from None
    status = getattr(slo, "status", None)
    windows = [
        {
            "window": w,
            "long_burn": (status.burn_rates or {}).get(duration_text(w.long)) if status else None,
            "short_burn": (status.burn_rates or {}).get(duration_text(w.short)) if status else None,
            "firing": bool(status and any(f["name"] == w.name for f in status.firing or [])),
        }
        for w in slo.windows()
    ]
    return render(
        request,
        "slos/detail.html",
        {
            "slo": slo,
            "status": status,
            "ledger": selectors.slo_ledger(user=request.user, slo=slo),
            "charts": selectors.slo_charts(user=request.user, slo=slo),
            "windows": windows,
        },
    )


@login_required
def service_view(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        service = selectors.service_get(user=request.user, slug=slug)
    except Service.DoesNotExist:
        raise Http404 from None
    incidents = selectors.service_debits(user=request.user, service=service)
    return render(
        request,
        "slos/service.html",
        {
            "service": service,
            "slos": list(service.slos.all()),
            "gate": gate_check(service=service),
            "bypasses": selectors.service_bypasses(user=request.user, service=service),
            "incidents": incidents,
            "sla": sla_months(service=service, months=3, at=timezone.now(), zone=sla_zone(service)),
            "sla_zone": sla_zone(service),
        },
    )


@login_required
def report_view(request: HttpRequest) -> HttpResponse:
    sent = selectors.weekly_reports_sent(user=request.user)
    return render(
        request, "slos/report.html", {"report": weekly_report(at=timezone.now()), "sent": sent}
    )


def _service_or_404(request: HttpRequest, slug: str) -> Service:
    try:
        return selectors.service_get(user=request.user, slug=slug)
    except Service.DoesNotExist:
        raise Http404 from None


def _slo_form(
    request: HttpRequest,
    slo: SLO | None,
    initial: Callable[[], dict[str, Any]],
    save: Callable[[SloForm], SLO],
    done: str,
) -> HttpResponse:
    """The SLO form: filled from `initial()` on GET; on POST validated and saved with one
    service, then the SLO's page; bad input is shown again with the error next to its field."""
    if request.method != "POST":
        form = SloForm(initial=initial())
        return render(request, "slos/slo_form.html", {"form": form, "slo": slo})
    form = SloForm(request.POST)
    if form.is_valid():
        try:
            saved = save(form)
        except SloError as error:
            form.add_service_error(error)
        else:
            messages.success(request, f"SLO {saved.name} {done}.")
            return redirect("slos:detail", saved.pk)
    return render(request, "slos/slo_form.html", {"form": form, "slo": slo}, status=400)


@login_required
def slo_create_view(request: HttpRequest) -> HttpResponse:
    """Define a new SLO (admins)."""
    actor = Actor.of(request.user)
    actor.require(Role.ADMIN)
    return _slo_form(
        request,
        None,
        lambda: {"service": request.GET.get("service", "")},
        lambda form: services.slo_create(
            actor=actor, service=form.cleaned_data["service"], **form.slo_fields()
        ),
        "created",
    )


@login_required
def slo_edit_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Change an SLO's definition (admins); its next evaluation uses the new one."""
    actor = Actor.of(request.user)
    actor.require(Role.ADMIN)
    try:
        slo = selectors.slo_get(user=request.user, pk=pk)
    except SLO.DoesNotExist:
        raise Http404 from None
    return _slo_form(
        request,
        slo,
        lambda: SloForm.initial_of(slo),
        lambda form: services.slo_update(
            actor=actor, slo=slo, service=form.cleaned_data["service"], **form.slo_fields()
        ),
        "saved",
    )


@login_required
def correction_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Leave a period (maintenance, drill) out of one SLO or every SLO of the service (admins)."""
    actor = Actor.of(request.user)
    actor.require(Role.ADMIN)
    service = _service_or_404(request, slug)
    if request.method != "POST":
        form = CorrectionForm(service=service, initial={"slo": request.GET.get("slo")})
        return render(request, "slos/correction_form.html", {"form": form, "service": service})
    form = CorrectionForm(request.POST, service=service)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.correction_create(
                actor=actor,
                start=data["start"],
                end=data["end"],
                category=data["category"],
                reason=data["reason"],
                **form.target(),
            )
        except SloError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Correction recorded.")
            slo = data.get("slo")
            return redirect("slos:detail", slo.pk) if slo else redirect("slos:service", slug)
    return render(
        request, "slos/correction_form.html", {"form": form, "service": service}, status=400
    )


@login_required
def bypass_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Record a hotfix or security-fix bypass of the deployment gate (responders, admins)."""
    actor = Actor.of(request.user)
    actor.require(Role.RESPONDER)
    service = _service_or_404(request, slug)
    if request.method != "POST":
        form = BypassForm()
        return render(request, "slos/bypass_form.html", {"form": form, "service": service})
    form = BypassForm(request.POST)
    if form.is_valid():
        try:
            services.gate_bypass_create(actor=actor, service=service, **form.cleaned_data)
        except SloError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Bypass recorded; the gate lets deployments through.")
            return redirect("slos:service", slug)
    return render(request, "slos/bypass_form.html", {"form": form, "service": service}, status=400)


@login_required
@require_POST
def bypass_revoke_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """End a bypass early (responders, admins)."""
    actor = Actor.of(request.user)
    actor.require(Role.RESPONDER)
    try:
        bypass = selectors.bypass_get(user=request.user, pk=pk)
    except GateBypass.DoesNotExist:
        raise Http404 from None
    if bypass.service.slug != slug:
        raise Http404
    try:
        services.gate_bypass_revoke(actor=actor, bypass=bypass)
    except SloError as error:
        messages.error(request, error.message)
    else:
        report = services.gate_check(service=bypass.service)
        messages.success(request, services.gate_revoked_text(report))
    return redirect("slos:service", slug)
