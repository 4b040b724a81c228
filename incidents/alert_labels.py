"""The alert lists' label filter, shared by the alerts page and the API: a form field
that reads one Alertmanager-style matcher, and the query that applies it."""

from typing import Any

from django import forms
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from .label_matchers import MATCHER_MAX, SYNTAX_TEXT, Matcher, MatcherError, parse_matcher
from .models import Alert

HELP_TEXT = "name=value, name!=value, name=~regex or name!~regex (a regex matches the whole value)"


def _postgres_reads(pattern: str) -> bool:
    """Whether the database takes the pattern: Python's `re` and PostgreSQL's regular
    expressions differ at the edges, and a refused pattern must be a form error, not a 500."""
    if connection.vendor != "postgresql":
        return True
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT '' ~ %s", [pattern])
    except DatabaseError:
        return False
    return True


class LabelMatcherField(forms.CharField):
    default_error_messages = {"invalid": SYNTAX_TEXT}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", MATCHER_MAX)
        kwargs.setdefault("help_text", HELP_TEXT)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Matcher | None:
        text = super().clean(value)
        if not text:
            return None
        try:
            matcher = parse_matcher(text)
        except MatcherError as exc:
            raise forms.ValidationError("%(problem)s", params={"problem": exc.message}) from None
        if matcher.is_regex and not _postgres_reads(matcher.anchored):
            raise forms.ValidationError(
                "The database cannot read the regex %(pattern)s.",
                params={"pattern": matcher.value},
            )
        return matcher


def alerts_matching(alerts: QuerySet[Alert], matcher: Matcher) -> QuerySet[Alert]:
    """The alerts the matcher selects; a label an alert lacks counts as the empty string."""
    if matcher.is_regex:
        value = Coalesce(
            KeyTextTransform(matcher.name, "labels"), Value(""), output_field=TextField()
        )
        alerts = alerts.alias(_label_value=value)
        hit = Q(_label_value__regex=matcher.anchored)
    else:
        hit = Q(labels__contains={matcher.name: matcher.value})
        if matcher.value == "":
            hit |= ~Q(labels__has_key=matcher.name)
    return alerts.exclude(hit) if matcher.negative else alerts.filter(hit)
