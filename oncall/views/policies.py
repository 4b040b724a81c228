"""The escalation policy editor: a policy's name, repeats, services and ordered steps."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from catalog.models import Team
from catalog.selectors import services_owned
from core.errors import KeelError
from core.forms import attach_error
from oncall import selectors, services
from oncall.forms import PolicyForm, step_formset
from oncall.models import EscalationPolicy

from ._common import require_viewer


@login_required
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    require_viewer(request)
    team = get_object_or_404(Team, slug=slug)
    policy = get_object_or_404(EscalationPolicy, pk=pk, team=team) if pk else None
    initial = (
        {
            "name": policy.name,
            "repeat": policy.repeat,
            "is_default": policy.is_default,
            "services": list(policy.services.all()),
        }
        if policy
        else None
    )
    form = PolicyForm(request.POST or None, initial=initial)
    services_field = form.fields["services"]
    assert isinstance(services_field, forms.ModelMultipleChoiceField)
    services_field.queryset = services_owned(team=team)
    steps = step_formset(request.POST or None, team=team, policy=policy)
    status = 200
    if request.method == "POST":
        if not selectors.can_configure(request.user):
            raise PermissionDenied("This needs the admin role.")
        if form.is_valid() and steps.is_valid():
            try:
                if policy is None:
                    policy = services.policy_create(
                        user=request.user, team=team, steps=steps.specs(), **form.cleaned_data
                    )
                else:
                    services.policy_update(
                        user=request.user, policy=policy, steps=steps.specs(), **form.cleaned_data
                    )
            except KeelError as error:
                attach_error(form, error)
            else:
                messages.success(request, "Escalation policy saved.")
                return redirect("oncall:policy-edit", slug=team.slug, pk=policy.pk)
        status = 400
    return render(
        request,
        "oncall/policy.html",
        {
            "team": team,
            "policy": policy,
            "form": form,
            "steps": steps,
            "can_configure": selectors.can_configure(request.user),
        },
        status=status,
    )
