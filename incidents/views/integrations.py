"""Integrations (admins): create, disable, rotate the token, deliveries and replay."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.actors import Actor
from core.errors import KeelError
from core.forms import attach_error

from .. import services
from ..forms import IntegrationForm
from ..models import Delivery, Integration
from ..selectors import deliveries_failed, delivery_list, integration_list
from .common import html_not_found

NEW_TOKEN_KEY = "keel_new_integration_token"
RECENT_DELIVERIES = 50


def receiver_yaml(token: str) -> str:
    """An Alertmanager receiver that posts to this Keel with the given token."""
    url = settings.KEEL_BASE_URL.rstrip("/") + reverse("alertmanager-webhook")
    return (
        "receivers:\n"
        "  - name: keel\n"
        "    webhook_configs:\n"
        f"      - url: {url}\n"
        "        send_resolved: true\n"
        "        max_alerts: 0\n"
        "        http_config:\n"
        "          authorization:\n"
        "            type: Bearer\n"
        f"            credentials: {token}\n"
    )


def _get(request: HttpRequest, pk: int) -> Integration:
    found = integration_list(user=request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such integration.")
    return found


def _show_token_once(request: HttpRequest, integration: Integration, token: str) -> None:
    request.session[NEW_TOKEN_KEY] = {"integration": integration.pk, "token": token}


@html_not_found
@login_required
def integration_list_view(request: HttpRequest) -> HttpResponse:
    integrations = integration_list(user=request.user)
    if request.method == "POST":
        form = IntegrationForm(request.POST)
        if form.is_valid():
            try:
                integration, token = services.integration_create(
                    actor=Actor.of(request.user), **form.service_kwargs()
                )
            except KeelError as exc:
                attach_error(form, exc)
            else:
                _show_token_once(request, integration, token)
                messages.success(request, f"Integration {integration.name} created.")
                return redirect("ui:integration-detail", pk=integration.pk)
        status = 400
    else:
        form = IntegrationForm()
        status = 200
    return render(
        request,
        "incidents/integrations.html",
        {"integrations": list(integrations), "form": form},
        status=status,
    )


@html_not_found
@login_required
def integration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    integration = _get(request, pk)
    new = request.session.pop(NEW_TOKEN_KEY, None)
    token = new["token"] if new and new.get("integration") == integration.pk else None
    deliveries = list(delivery_list(user=request.user, integration=integration)[:RECENT_DELIVERIES])
    failed = deliveries_failed(user=request.user, integration=integration)
    return render(
        request,
        "incidents/integration_detail.html",
        {
            "integration": integration,
            "token": token,
            "receiver_yaml": receiver_yaml(token) if token else None,
            "deliveries": deliveries,
            "failed_deliveries": list(failed[:RECENT_DELIVERIES]),
            "failed_total": failed.count(),
            "webhook_url": settings.KEEL_BASE_URL.rstrip("/") + reverse("alertmanager-webhook"),
        },
    )


@html_not_found
@login_required
@require_POST
def integration_enabled(request: HttpRequest, pk: int) -> HttpResponse:
    integration = _get(request, pk)
    enabled = request.POST.get("enabled") == "1"
    services.integration_set_enabled(
        integration=integration, enabled=enabled, actor=Actor.of(request.user)
    )
    messages.success(request, f"{integration.name} {'enabled' if enabled else 'disabled'}.")
    return redirect("ui:integration-detail", pk=integration.pk)


@html_not_found
@login_required
@require_POST
def integration_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    integration = _get(request, pk)
    integration, token = services.integration_rotate_token(
        integration=integration, actor=Actor.of(request.user)
    )
    _show_token_once(request, integration, token)
    messages.success(request, "New token issued; the old one no longer works.")
    return redirect("ui:integration-detail", pk=integration.pk)


@html_not_found
@login_required
@require_POST
def delivery_replay(request: HttpRequest, pk: int, delivery_id: int) -> HttpResponse:
    integration = _get(request, pk)
    delivery = Delivery.objects.filter(integration=integration, pk=delivery_id).first()
    if delivery is None:
        raise Http404("No such delivery.")
    try:
        services.delivery_replay(delivery=delivery, actor=Actor.of(request.user))
    except KeelError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Delivery {delivery.pk} queued for processing again.")
    return redirect("ui:integration-detail", pk=integration.pk)


@html_not_found
@login_required
@require_POST
def deliveries_replay_failed(request: HttpRequest, pk: int) -> HttpResponse:
    integration = _get(request, pk)
    count = services.deliveries_replay_failed(integration=integration, actor=Actor.of(request.user))
    if count:
        messages.success(
            request,
            f"{count} failed deliver{'y' if count == 1 else 'ies'} queued for processing again.",
        )
    else:
        messages.info(request, "No failed delivery to replay.")
    return redirect("ui:integration-detail", pk=integration.pk)
