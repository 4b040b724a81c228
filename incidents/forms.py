"""Forms of the incident pages: parse and check input; the services decide the rest."""

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.selectors import service_choices
from core import forms as bounded
from core.datetime_fields import LocalDateTimeField

from .alert_labels import LabelMatcherField
from .choices import Kind, ResolvePolicy, Severity, Status
from .services.freshness import MAX_VERSION
from .services.times import CORRECTABLE_TIMES

DECLARED_KINDS = [(Kind.MANUAL.value, "Incident"), (Kind.DRILL.value, "Drill")]


class ServicesField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.slug})"


def _services_field() -> ServicesField:
    return ServicesField(
        queryset=service_choices(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
        help_text="Hold Ctrl (⌘ on a Mac) to pick several.",
    )


class DeclareForm(forms.Form):
    title = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"autofocus": True}))
    severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    services = _services_field()
    summary = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown."
    )
    kind = forms.ChoiceField(
        choices=DECLARED_KINDS, initial=Kind.MANUAL, widget=forms.RadioSelect, label="Type"
    )


class ActionForm(forms.Form):
    """A room action: it carries the incident version the page was drawn from, so a change
    made since to what the action depends on refuses it instead of being undone.

    `state_fields` show the incident's state (redrawn from it after such a refusal); the
    others are what the person typed and are kept."""

    state_fields: tuple[str, ...] = ()

    version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=MAX_VERSION
    )


class StatusForm(ActionForm):
    state_fields = ("status",)

    status = forms.ChoiceField(choices=Status.choices)
    note = forms.CharField(required=False, max_length=2000, label="Why")


class SeverityForm(ActionForm):
    state_fields = ("severity",)

    severity = forms.ChoiceField(choices=Severity.choices)


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Markdown; links and formatting are kept, scripts are removed.",
    )
    pinned = forms.BooleanField(required=False, label="Pin for the postmortem")


class UserField(forms.CharField):
    """A username that names an active user."""

    def clean(self, value: Any) -> Any:
        username = super().clean(value)
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(f"No active user is named {username!r}.")
        return user


class ResponderForm(ActionForm):
    state_fields = ("username",)

    username = UserField(label="Username", max_length=150)


class DetailsForm(ActionForm):
    state_fields = ("title", "summary", "services")

    title = forms.CharField(max_length=300)
    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    services = _services_field()


class CorrectTimeForm(ActionForm):
    field = forms.ChoiceField(
        label="Time",
        choices=[(name, name.replace("_", " ").capitalize()) for name in CORRECTABLE_TIMES],
    )
    value = LocalDateTimeField(label="Corrected to", seconds=True)
    reason = forms.CharField(max_length=2000)


class ResolveForm(ActionForm):
    note = forms.CharField(required=False, max_length=2000, label="Resolution note")


class ReopenForm(ActionForm):
    reason = forms.CharField(required=False, max_length=2000)


class PinForm(forms.Form):
    pinned = forms.BooleanField(required=False)


SORTS = {
    "-started": ("-started_at", "-id"),
    "started": ("started_at", "id"),
    "severity": ("severity", "-started_at", "-id"),
    "-number": ("-number",),
    "number": ("number",),
    "status": ("status", "-started_at", "-id"),
}


class IncidentFilterForm(forms.Form):
    """The incident list's filters; every field is optional and bookmarkable (GET)."""

    q = forms.CharField(required=False, label="Search", max_length=200)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("open", "Open"), *Status.choices]
    )
    severity = forms.ChoiceField(required=False, choices=[("", "Any"), *Severity.choices])
    service = forms.SlugField(required=False, max_length=100)
    kind = forms.ChoiceField(required=False, choices=[("", "Any"), *Kind.choices])
    since = bounded.DateField(required=False, label="Started from")
    until = bounded.DateField(required=False, label="Started until")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("-started", "Newest first"),
            ("started", "Oldest first"),
            ("severity", "Severity"),
            ("status", "Status"),
            ("-number", "Number, descending"),
            ("number", "Number, ascending"),
        ],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the range is before its start.")
        return data

    def day_start(self, day: Any) -> datetime:
        return timezone.make_aware(datetime.combine(day, time.min))

    def started_range(self) -> tuple[datetime | None, datetime | None]:
        """[since, until) in UTC: whole days in the viewer's zone, `until` included."""
        data = self.cleaned_data
        since = self.day_start(data["since"]) if data.get("since") else None
        until = self.day_start(data["until"] + timedelta(days=1)) if data.get("until") else None
        return since, until

    def filter_params(self) -> dict[str, Any]:
        """The page's fields as the parameters of the incident FilterSet (the API's list
        takes the same ones), so both lists select by one implementation."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        if data.get("q"):
            params["q"] = data["q"]
        if data.get("status") == "open":
            params["open"] = "true"
        elif data.get("status"):
            params["status"] = [data["status"]]
        for field in ("severity", "kind"):
            if data.get(field):
                params[field] = [data[field]]
        if data.get("service"):
            params["service"] = data["service"]
        since, until = self.started_range()
        if since:
            params["started_after"] = since.isoformat()
        if until:
            params["started_before"] = until.isoformat()
        return params


class AlertFilterForm(forms.Form):
    integration = forms.IntegerField(required=False, min_value=1)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any"), ("firing", "Firing"), ("resolved", "Resolved")]
    )
    label = LabelMatcherField(required=False)


class IntegrationForm(forms.Form):
    name = forms.CharField(max_length=100)
    default_service = forms.ModelChoiceField(
        queryset=service_choices(),
        required=False,
        help_text="For alerts without a service label.",
    )
    service_label = forms.CharField(max_length=100, initial="service")
    severity_label = forms.CharField(max_length=100, initial="severity")
    default_severity = forms.ChoiceField(choices=Severity.choices, initial=Severity.SEV3)
    resolve_policy = forms.ChoiceField(
        choices=ResolvePolicy.choices, initial=ResolvePolicy.MONITORING
    )
    quiet_period_minutes = forms.IntegerField(
        required=False,
        min_value=1,
        label="Quiet period (minutes)",
        help_text="Resolve an alert after this long without news. Empty: never.",
    )

    def service_kwargs(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        minutes = data.pop("quiet_period_minutes")
        data["quiet_period"] = timedelta(minutes=minutes) if minutes else None
        return data


class MetricsForm(forms.Form):
    weeks = forms.IntegerField(required=False, min_value=1, max_value=52, initial=12)
    by = forms.ChoiceField(
        required=False,
        choices=[("overall", "All incidents"), ("service", "Service"), ("severity", "Severity")],
    )
