"""HTML forms for defining SLOs, corrections and gate bypasses: shape checks only; the
services decide, and their errors are shown next to the field they name."""

from decimal import Decimal
from typing import Any

from django import forms

from catalog.models import Service
from catalog.selectors import service_choices
from core.datetime_fields import LocalDateTimeField, from_now
from core.forms import attach_error
from slos.models import SLO

from . import budget_policy
from .choices import BudgetingMethod, BypassKind, CorrectionCategory, SliSource, WindowKind
from .errors import SloError
from .services.slos import SLO_FIELDS

JSON_WIDGET = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "mono"})


class ServiceErrorsMixin(forms.Form):
    def add_service_error(self, error: SloError) -> None:
        """Show a service's refusal next to the field it names (or above the form)."""
        attach_error(self, error)


class SloForm(ServiceErrorsMixin):
    """Every field the SLO API takes; JSON fields as JSON text."""

    service = forms.ModelChoiceField(
        queryset=service_choices(ordering="slug"), to_field_name="slug", empty_label=None
    )
    name = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    objective = forms.DecimalField(
        max_digits=8,
        decimal_places=5,
        min_value=Decimal("0.00001"),
        max_value=Decimal("99.99999"),
        help_text="Percent, strictly between 0 and 100, e.g. 99.9.",
    )
    window_kind = forms.ChoiceField(choices=WindowKind.choices, initial=WindowKind.ROLLING)
    window_days = forms.IntegerField(
        min_value=1, max_value=366, initial=30, help_text="Length of a rolling window in days."
    )
    time_zone = forms.CharField(
        max_length=64, initial="UTC", help_text="Zone of a calendar-month window."
    )
    budgeting_method = forms.ChoiceField(
        choices=BudgetingMethod.choices, initial=BudgetingMethod.OCCURRENCES
    )
    slice_seconds = forms.IntegerField(
        min_value=60, initial=60, help_text="Timeslice length in seconds (a multiple of 60)."
    )
    slice_target = forms.DecimalField(
        required=False,
        max_digits=8,
        decimal_places=5,
        min_value=Decimal(0),
        max_value=Decimal(1),
        help_text="Timeslices: a slice is bad when its good/total ratio is below this.",
    )
    source = forms.ChoiceField(choices=SliSource.choices, initial=SliSource.PUSHED)
    bad_query = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    good_query = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    total_query = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    alert_windows = forms.JSONField(
        required=False,
        widget=JSON_WIDGET,
        help_text="A JSON list of burn-rate window pairs; empty: the default four-pair table.",
    )
    alerting = forms.JSONField(
        required=False,
        widget=JSON_WIDGET,
        help_text=(
            'Exported alerts, e.g. {"name": "CheckoutBurn", "labels": {"team": "web"}, '
            '"page": {"labels": {"routing_key": "web"}}, "ticket": {"disabled": true}}.'
        ),
    )
    policy = forms.JSONField(
        required=False,
        widget=JSON_WIDGET,
        help_text='Overrides of the service\'s budget policy, e.g. {"caution_below": 0.4}.',
    )
    labels = forms.JSONField(required=False, widget=JSON_WIDGET, help_text="Text labels.")

    def clean_alert_windows(self) -> list[dict[str, Any]]:
        value = self.cleaned_data.get("alert_windows") or []
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise forms.ValidationError("Expected a JSON list of objects.")
        return value

    def clean_alerting(self) -> dict[str, Any]:
        value = self.cleaned_data.get("alerting") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError("Expected a JSON object.")
        return value

    def clean_policy(self) -> dict[str, Any]:
        value = self.cleaned_data.get("policy") or {}
        if not isinstance(value, dict):
            raise forms.ValidationError("Expected a JSON object.")
        unknown = set(value) - set(budget_policy.Policy.__dataclass_fields__)
        if unknown:
            raise forms.ValidationError(f"Unknown keys: {', '.join(sorted(map(str, unknown)))}.")
        return value

    def clean_labels(self) -> dict[str, str]:
        value = self.cleaned_data.get("labels") or {}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise forms.ValidationError('Expected a JSON object of text, e.g. {"team": "web"}.')
        return value

    def slo_fields(self) -> dict[str, Any]:
        """The cleaned definition as the services take it (without the service)."""
        return {name: self.cleaned_data[name] for name in SLO_FIELDS}

    @classmethod
    def initial_of(cls, slo: SLO) -> dict[str, Any]:
        return {"service": slo.service.slug, **{name: getattr(slo, name) for name in SLO_FIELDS}}


class CorrectionForm(ServiceErrorsMixin):
    """A period to leave out of an SLO, or out of every SLO of the service."""

    slo = forms.ModelChoiceField(
        queryset=SLO.objects.none(),
        required=False,
        empty_label="Every SLO of the service",
        label="Applies to",
    )
    start = LocalDateTimeField()
    end = LocalDateTimeField()
    category = forms.ChoiceField(choices=CorrectionCategory.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.service = service
        slo_field = self.fields["slo"]
        assert isinstance(slo_field, forms.ModelChoiceField)
        slo_field.queryset = SLO.objects.filter(service=service).order_by("name")

    def target(self) -> dict[str, Any]:
        slo = self.cleaned_data.get("slo")
        return {"slo": slo} if slo else {"service": self.service}


class BypassForm(ServiceErrorsMixin):
    """Let deployments through the gate for a hotfix or a security fix, until the expiry."""

    kind = forms.ChoiceField(choices=BypassKind.choices, widget=forms.RadioSelect)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    expires_at = LocalDateTimeField(
        label="Expires at", hint="At most 7 days ahead.", initial=from_now(hours=4)
    )
