"""Page-number pagination that stays cheap on large tables: a page is read with one
LIMIT/OFFSET query (one row more than shown, to know whether a next page exists), and
the total is counted only up to a cap ("more than 10,000")."""

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

COUNT_CAP = 10_000
PAGE_MAX = 1_000_000
"""The highest page number read from a URL: its offset stays far inside PostgreSQL's
bigint (page=99999999999999999999 was a 500), and a page past the end is simply empty."""


@dataclass(frozen=True)
class Page:
    number: int
    size: int
    object_list: list[Any]
    has_next: bool
    total: int  # exact when not capped
    capped: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def num_pages(self) -> int | None:
        """The last page's number, when the total is known."""
        if self.capped:
            return None
        return max(1, -(-self.total // self.size))


def page_number(raw: str | None) -> int:
    """The page number a URL asks for, within 1..PAGE_MAX; anything not a number is 1."""
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > len(str(PAGE_MAX)):
        return PAGE_MAX if text.isascii() and text.isdigit() else 1
    return min(max(1, int(text)), PAGE_MAX)


def paginate(query: QuerySet[Any], raw_number: str | None, size: int) -> Page:
    number = page_number(raw_number)
    offset = (number - 1) * size
    rows = list(query[offset : offset + size + 1])
    total = query.order_by()[: COUNT_CAP + 1].count()
    return Page(
        number=number,
        size=size,
        object_list=rows[:size],
        has_next=len(rows) > size,
        total=min(total, COUNT_CAP),
        capped=total > COUNT_CAP,
    )
