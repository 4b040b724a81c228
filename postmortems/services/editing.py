"""Editing a postmortem: its sections (with conflict detection) and its impact figures."""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F

from core.actors import Actor
from core.bounds import COUNT_MAX, int_problem, text_problem
from core.roles import Role
from postmortems.models import Postmortem, PostmortemSection, PostmortemStatus
from postmortems.sections import SECTION_KEYS, SECTION_TITLES
from postmortems.selectors import person_name
from postmortems.services.common import PostmortemError, locked, now_or, record


class SectionConflict(PostmortemError):
    """Someone else saved the section since the editor loaded it."""

    def __init__(self, section: PostmortemSection) -> None:
        who = person_name(section.updated_by) or "someone else"
        super().__init__(
            f"{who} changed “{SECTION_TITLES[section.key]}” while you were editing "
            f"(now at revision {section.revision}). Merge your text into theirs and save again.",
            field=section.key,
        )
        self.section = section


class FiguresConflict(PostmortemError):
    """The impact figures changed since the form that would replace them was drawn."""

    def __init__(self, postmortem: Postmortem) -> None:
        def shown(value: Any) -> str:
            return "—" if value in (None, "") else str(value)

        revenue = postmortem.revenue_impact
        super().__init__(
            "Nothing was saved: the impact figures changed since this page was drawn; they "
            f"are now users affected {shown(postmortem.users_affected)}, failed requests "
            f"{shown(postmortem.failed_requests)}, revenue impact "
            f"{shown(revenue)}{' ' + postmortem.revenue_currency if revenue else ''}. "
            "Check them and save again if you still want your figures."
        )


def figures_drawn(postmortem: Postmortem) -> str:
    """The impact figures as a form is drawn with them, to tell a stale save."""
    values = postmortem.figures().values()
    return "|".join("" if value is None else str(value) for value in values)


def _start_revision(postmortem: Postmortem, actor: Actor, at: datetime) -> None:
    """An edit to a published postmortem starts the next version; one in review goes back
    to its reviewers with approvals cleared."""
    if postmortem.status == PostmortemStatus.PUBLISHED:
        postmortem.status = PostmortemStatus.DRAFT
        postmortem.save(update_fields=["status", "updated_at"])
        record(
            postmortem,
            actor,
            f"Postmortem revision started (version {postmortem.published_version + 1}).",
            at,
            step="revision",
        )
    elif postmortem.status == PostmortemStatus.IN_REVIEW:
        postmortem.reviewers.filter(approved_at__isnull=False).update(approved_at=None)


@transaction.atomic
def postmortem_edit_section(
    *,
    postmortem: Postmortem,
    key: str,
    body: str,
    base_revision: int,
    actor: Actor,
    at: datetime | None = None,
) -> PostmortemSection:
    """Save one section. `base_revision` is the revision the editor started from; if
    someone saved since, SectionConflict carries their text and nothing changes."""
    actor.require(Role.RESPONDER)
    if key not in SECTION_KEYS:
        raise PostmortemError(f"Unknown section {key!r}.", field="key")
    if len(body) > 100_000:
        raise PostmortemError("A section holds at most 100,000 characters.", field=key)
    problem = text_problem(body, "a section")
    if problem is not None:
        raise PostmortemError(problem, field=key)
    now = now_or(at)
    postmortem = locked(postmortem)
    section, _ = PostmortemSection.objects.select_for_update().get_or_create(
        postmortem=postmortem, key=key
    )
    if section.revision != base_revision:
        raise SectionConflict(section)
    if section.body == body:
        return section
    _start_revision(postmortem, actor, now)
    section.body = body
    section.revision = F("revision") + 1
    section.updated_by = actor.user
    section.save(update_fields=["body", "revision", "updated_by", "updated_at"])
    section.refresh_from_db(fields=["revision", "updated_at"])
    if actor.user is not None:
        postmortem.authors.add(actor.user)
    return section


def _count(value: Any, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise PostmortemError("Enter a whole number.", field=field) from None
    if number < 0:
        raise PostmortemError("Enter zero or more.", field=field)
    problem = int_problem(number, "the number", 0, COUNT_MAX)
    if problem is not None:
        raise PostmortemError(problem, field=field)
    return number


@transaction.atomic
def postmortem_set_figures(
    *,
    postmortem: Postmortem,
    actor: Actor,
    users_affected: Any = None,
    failed_requests: Any = None,
    revenue_impact: Any = None,
    revenue_currency: str = "",
    at: datetime | None = None,
    based_on: str | None = None,
) -> Postmortem:
    """The optional impact figures: users affected, failed requests, revenue impact.
    `based_on` is `figures_drawn()` of the form's page: if the figures changed since,
    FiguresConflict, and nothing changes."""
    actor.require(Role.RESPONDER)
    users = _count(users_affected, "users_affected")
    failed = _count(failed_requests, "failed_requests")
    revenue: Decimal | None = None
    if revenue_impact not in (None, ""):
        try:
            revenue = Decimal(str(revenue_impact)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise PostmortemError(
                "Enter an amount such as 1250.00.", field="revenue_impact"
            ) from None
        if revenue < 0 or revenue >= Decimal("1e12"):
            raise PostmortemError("Enter an amount from 0 to 10^12.", field="revenue_impact")
    currency = (revenue_currency or "").strip().upper()
    if currency and (len(currency) != 3 or not currency.isalpha()):
        raise PostmortemError(
            "Use a three-letter currency code (e.g. EUR).", field="revenue_currency"
        )
    postmortem = locked(postmortem)
    new = (users, failed, revenue, currency or postmortem.revenue_currency)
    if new == tuple(postmortem.figures().values()):
        return postmortem
    if based_on is not None and based_on != figures_drawn(postmortem):
        raise FiguresConflict(postmortem)
    _start_revision(postmortem, actor, now_or(at))
    for name, value in zip(Postmortem.FIGURE_FIELDS, new, strict=True):
        setattr(postmortem, name, value)
    postmortem.save(update_fields=[*Postmortem.FIGURE_FIELDS, "updated_at"])
    return postmortem
