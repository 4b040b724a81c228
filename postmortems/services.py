"""Postmortem and action-item changes: draft, edit, review, publish; one service each."""

import hashlib
import json
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.actors import Actor
from core.bounds import COUNT_MAX, int_problem, text_problem
from core.errors import KeelError
from core.roles import Role
from incidents.choices import EntryKind, Kind, Status
from incidents.models import Alert, Incident, TimelineEntry
from incidents.services.incidents import incident_record
from postmortems import draft, policy
from postmortems.models import (
    CLOSED_ACTION_STATUSES,
    ActionItem,
    ActionKind,
    ActionPriority,
    ActionStatus,
    Postmortem,
    PostmortemPdf,
    PostmortemReviewer,
    PostmortemSection,
    PostmortemStatus,
    PostmortemTemplate,
    PostmortemVersion,
)
from postmortems.sections import SECTION_KEYS, SECTION_TITLES, default_template
from postmortems.selectors import incident_budget_impacts, person_name, postmortem_snapshot

logger = logging.getLogger(__name__)


class PostmortemError(KeelError):
    """A postmortem change that its current state does not allow; the message says why."""


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
    values = (
        postmortem.users_affected,
        postmortem.failed_requests,
        postmortem.revenue_impact,
        postmortem.revenue_currency,
    )
    return "|".join("" if value is None else str(value) for value in values)


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def _lock(postmortem: Postmortem) -> Postmortem:
    return Postmortem.objects.select_for_update().select_related("incident").get(pk=postmortem.pk)


def _record(postmortem: Postmortem, actor: Actor, text: str, at: datetime, **data: Any) -> None:
    incident_record(
        incident=postmortem.incident,
        kind=EntryKind.POSTMORTEM,
        actor=actor,
        text=text,
        data={"postmortem": postmortem.pk, **data},
        at=at,
    )


def due_days() -> int:
    return int(getattr(settings, "KEEL_POSTMORTEM_DUE_DAYS", 5))


# --- template ---------------------------------------------------------------------------


def postmortem_template_get() -> PostmortemTemplate:
    template, _ = PostmortemTemplate.objects.get_or_create(
        name="default", defaults={"sections": default_template()}
    )
    return template


@transaction.atomic
def postmortem_template_update(*, actor: Actor, sections: dict[str, str]) -> PostmortemTemplate:
    """Admins change the starting text of each section for postmortems drafted from now on."""
    actor.require(Role.ADMIN)
    unknown = set(sections) - set(SECTION_KEYS)
    if unknown:
        raise PostmortemError(f"Unknown sections: {', '.join(sorted(unknown))}.", field="sections")
    for key, text in sections.items():
        problem = text_problem(str(text), "a section")
        if problem is not None:
            raise PostmortemError(problem, field=key)
    template = postmortem_template_get()
    template.sections = {
        key: str(sections.get(key, template.text_for(key))) for key in SECTION_KEYS
    }
    template.updated_by = actor.user
    template.save(update_fields=["sections", "updated_by", "updated_at"])
    return template


# --- facts and policy -------------------------------------------------------------------


def incident_facts(incident: Incident) -> dict[str, Any]:
    """What Keel knows about the incident, composed for the document."""
    incident = (
        Incident.objects.select_related("commander")
        .prefetch_related("services", "responders")
        .get(pk=incident.pk)
    )
    alerts = [
        draft.AlertFact(
            name=a.labels.get("alertname", a.fingerprint),
            severity=str(a.labels.get("severity", "")),
            status=a.status,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            summary=str(a.annotations.get("summary", "")),
        )
        for a in Alert.objects.filter(incident=incident).order_by("starts_at")[:200]
    ]
    entries = [
        draft.EntryFact(at=e.at, kind=e.kind, actor=e.actor_name, text=e.text, pinned=e.pinned)
        for e in TimelineEntry.objects.filter(incident=incident)
        .exclude(kind=EntryKind.POSTMORTEM)
        .order_by("at", "id")
    ]
    return draft.compose_facts(
        draft.IncidentFacts(
            number=incident.number,
            title=incident.title,
            severity=incident.severity,
            status=incident.status,
            kind=incident.kind,
            services=[s.name for s in incident.services.all()],
            commander=person_name(incident.commander) or None,
            responders=sorted(person_name(u) for u in incident.responders.all()),
            started_at=incident.started_at,
            detected_at=incident.detected_at,
            acknowledged_at=incident.acknowledged_at,
            resolved_at=incident.resolved_at,
        ),
        alerts=alerts,
        entries=entries,
        impacts=incident_budget_impacts(incident=incident),
    )


