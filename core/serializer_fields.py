"""API faces of Keel's bounds: integer fields bounded by the column they are stored in.

A serializer's declared `IntegerField` knows nothing of its column, so a value past the
column's range (a PositiveBigIntegerField and 2**63) reached PostgreSQL and came back a 500.
`column_integer` takes the range from the model field (its type's range on the database and
its own validators), narrowed by any bounds given, so the API says 400 and the schema
documents `minimum`/`maximum`."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from rest_framework import serializers

from .validators import validate_keel_datetime


def column_range(model: type[models.Model], name: str) -> tuple[int, int]:
    """The smallest and largest value the model field `name` accepts."""
    field = model._meta.get_field(name)
    low: int | None = None
    high: int | None = None
    for validator in getattr(field, "validators", []):  # with the column type's range
        limit = getattr(validator, "limit_value", None)
        if isinstance(validator, MinValueValidator) and isinstance(limit, int):
            low = limit if low is None else max(low, limit)
        elif isinstance(validator, MaxValueValidator) and isinstance(limit, int):
            high = limit if high is None else min(high, limit)
    if low is None or high is None:
        raise TypeError(f"{model.__name__}.{name} is not an integer column with a range.")
    return low, high


def column_integer(
    model: type[models.Model],
    name: str,
    *,
    min_value: int | None = None,
    max_value: int | None = None,
    **kwargs: Any,
) -> serializers.IntegerField:
    """A serializer IntegerField for values stored in `model.name`, within its column."""
    low, high = column_range(model, name)
    return serializers.IntegerField(
        min_value=low if min_value is None else max(low, min_value),
        max_value=high if max_value is None else min(high, max_value),
        **kwargs,
    )


def keel_datetime(**kwargs: Any) -> serializers.DateTimeField:
    """An instant a client sends: with a zone, within Keel's range (1970-2200)."""
    return serializers.DateTimeField(validators=[validate_keel_datetime], **kwargs)


class SafeSlugField(serializers.SlugRelatedField):
    """A slug lookup that refuses NUL (PostgreSQL text cannot hold it) as invalid input."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


UNKNOWN_USERNAME: Any = {"does_not_exist": "Unknown username: {value}."}


def active_user_field() -> Any:
    """A user by username, active ones only."""
    return SafeSlugField(
        slug_field="username",
        queryset=get_user_model().objects.filter(is_active=True),
        error_messages=UNKNOWN_USERNAME,
    )


class UsernamesField(serializers.ListField):
    """Usernames in order, each an active user; unknown ones are refused all at once, by
    name, so that a typo cannot drop someone from a rotation."""

    child = serializers.CharField(max_length=150)

    def to_internal_value(self, data: Any) -> list[Any]:
        names: list[str] = super().to_internal_value(data)
        users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=names)}
        unknown = [n for n in names if n not in users]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown username{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."
            )
        inactive = [n for n in names if not users[n].is_active]
        if inactive:
            raise serializers.ValidationError(f"Deactivated: {', '.join(inactive)}.")
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Listed more than once: {', '.join(duplicates)}.")
        return [users[n] for n in names]
