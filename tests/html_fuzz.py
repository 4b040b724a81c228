"""The HTML fuzzer's parts: the UI's routes from the URL conf, the forms and links of a
page (stdlib html.parser), hostile values for each kind of field (hypothesis), and the
row counts that show whether a refused submission stored anything."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.apps import apps
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import strategies as st

SKIPPED_PREFIXES = ("api/", "hooks/", "admin/")
"""The API and the webhooks have their own fuzzing (schemathesis) and tests; the Django
admin is Django's."""

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def ui_routes() -> list[str]:
    """Every route of the UI, e.g. "incidents/<int:number>/", from the URL conf."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[str]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                yield route

    routes = [r for r in walk(get_resolver().url_patterns, "") if not r.startswith("^")]
    return sorted({r for r in routes if not r.startswith(SKIPPED_PREFIXES)})


def route_parameters(route: str) -> list[str]:
    return [m["name"] for m in PARAMETER.finditer(route)]


def fill(route: str, values: dict[str, str]) -> str:
    return "/" + PARAMETER.sub(lambda m: values[m["name"]], route)


# --- pages: forms and links -------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, number, date, datetime-local, time, select, checkbox, ...
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, Field] = field(default_factory=dict)


@dataclass
class Page:
    forms: list[Form] = field(default_factory=list)
    query_links: dict[str, set[str]] = field(default_factory=dict)  # path -> parameter names


class PageParser(HTMLParser):
    """The <form>s of a page with their fields, and the query parameters of its links."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.url = url
        self.page = Page()
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def _absolute(self, target: str) -> str:
        return urljoin(self.url, target or self.url)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "option":
            self._option(a)
        elif tag == "a" and "?" in a.get("href", ""):
            self._link(a["href"])
        elif tag == "form":
            action = a.get("action") or a.get("hx-post") or a.get("hx-get") or ""
            method = "post" if a.get("hx-post") else a.get("method", "get").lower()
            self._form = Form(method=method, action=self._absolute(action))
            self.page.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "reset"} and "value" not in a:
                return
            known = self._form.fields.get(a["name"])
            if known is not None and kind in {"radio", "checkbox"}:
                known.options.append(a.get("value", "on"))
                known.multiple = known.multiple or kind == "checkbox"
                return
            self._form.fields[a["name"]] = Field(
                a["name"],
                kind,
                a.get("value", ""),
                options=[a.get("value", "on")] if kind in {"radio", "checkbox"} else [],
            )
        elif tag == "select":
            self._select = Field(a["name"], "select", multiple="multiple" in a)
            self._form.fields[a["name"]] = self._select
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea")
            self._form.fields[a["name"]] = self._textarea

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def _option(self, attrs: dict[str, str]) -> None:
        if self._select is not None:
            self._select.options.append(attrs.get("value", ""))
            if "selected" in attrs and not self._select.value:
                self._select.value = attrs.get("value", "")

    def _link(self, href: str) -> None:
        target = urlsplit(self._absolute(href))
        if target.netloc and target.netloc != "testserver":
            return
        names = {name for name, _ in parse_qsl(target.query, keep_blank_values=True)}
        self.page.query_links.setdefault(target.path, set()).update(names)


def parse_page(url: str, html: str) -> Page:
    parser = PageParser("http://testserver" + url)
    parser.feed(html)
    parser.close()
    for form in parser.page.forms:
        form.action = urlsplit(form.action)._replace(scheme="", netloc="").geturl()
    return parser.page


# --- hostile values ---------------------------------------------------------------------

MIB = 1 << 20
HOSTILE_TEXT = [
    "<script>alert(1)</script>",
    "\x00",
    "a\x00b",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "http://169.254.169.254/latest/meta-data/",
    "' OR 1=1 --",
    "%00",
    "\\",
    "\u202e\ufeff🙂",
    " ",
    "=",
    "name=~(",
    "a" * 5000,
]
HOSTILE_INT = [
    "99999999999999999999",
    "-1",
    "0",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "-9223372036854775809",
    "1e309",
    "NaN",
    "Infinity",
    "1.5",
    "0x10",
    "١٢",
]
HOSTILE_DATE = [
    "9999-12-31",
    "0001-01-01",
    "1969-12-31",
    "2201-01-01",
    "2026-02-30",
    "2026-13-01",
    "12/31/2026",
    "31/12/2026",
]
HOSTILE_DATETIME = [
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-12:00",
    "2026-11-21T16:25",  # no zone
    "2026-11-21 16:25:00",
    "2026-03-29T02:30",  # inside Berlin's DST gap
    "2026-10-25T02:30",  # Berlin's repeated hour
    "2201-01-01T00:00Z",
    "1969-12-31T23:59Z",
    "2026-11-21T16:25:00Z",
]
HOSTILE_TIME = ["24:00", "23:59:59.999999", "-01:00", "9:5", "25:61"]

