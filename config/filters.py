"""The API's query filter backend (django-filter)."""

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, but a refused filter value is reported with the messages the
    form rendered: django-filter's own translation %-formats every message again, so a
    message quoting the value (`?open=100%`) raised TypeError (a 500) instead of a 400."""

    def filter_queryset(self, request: Any, queryset: QuerySet, view: Any) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise ValidationError({name: list(errors) for name, errors in filterset.errors.items()})
        return filterset.qs