def _apply_policy(postmortem: Postmortem) -> list[str]:
    incident = postmortem.incident
    need = policy.requirement(
        severity=incident.severity,
        largest_budget_fraction=draft.largest_budget_fraction(postmortem.facts),
        resolved_at=incident.resolved_at,
        due_days=due_days(),
        drill=incident.kind == Kind.DRILL,
    )
    postmortem.required = need.required
    postmortem.requires_p0_action = need.requires_p0_action
    postmortem.due_at = need.due_at
    return ["required", "requires_p0_action", "due_at"]


def _refresh(postmortem: Postmortem, at: datetime) -> None:
    """Refresh facts and policy (the caller holds the lock; published versions keep theirs)."""
    before = postmortem.facts
    postmortem.facts = incident_facts(postmortem.incident)
    postmortem.facts_refreshed_at = at
    fields = ["facts", "facts_refreshed_at", "updated_at", *_apply_policy(postmortem)]
    postmortem.save(update_fields=fields)
    _redraft_summary(postmortem, before)


def _redraft_summary(postmortem: Postmortem, before: dict[str, Any]) -> None:
    """Drafted text follows the facts until a person edits it: a summary still as Keel drafted
    it from the previous facts is drafted again from the new ones (after a time correction,
    "Resolved after ..." says what the facts say). A summary a person saved stays theirs."""
    if not before or "incident" not in before:
        return
    section = (
        PostmortemSection.objects.select_for_update()
        .filter(postmortem=postmortem, key="summary")
        .first()
    )
    if section is None or section.updated_by_id is not None:
        return
    drafted = draft.default_summary(before)
    if section.body != drafted:
        return
    new = draft.default_summary(postmortem.facts)
    if new == drafted:
        return
    section.body = new
    section.revision = F("revision") + 1  # an editor open on the old text gets a conflict
    section.save(update_fields=["body", "revision", "updated_at"])


@transaction.atomic
def postmortem_draft(*, incident: Incident, actor: Actor, at: datetime | None = None) -> Postmortem:
    """Draft the incident's postmortem from its facts, or refresh the facts of the draft.

    Idempotent: a second call refreshes facts (until publication) and changes no text.
    """
    actor.require(Role.RESPONDER)
    now = _now(at)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is not None:
        postmortem = _lock(postmortem)
        if postmortem.status != PostmortemStatus.PUBLISHED:
            _refresh(postmortem, now)
        return postmortem
    postmortem = Postmortem.objects.create(incident=incident)
    _refresh(postmortem, now)
    template = postmortem_template_get()
    bodies = {key: template.text_for(key) for key in SECTION_KEYS}
    if not bodies["summary"].strip():
        bodies["summary"] = draft.default_summary(postmortem.facts)
    PostmortemSection.objects.bulk_create(
        [
            PostmortemSection(postmortem=postmortem, key=key, body=bodies[key])
            for key in SECTION_KEYS
        ]
    )
    authors = [u for u in (incident.commander, actor.user) if u is not None]
    if authors:
        postmortem.authors.add(*authors)
    due = f"; due {postmortem.due_at:%Y-%m-%d}" if postmortem.due_at else ""
    _record(postmortem, actor, f"Postmortem drafted{due}.", now, step="drafted")
    return postmortem


@transaction.atomic
def postmortem_refresh(
    *, postmortem: Postmortem, actor: Actor, at: datetime | None = None
) -> Postmortem:
    """Re-read the incident's facts into an unpublished postmortem."""
    actor.require(Role.RESPONDER)
    postmortem = _lock(postmortem)
    if postmortem.status == PostmortemStatus.PUBLISHED:
        raise PostmortemError("A published postmortem keeps the facts it was published with.")
    _refresh(postmortem, _now(at))
    return postmortem


# --- editing ----------------------------------------------------------------------------


