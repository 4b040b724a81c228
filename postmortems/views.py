"""Postmortem pages: the editor (section by section, live preview, autosave), review,
versions, documents and downloads, the postmortems list and the action-items board.

Every change is a plain POST form that works without JavaScript; HTMX makes the editor
save and preview as people type.
"""

from datetime import date
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from catalog.selectors import team_choices
from core import forms as bounded
from core.actors import Actor
from core.bounds import COUNT_MAX
from core.errors import KeelError
from core.forms import attach_error
from core.roles import Role, role_of
from incidents.models import Incident
from incidents.selectors import incident_find
from postmortems import blameless, markdown
from postmortems import services as pm
from postmortems.lookups import document_filename, document_version_or_404
from postmortems.models import (
    ActionKind,
    ActionPriority,
    ActionStatus,
    Postmortem,
    PostmortemVersion,
)
from postmortems.render import PAPERS, document_context, image_hosts, to_markdown
from postmortems.sections import SECTION_KEYS, SECTIONS
from postmortems.selectors import (
    action_item_list,
    postmortem_for_incident,
    postmortem_list,
    postmortem_version_get,
)

User = get_user_model()


# --- forms ------------------------------------------------------------------------------


class FiguresForm(forms.Form):
    users_affected = forms.IntegerField(min_value=0, max_value=COUNT_MAX, required=False)
    failed_requests = forms.IntegerField(min_value=0, max_value=COUNT_MAX, required=False)
    revenue_impact = forms.DecimalField(
        min_value=0, max_digits=14, decimal_places=2, required=False
    )
    revenue_currency = forms.CharField(max_length=3, required=False)
    # The figures the page was drawn with: a save over figures changed since is refused.
    drawn = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)


class ReviewRequestForm(forms.Form):
    reviewers = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )


class ReviewForm(forms.Form):
    comment = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("comment", "Comment only")])


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=300)
    priority = forms.ChoiceField(choices=ActionPriority.choices, initial=ActionPriority.P1)
    kind = forms.ChoiceField(choices=ActionKind.choices)
    owner = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        to_field_name="username",
        required=False,
    )
    team = forms.ModelChoiceField(
        queryset=team_choices(ordering="slug"), to_field_name="slug", required=False
    )
    due_on = bounded.DateField(required=False)
    tracker_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class BoardFilterForm(forms.Form):
    owner = forms.CharField(required=False)
    team = forms.CharField(required=False)
    priority = forms.ChoiceField(choices=[("", "Any"), *ActionPriority.choices], required=False)
    status = forms.ChoiceField(
        choices=[("open", "Open or in progress"), ("", "Any"), *ActionStatus.choices],
        required=False,
    )
    overdue = forms.BooleanField(required=False)


# --- helpers ----------------------------------------------------------------------------


def _incident(request: HttpRequest, number: int) -> Incident:
    return incident_find(user=request.user, number=number)  # a missing one is a 404


def _postmortem(request: HttpRequest, number: int) -> Postmortem:
    try:
        return postmortem_for_incident(user=request.user, number=number)
    except Postmortem.DoesNotExist:
        raise Http404(f"INC-{number} has no postmortem yet.") from None


def _editor_url(number: int) -> str:
    return reverse("postmortems:editor", args=[number])


def _names(postmortem: Postmortem) -> list[str]:
    facts = postmortem.facts.get("incident", {})
    return [n for n in [facts.get("commander"), *facts.get("responders", [])] if n]


def _preview(body: str, names: list[str]) -> dict[str, Any]:
    return {
        "html": mark_safe(markdown.render(body, image_hosts=image_hosts())),  # noqa: S308  (sanitized by nh3)
        "suggestions": blameless.check(body, names=names),
    }


def _editor(
    request: HttpRequest, postmortem: Postmortem, status: int = 200, **forms_: Any
) -> HttpResponse:
    by_key = {s.key: s for s in postmortem.sections.all()}
    names = _names(postmortem)
    sections = []
    for spec in SECTIONS:
        section = by_key.get(spec.key)
        body = section.body if section else ""
        sections.append(
            {"spec": spec, "section": section, "body": body, "preview": _preview(body, names)}
        )
    items = action_item_list(user=request.user, incident_number=postmortem.incident.number)
    reviewers = list(postmortem.reviewers.all())
    context = {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "sections": sections,
        "action_items": items,
        "reviewers": reviewers,
        "my_review": next((r for r in reviewers if r.user_id == request.user.pk), None),
        "versions": list(postmortem.versions.all()),
        "blockers": pm.publish_blockers(postmortem) if postmortem.status == "in_review" else [],
        "can_act": role_of(request.user) >= Role.RESPONDER,
        "figures_form": forms_.get("figures_form") or _figures_form(postmortem),
        "review_request_form": forms_.get("review_request_form") or ReviewRequestForm(),
        "review_form": forms_.get("review_form") or ReviewForm(),
        "item_form": forms_.get("item_form") or ActionItemForm(),
        "error": forms_.get("error"),
        # What one request may carry: a bigger section is refused in the browser, where
        # its text is kept, instead of being sent to be turned away.
        "autosave_limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE or "",
    }
    return render(request, "postmortems/editor.html", context, status=status)


