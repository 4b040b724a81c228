"""Query filters for the incidents API."""

import django_filters
from django.db.models import QuerySet

from ..choices import OPEN_STATUSES, AlertStatus, Kind, Severity, Status
from ..models import Alert, Incident


class IncidentFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices)
    kind = django_filters.MultipleChoiceFilter(choices=Kind.choices)
    service = django_filters.CharFilter(field_name="services__slug", distinct=True)
    open = django_filters.BooleanFilter(method="filter_open", label="open (not resolved/closed)")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")
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
        from django.db.models import Q

        return queryset.filter(Q(title__icontains=value) | Q(summary__icontains=value))


class AlertFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices)
    integration = django_filters.CharFilter(field_name="integration__name")
    incident = django_filters.NumberFilter(field_name="incident__number")
    fingerprint = django_filters.CharFilter()
    label = django_filters.CharFilter(method="filter_label", label="label as name=value")

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_label(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        key, sep, wanted = value.partition("=")
        if not sep or not key:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({"label": ["Use label=name=value, e.g. label=service=checkout."]})
        return queryset.filter(labels__contains={key: wanted})
