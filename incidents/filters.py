"""The incident and alert list filters: one FilterSet each, used by the API's lists and by
the incident list page (whose form only turns its bookmarkable fields into these filters)."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from core.bounds import clamp_url_datetime

from .alert_labels import HELP_TEXT, LabelMatcherField, alerts_matching
from .choices import OPEN_STATUSES, AlertStatus, Kind, Severity, Status
from .label_matchers import Matcher
from .models import Alert, Incident


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 time, normalised to UTC: any offset Python accepts (up to ±24 h) is
    then one PostgreSQL accepts too. A window bound outside Keel's range (1970-2200, the
    bounds of every stored time) is clamped into it: it selects the same incidents."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        return clamp_url_datetime(parsed)


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is a 400 instead of being ignored."""

    VALUES = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise forms.ValidationError(
                "Enter true or false, not %(value)s.",
                code="invalid",
                params={"value": repr(str(value)[:40])},
            ) from None


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class LabelMatcherFilter(django_filters.Filter):
    field_class = LabelMatcherField


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices)
    service = django_filters.CharFilter(field_name="services__slug", distinct=True)
    open = StrictBooleanFilter(method="filter_open", label="open (not resolved/closed)")
    started_after = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
    q = django_filters.CharFilter(method="filter_text", label="text in title or summary")

    class Meta:
        model = Incident
        fields: list[str] = []

    def filter_open(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        if value is None:
            return queryset
        return (
            queryset.filter(status__in=OPEN_STATUSES)
            if value
            else queryset.exclude(status__in=OPEN_STATUSES)
        )

    def filter_text(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    integration = django_filters.CharFilter(field_name="integration__name")
    incident = django_filters.NumberFilter(field_name="incident__number")
    fingerprint = django_filters.CharFilter()
    label = LabelMatcherFilter(method="filter_label", label=HELP_TEXT)

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_label(self, queryset: QuerySet, name: str, value: Matcher | None) -> QuerySet:
        return queryset if value is None else alerts_matching(queryset, value)
