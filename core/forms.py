"""Form fields with Keel's bounds (`core.bounds`) built in: every form that takes a date or
a time from a person or a URL uses these, so no value outside 1970-2200 reaches the
arithmetic or the database behind it."""

from typing import Any

from django import forms

from .errors import KeelError
from .validators import validate_keel_date, validate_keel_datetime


def attach_error(form: forms.Form, error: KeelError, default_field: str | None = None) -> None:
    """Show a service's refusal on the form: next to the field it names when the form has
    that field, else next to `default_field`, else above the form."""
    field = error.field if error.field in form.fields else default_field
    form.add_error(field if field in form.fields else None, error.message)


class DateField(forms.DateField):
    """A day in 1970-2200 (a filter's "from" or "until", a due date)."""

    default_validators = [validate_keel_date]

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)


class DateTimeField(forms.DateTimeField):
    """An instant in 1970-2200; one typed without a zone is read in the current zone."""

    default_validators = [validate_keel_datetime]