EVERY_PAGE_QUERY = {"page"}
"""Read by the shared paginator on any list, whether or not the page links a next page."""

MISSING = object()
"""A field left out of the submission."""


def _hostile(kind: str) -> st.SearchStrategy[str]:
    text = st.sampled_from(HOSTILE_TEXT) | st.text(max_size=12)
    huge = st.just("x" * MIB)
    by_kind = {
        "number": st.sampled_from(HOSTILE_INT) | st.integers().map(str),
        "date": st.sampled_from(HOSTILE_DATE + HOSTILE_DATETIME[:2]),
        "datetime-local": st.sampled_from(HOSTILE_DATETIME + HOSTILE_DATE[:2]),
        "time": st.sampled_from(HOSTILE_TIME),
    }
    return st.one_of(by_kind.get(kind, text), huge, text, st.sampled_from(HOSTILE_INT))


def _plausible(kind: str) -> str:
    """A value that passes the field's own checks, for fields the page leaves empty."""
    soon = datetime.now(UTC) + timedelta(hours=1)
    return {
        "number": "1",
        "date": f"{soon:%Y-%m-%d}",
        "datetime-local": f"{soon:%Y-%m-%dT%H:%M}",
        "time": "09:00",
        "email": "fuzz@example.com",
        "url": "https://example.com/",
    }.get(kind, "fuzz")


def _valid(form_field: Field) -> st.SearchStrategy[Any]:
    if form_field.multiple and form_field.options:
        return st.lists(st.sampled_from(form_field.options), min_size=1, max_size=3, unique=True)
    return st.sampled_from([form_field.value or _plausible(form_field.kind), *form_field.options])


def submission(fields: dict[str, Field]) -> st.SearchStrategy[dict[str, Any]]:
    """One or two fields hostile (or left out), the others as the page has them or
    plausible: a bad value is then not hidden behind another field's error."""
    names = sorted(n for n in fields if n != "csrfmiddlewaretoken")

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        victims = (
            draw(st.sets(st.sampled_from(names), min_size=1, max_size=min(2, len(names))))
            if names
            else set()
        )
        out: dict[str, Any] = {}
        for name, form_field in fields.items():
            if name == "csrfmiddlewaretoken":
                value: Any = form_field.value
            elif name in victims:
                value = draw(st.one_of(_hostile(form_field.kind), st.just(MISSING)))
            else:
                value = draw(_valid(form_field))
            if value is not MISSING:
                out[name] = value
        return out

    return build()


def query_values(names: set[str]) -> st.SearchStrategy[dict[str, str]]:
    """Hostile values for the query parameters a page's links use (page, from, order...)."""
    value = st.one_of(
        st.sampled_from(HOSTILE_DATE[:1] + HOSTILE_INT + HOSTILE_DATE + HOSTILE_DATETIME[:5]),
        st.sampled_from([t for t in HOSTILE_TEXT if "\x00" not in t]),
    )
    return st.fixed_dictionaries({name: value for name in sorted(names | EVERY_PAGE_QUERY)})


# --- what is stored ---------------------------------------------------------------------

COUNTED_APPS = ("auth", "accounts", "incidents", "oncall", "slos")


def row_counts() -> dict[str, int]:
    """The number of rows of every model of Keel's apps (and users), in one query."""
    tables = sorted(
        {
            model._meta.db_table
            for app in COUNTED_APPS
            for model in apps.get_app_config(app).get_models(include_auto_created=True)
        }
    )
    quote = connection.ops.quote_name
    selects = ", ".join(f"(SELECT count(*) FROM {quote(t)})" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selects}")
        row = cursor.fetchone()
    return dict(zip(tables, row, strict=True))


def changed(before: dict[str, int], after: dict[str, int]) -> dict[str, tuple[int, int]]:
    return {t: (before[t], after[t]) for t in before if before[t] != after[t]}