# --- editor -----------------------------------------------------------------------------


@login_required
def editor(request: HttpRequest, number: int) -> HttpResponse:
    incident = _incident(request, number)
    if not Postmortem.objects.filter(incident=incident).exists():
        return render(
            request,
            "postmortems/start.html",
            {"incident": incident, "can_act": role_of(request.user) >= Role.RESPONDER},
        )
    return _editor(request, _postmortem(request, number))


@login_required
@require_POST
def draft(request: HttpRequest, number: int) -> HttpResponse:
    incident = _incident(request, number)
    pm.postmortem_draft(incident=incident, actor=Actor.of(request.user))
    messages.success(request, "The postmortem is drafted from the incident's facts.")
    return redirect(_editor_url(number))


@login_required
@require_POST
def save_section(request: HttpRequest, number: int, key: str) -> HttpResponse:
    """Autosave (HTMX: answers the section's saved state) or a plain form post."""
    if key not in SECTION_KEYS:
        raise Http404
    postmortem = _postmortem(request, number)
    body = request.POST.get("body", "")
    try:
        base_revision = int(request.POST.get("base_revision", ""))
    except ValueError:
        base_revision = -1
    context: dict[str, Any] = {"key": key, "postmortem": postmortem}
    try:
        section = pm.postmortem_edit_section(
            postmortem=postmortem,
            key=key,
            body=body,
            base_revision=base_revision,
            actor=Actor.of(request.user),
        )
        context.update(section=section, saved=True)
    except pm.SectionConflict as conflict:
        context.update(section=conflict.section, conflict=conflict.message)
    except KeelError as error:
        context.update(error=error.message, section=postmortem.sections.filter(key=key).first())
    if getattr(request, "htmx", False):
        return render(request, "postmortems/_section_state.html", context)
    problem = context.get("conflict") or context.get("error")
    if problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, "Saved.")
    return redirect(_editor_url(number) + f"#section-{key}")


@login_required
@require_POST
def preview(request: HttpRequest, number: int, key: str) -> HttpResponse:
    """Live preview of a section being typed, with blameless-language suggestions."""
    postmortem = _postmortem(request, number)
    body = request.POST.get("body", "")[:100_000]
    return render(
        request,
        "postmortems/_preview.html",
        {"key": key, "preview": _preview(body, _names(postmortem))},
    )


def _figures_form(postmortem: Any, refused: str = "") -> FiguresForm:
    form = FiguresForm(
        initial={
            **postmortem.figures(),
            "drawn": pm.figures_drawn(postmortem),
        }
    )
    if refused:  # an unbound form drawn from the current figures, with the refusal
        form.cleaned_data = {}
        form._errors = ErrorDict()  # type: ignore[attr-defined]
        form.add_error(None, refused)
    return form


@login_required
@require_POST
def save_figures(request: HttpRequest, number: int) -> HttpResponse:
    postmortem = _postmortem(request, number)
    form = FiguresForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        drawn = data.pop("drawn") or None
        try:
            pm.postmortem_set_figures(
                postmortem=postmortem, actor=Actor.of(request.user), based_on=drawn, **data
            )
            messages.success(request, "Impact figures saved.")
            return redirect(_editor_url(number) + "#figures")
        except pm.FiguresConflict as conflict:
            current = _postmortem(request, number)
            return _editor(
                request, current, status=409, figures_form=_figures_form(current, conflict.message)
            )
        except KeelError as error:
            attach_error(form, error)
    return _editor(request, postmortem, status=400, figures_form=form)


@login_required
@require_POST
def request_review(request: HttpRequest, number: int) -> HttpResponse:
    postmortem = _postmortem(request, number)
    form = ReviewRequestForm(request.POST)
    if form.is_valid():
        try:
            pm.postmortem_request_review(
                postmortem=postmortem,
                reviewers=form.cleaned_data["reviewers"],
                actor=Actor.of(request.user),
            )
            messages.success(request, "Review requested.")
            return redirect(_editor_url(number) + "#review")
        except KeelError as error:
            form.add_error("reviewers" if error.field == "reviewers" else None, error.message)
    return _editor(request, postmortem, status=400, review_request_form=form)


