"""Django faces of `core.bounds`: field validators and check-constraint conditions."""

from datetime import date, datetime, time

from django.core.exceptions import ValidationError
from django.db.models import Q

from .bounds import EARLIEST, END, date_problem, datetime_problem, whole_minutes_problem


def validate_keel_datetime(value: datetime) -> None:
    """A model, form or serializer field validator: an instant in 1970-2200."""
    problem = datetime_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="out_of_range")


def validate_keel_date(value: date) -> None:
    """A form field validator: a day in 1970-2200."""
    problem = date_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="out_of_range")


def validate_whole_minutes(value: time) -> None:
    problem = whole_minutes_problem(value)
    if problem is not None:
        raise ValidationError(problem, code="not_whole_minutes")


def datetime_in_range(field: str, *, nullable: bool = False) -> Q:
    """The check-constraint condition that `field` is a Keel instant (or NULL)."""
    condition = Q(**{f"{field}__gte": EARLIEST, f"{field}__lt": END})
    return Q(**{f"{field}__isnull": True}) | condition if nullable else condition