def _start_revision(postmortem: Postmortem, actor: Actor, at: datetime) -> None:
    """An edit to a published postmortem starts the next version; one in review goes back
    to its reviewers with approvals cleared."""
    if postmortem.status == PostmortemStatus.PUBLISHED:
        postmortem.status = PostmortemStatus.DRAFT
        postmortem.save(update_fields=["status", "updated_at"])
        _record(
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
    now = _now(at)
    postmortem = _lock(postmortem)
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
    postmortem = _lock(postmortem)
    new = (users, failed, revenue, currency or postmortem.revenue_currency)
    old = (
        postmortem.users_affected,
        postmortem.failed_requests,
        postmortem.revenue_impact,
        postmortem.revenue_currency,
    )
    if new == old:
        return postmortem
    if based_on is not None and based_on != figures_drawn(postmortem):
        raise FiguresConflict(postmortem)
    _start_revision(postmortem, actor, _now(at))
    (
        postmortem.users_affected,
        postmortem.failed_requests,
        postmortem.revenue_impact,
        postmortem.revenue_currency,
    ) = new
    postmortem.save(
        update_fields=[
            "users_affected",
            "failed_requests",
            "revenue_impact",
            "revenue_currency",
            "updated_at",
        ]
    )
    return postmortem


# --- review and publication -------------------------------------------------------------


@transaction.atomic
def postmortem_request_review(
    *, postmortem: Postmortem, reviewers: Iterable[Any], actor: Actor, at: datetime | None = None
) -> Postmortem:
    """Ask reviewers to approve. Approvals of an earlier round are cleared."""
    actor.require(Role.RESPONDER)
    now = _now(at)
    postmortem = _lock(postmortem)
    people = [u for u in reviewers if u is not None]
    if not people:
        raise PostmortemError("Name at least one reviewer.", field="reviewers")
    if postmortem.status == PostmortemStatus.IN_REVIEW:
        raise PostmortemError("The postmortem is already in review.", field="status")
    for user in people:
        PostmortemReviewer.objects.update_or_create(
            postmortem=postmortem,
            user=user,
            defaults={"requested_at": now, "approved_at": None, "comment": ""},
        )
    postmortem.reviewers.exclude(user__in=people).update(approved_at=None)
    postmortem.status = PostmortemStatus.IN_REVIEW
    postmortem.review_requested_at = now
    postmortem.save(update_fields=["status", "review_requested_at", "updated_at"])
    names = ", ".join(sorted(person_name(u) for u in people))
    _record(postmortem, actor, f"Postmortem review requested from {names}.", now, step="review")

    from postmortems.tasks import notify_postmortem_reviewers

    pk = postmortem.pk
    transaction.on_commit(lambda: notify_postmortem_reviewers.delay(pk, now.isoformat()))
    return postmortem


@transaction.atomic
def postmortem_review(
    *,
    postmortem: Postmortem,
    actor: Actor,
    approve: bool,
    comment: str = "",
    at: datetime | None = None,
) -> PostmortemReviewer:
    """A reviewer approves, or comments without approving (which withdraws an approval)."""
    actor.require(Role.RESPONDER)
    if actor.user is None:
        raise PostmortemError("Reviews come from people.")
    now = _now(at)
    postmortem = _lock(postmortem)
    if postmortem.status != PostmortemStatus.IN_REVIEW:
        raise PostmortemError("Request a review before approving.", field="status")
    reviewer = postmortem.reviewers.filter(user=actor.user).first()
    if reviewer is None:
        raise PostmortemError("Only the requested reviewers can review this postmortem.")
    if approve and postmortem.authors.filter(pk=actor.user.pk).exists():
        raise PostmortemError("Authors cannot approve their own postmortem.")
    reviewer.approved_at = now if approve else None
    reviewer.comment = comment.strip()[:5000]
    reviewer.save(update_fields=["approved_at", "comment"])
    verb = "approved" if approve else "commented on"
    _record(postmortem, actor, f"{actor.name} {verb} the postmortem.", now, step="reviewed")
    return reviewer


def publish_blockers(postmortem: Postmortem) -> list[str]:
    return policy.publish_blockers(
        requires_p0_action=postmortem.requires_p0_action,
        action_priorities=ActionItem.objects.filter(incident_id=postmortem.incident_id)
        .exclude(status=ActionStatus.WONT_DO)
        .values_list("priority", flat=True),
        approvals=postmortem.reviewers.filter(approved_at__isnull=False).count(),
    )


def snapshot_hash(snapshot: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(snapshot, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


@transaction.atomic
def postmortem_publish(
    *, postmortem: Postmortem, actor: Actor, at: datetime | None = None
) -> PostmortemVersion:
    """Freeze facts and text as the next version; the PDF is rendered after commit."""
    actor.require(Role.RESPONDER)
    now = _now(at)
    postmortem = _lock(postmortem)
    if postmortem.status != PostmortemStatus.IN_REVIEW:
        raise PostmortemError("Only a postmortem in review can be published.", field="status")
    if postmortem.incident.status not in (Status.RESOLVED, Status.CLOSED):
        raise PostmortemError("Resolve the incident before publishing its postmortem.")
    _refresh(postmortem, now)
    blockers = publish_blockers(postmortem)
    if blockers:
        raise PostmortemError(" ".join(blockers), field="status")
    number = postmortem.published_version + 1
    snapshot = postmortem_snapshot(postmortem)
    snapshot.update(
        version=number,
        status=PostmortemStatus.PUBLISHED,
        published_at=now.isoformat(),
        published_by=actor.name if actor.user is None else person_name(actor.user),
    )
    version = PostmortemVersion.objects.create(
        postmortem=postmortem,
        number=number,
        published_at=now,
        published_by=actor.user,
        published_by_name=snapshot["published_by"],
        snapshot=snapshot,
        content_hash=snapshot_hash(snapshot),
    )
    postmortem.status = PostmortemStatus.PUBLISHED
    postmortem.published_version = number
    postmortem.published_at = now
    postmortem.save(update_fields=["status", "published_version", "published_at", "updated_at"])
    _record(postmortem, actor, f"Postmortem version {number} published.", now, step="published")

    from postmortems.tasks import render_postmortem_pdf

    transaction.on_commit(lambda: render_postmortem_pdf.delay(postmortem.pk, number))
    return version


# --- action items -----------------------------------------------------------------------


def _clean_item_fields(fields: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    if "title" in fields:
        title = str(fields["title"] or "").strip()
        if not title:
            raise PostmortemError("A title is required.", field="title")
        clean["title"] = title[:300]
    if "description" in fields:
        clean["description"] = str(fields["description"] or "")
    if "priority" in fields:
        if fields["priority"] not in ActionPriority.values:
            raise PostmortemError("Priority is P0, P1 or P2.", field="priority")
        clean["priority"] = fields["priority"]
    if "kind" in fields:
        if fields["kind"] not in ActionKind.values:
            raise PostmortemError(f"Kind is one of {', '.join(ActionKind.values)}.", field="kind")
        clean["kind"] = fields["kind"]
    if "tracker_url" in fields:
        url = str(fields["tracker_url"] or "").strip()
        if url and not url.startswith(("https://", "http://")):
            raise PostmortemError("The tracker URL starts with https://.", field="tracker_url")
        if len(url) > 500:
            raise PostmortemError("The tracker URL is too long.", field="tracker_url")
        clean["tracker_url"] = url
    if "due_on" in fields:
        due = fields["due_on"]
        if isinstance(due, str):
            try:
                due = date.fromisoformat(due) if due else None
            except ValueError:
                raise PostmortemError("Use a date such as 2026-12-01.", field="due_on") from None
        clean["due_on"] = due
    for name in ("owner", "team"):
        if name in fields:
            clean[name] = fields[name]
    return clean


@transaction.atomic
def action_item_create(
    *, incident: Incident, actor: Actor, title: str, at: datetime | None = None, **fields: Any
) -> ActionItem:
    actor.require(Role.RESPONDER)
    clean = _clean_item_fields({"title": title, **fields})
    status = fields.get("status", ActionStatus.OPEN)
    if status not in ActionStatus.values:
        raise PostmortemError("Unknown status.", field="status")
    postmortem = Postmortem.objects.filter(incident=incident).first()
    item = ActionItem.objects.create(
        incident=incident,
        postmortem=postmortem,
        created_by=actor.user,
        status=status,
        completed_at=_now(at) if status in CLOSED_ACTION_STATUSES else None,
        **clean,
    )
    return item


@transaction.atomic
def action_item_update(
    *, item: ActionItem, actor: Actor, at: datetime | None = None, **fields: Any
) -> ActionItem:
    """Change an action item; moving it to done or won't do stamps completed_at."""
    actor.require(Role.RESPONDER)
    item = ActionItem.objects.select_for_update().get(pk=item.pk)
    clean = _clean_item_fields(fields)
    if "status" in fields:
        status = fields["status"]
        if status not in ActionStatus.values:
            raise PostmortemError(
                f"Status is one of {', '.join(ActionStatus.values)}.", field="status"
            )
        if status != item.status:
            closing = status in CLOSED_ACTION_STATUSES
            if closing and not item.is_closed:
                clean["completed_at"] = _now(at)
            elif not closing:
                clean["completed_at"] = None
            clean["status"] = status
    for name, value in clean.items():
        setattr(item, name, value)
    if clean:
        try:
            with transaction.atomic():
                item.save(update_fields=[*clean, "updated_at"])
        except IntegrityError as exc:
            raise PostmortemError(f"The action item is not valid: {exc}.") from None
    return item


@transaction.atomic
def action_item_delete(*, item: ActionItem, actor: Actor) -> None:
    """Remove an action item entered by mistake (published versions keep their copy)."""
    actor.require(Role.RESPONDER)
    item.delete()


# --- reminders --------------------------------------------------------------------------


def reminders_send(*, at: datetime | None = None) -> dict[str, int]:
    """Email the authors of overdue postmortems and the owners of overdue action items,
    at most once a day each."""
    now = _now(at)
    quiet = now - timedelta(hours=23)
    base = settings.KEEL_BASE_URL.rstrip("/")
    sent = {"postmortems": 0, "action_items": 0}
    overdue = (
        Postmortem.objects.filter(required=True, due_at__lt=now, published_version=0)
        .exclude(reminded_at__gte=quiet)
        .select_related("incident__commander")
        .prefetch_related("authors")
    )
    for pm in overdue:
        people = {u.email for u in pm.authors.all() if u.email}
        if pm.incident.commander and pm.incident.commander.email:
            people.add(pm.incident.commander.email)
        if people:
            send_mail(
                f"Postmortem overdue: {pm.reference} {pm.incident.title}",
                f"The postmortem of {pm.reference} was due {pm.due_at:%Y-%m-%d}.\n"
                f"{base}/incidents/{pm.incident.number}/postmortem/\n",
                None,
                sorted(people),
            )
            sent["postmortems"] += 1
        Postmortem.objects.filter(pk=pm.pk).update(reminded_at=now)
    items = (
        ActionItem.objects.filter(due_on__lt=timezone.localdate(now), owner__isnull=False)
        .exclude(status__in=CLOSED_ACTION_STATUSES)
        .exclude(reminded_at__gte=quiet)
        .select_related("owner", "incident")
    )
    for item in items:
        if item.owner and item.owner.email:
            send_mail(
                f"Action item overdue: [{item.priority}] {item.title}",
                f"From INC-{item.incident.number}, due {item.due_on:%Y-%m-%d}.\n"
                f"{base}/action-items/?owner={item.owner.get_username()}\n",
                None,
                [item.owner.email],
            )
            sent["action_items"] += 1
        ActionItem.objects.filter(pk=item.pk).update(reminded_at=now)
    return sent


# --- documents --------------------------------------------------------------------------


def postmortem_document(*, postmortem: Postmortem, version: int | None = None) -> dict[str, Any]:
    """The snapshot a document shows: a published version's, or the live draft's."""
    if version is not None:
        return PostmortemVersion.objects.get(postmortem=postmortem, number=version).snapshot
    return postmortem_snapshot(postmortem)


def postmortem_pdf_lookup(
    *, postmortem: Postmortem, version: int | None = None, paper: str = "a4"
) -> tuple[str, PostmortemPdf | None]:
    """The content hash of the document as it is now, and its PDF if already rendered."""
    from postmortems.render import content_hash, render_html

    html = render_html(postmortem_document(postmortem=postmortem, version=version), paper=paper)
    digest = content_hash(html, paper)
    return digest, PostmortemPdf.objects.filter(content_hash=digest).first()


def postmortem_pdf_request(
    *, postmortem: Postmortem, version: int | None = None, paper: str = "a4"
) -> PostmortemPdf | None:
    """The PDF of the document as it is now if it is rendered; otherwise queue its
    rendering (a worker renders it; in-process without one) and return it if ready."""
    from postmortems.tasks import render_postmortem_pdf

    _, cached = postmortem_pdf_lookup(postmortem=postmortem, version=version, paper=paper)
    if cached is None:
        render_postmortem_pdf.delay(postmortem.pk, version, paper)
        _, cached = postmortem_pdf_lookup(postmortem=postmortem, version=version, paper=paper)
    return cached


def postmortem_pdf_render(
    *, postmortem: Postmortem, version: int | None = None, paper: str = "a4"
) -> PostmortemPdf:
    """Render (or find in the cache) the PDF of the document as it is now."""
    from postmortems.render import content_hash, render_html, render_pdf

    if paper not in ("a4", "letter"):
        raise PostmortemError("Paper is a4 or letter.", field="paper")
    html = render_html(postmortem_document(postmortem=postmortem, version=version), paper=paper)
    digest = content_hash(html, paper)
    cached = PostmortemPdf.objects.filter(content_hash=digest).first()
    if cached is not None:
        return cached
    data = render_pdf(html)
    PostmortemPdf.objects.bulk_create(
        [
            PostmortemPdf(
                postmortem=postmortem,
                content_hash=digest,
                paper=paper,
                version_number=version,
                pdf=data,
                size=len(data),
            )
        ],
        ignore_conflicts=True,
    )
    if version is None:
        # Only the newest draft PDF is worth keeping; published versions keep theirs.
        PostmortemPdf.objects.filter(
            postmortem=postmortem, version_number__isnull=True, paper=paper
        ).exclude(content_hash=digest).delete()
    return PostmortemPdf.objects.get(content_hash=digest)