@login_required
@require_POST
def review(request: HttpRequest, number: int) -> HttpResponse:
    postmortem = _postmortem(request, number)
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            pm.postmortem_review(
                postmortem=postmortem,
                actor=Actor.of(request.user),
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
            messages.success(request, "Review recorded.")
            return redirect(_editor_url(number) + "#review")
        except KeelError as error:
            form.add_error(None, error.message)
    return _editor(request, postmortem, status=400, review_form=form)


@login_required
@require_POST
def publish(request: HttpRequest, number: int) -> HttpResponse:
    postmortem = _postmortem(request, number)
    try:
        version = pm.postmortem_publish(postmortem=postmortem, actor=Actor.of(request.user))
    except KeelError as error:
        return _editor(request, _postmortem(request, number), status=400, error=error.message)
    messages.success(request, f"Version {version.number} published.")
    return redirect(reverse("postmortems:version", args=[number, version.number]))


@login_required
@require_POST
def add_action_item(request: HttpRequest, number: int) -> HttpResponse:
    postmortem = _postmortem(request, number)
    form = ActionItemForm(request.POST)
    if form.is_valid():
        try:
            pm.action_item_create(
                incident=postmortem.incident, actor=Actor.of(request.user), **form.cleaned_data
            )
            messages.success(request, "Action item added.")
            return redirect(_editor_url(number) + "#action-items")
        except KeelError as error:
            attach_error(form, error)
    return _editor(request, postmortem, status=400, item_form=form)


# --- documents --------------------------------------------------------------------------


@login_required
def document(request: HttpRequest, number: int, version: int | None = None) -> HttpResponse:
    """The document as it reads (draft, or a published version) — same template as the PDF."""
    postmortem = _postmortem(request, number)
    if version is not None:
        try:
            snapshot = postmortem_version_get(
                user=request.user, number=number, version=version
            ).snapshot
        except PostmortemVersion.DoesNotExist:
            raise Http404 from None
    else:
        snapshot = pm.postmortem_document(postmortem=postmortem)
    context = document_context(snapshot)
    context.update(postmortem=postmortem, version=version, versions=list(postmortem.versions.all()))
    return render(request, "postmortems/document.html", context)


@login_required
def download_pdf(request: HttpRequest, number: int) -> HttpResponse:
    postmortem = _postmortem(request, number)
    version = document_version_or_404(postmortem, request.GET.get("version", ""))
    paper = request.GET.get("paper", "a4")
    if paper not in PAPERS:
        raise Http404
    cached = pm.postmortem_pdf_request(postmortem=postmortem, version=version, paper=paper)
    if cached is None:
        return render(
            request,
            "postmortems/pdf_pending.html",
            {"incident": postmortem.incident},
            status=202,
        )
    response = HttpResponse(bytes(cached.pdf), content_type="application/pdf")
    name = document_filename(postmortem, version, "pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def download_markdown(request: HttpRequest, number: int) -> HttpResponse:
    postmortem = _postmortem(request, number)
    version = document_version_or_404(postmortem, request.GET.get("version", ""))
    text = to_markdown(pm.postmortem_document(postmortem=postmortem, version=version))
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    name = document_filename(postmortem, version, "md")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- lists ------------------------------------------------------------------------------


@login_required
def postmortems(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state", "due")
    if state not in ("due", "overdue", "published", "draft", "all"):
        state = "due"
    rows = postmortem_list(user=request.user, state="" if state == "all" else state)[:200]
    return render(
        request,
        "postmortems/list.html",
        {"rows": rows, "state": state, "today": date.today()},
    )


@login_required
def action_board(request: HttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET or None)
    filters: dict[str, Any] = {"status": "open"}
    if form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items()}
    items = action_item_list(user=request.user, **filters)[:500]
    return render(
        request,
        "postmortems/board.html",
        {
            "form": form if request.GET else BoardFilterForm(initial={"status": "open"}),
            "items": items,
            "statuses": ActionStatus.choices,
            "today": date.today(),
            "can_act": role_of(request.user) >= Role.RESPONDER,
            "teams": team_choices(ordering="slug"),
        },
    )


@login_required
@require_POST
def action_item_status(request: HttpRequest, item_id: int) -> HttpResponse:
    item = action_item_list(user=request.user).filter(pk=item_id).first()
    if item is None:
        raise Http404
    try:
        pm.action_item_update(
            item=item, actor=Actor.of(request.user), status=request.POST.get("status", "")
        )
        messages.success(request, f"“{item.title}” is now {request.POST.get('status')}.")
    except KeelError as error:
        messages.error(request, error.message)
    back = request.POST.get("next", "")
    return redirect(
        back if back.startswith("/") and not back.startswith("//") else "/action-items/"
    )


@login_required
def template_edit(request: HttpRequest) -> HttpResponse:
    if role_of(request.user) < Role.ADMIN:
        raise PermissionDenied("Only admins edit the postmortem template.")
    template = pm.postmortem_template_get()
    texts = {key: template.text_for(key) for key in SECTION_KEYS}
    status = 200
    if request.method == "POST":
        texts = {key: request.POST.get(key, "") for key in SECTION_KEYS}
        try:
            pm.postmortem_template_update(actor=Actor.of(request.user), sections=texts)
        except KeelError as error:  # kept as typed, with the refusal above
            messages.error(request, error.message)
            status = 400
        else:
            messages.success(request, "Template saved; new postmortems start from it.")
            return redirect(reverse("postmortems:template"))
    rows = [{"spec": s, "text": texts[s.key]} for s in SECTIONS]
    return render(request, "postmortems/template.html", {"rows": rows}, status=status)
