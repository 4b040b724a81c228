"""Drafting a postmortem from the incident's facts, refreshing those facts, and the
template every draft starts from."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from core.actors import Actor
from core.bounds import text_problem
from core.roles import Role
from incidents import selectors as incidents_selectors
from incidents.choices import EntryKind, Kind
from incidents.models import Incident
from postmortems import draft, policy
from postmortems.models import (
    Postmortem,
    PostmortemSection,
    PostmortemStatus,
    PostmortemTemplate,
)
from postmortems.sections import SECTION_KEYS, default_template
from postmortems.selectors import incident_budget_impacts, person_name
from postmortems.services.common import PostmortemError, due_days, locked, now_or, record


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


def incident_facts(incident: Incident) -> dict[str, Any]:
    """What Keel knows about the incident, composed for the document."""
    incident = incidents_selectors.incident_with_people(user=None, incident_id=incident.pk)
    alerts = [
        draft.AlertFact(
            name=a.labels.get("alertname", a.fingerprint),
            severity=str(a.labels.get("severity", "")),
            status=a.status,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            summary=str(a.annotations.get("summary", "")),
        )
        for a in incidents_selectors.incident_alerts(incident=incident).order_by("starts_at")[:200]
    ]
    entries = [
        draft.EntryFact(at=e.at, kind=e.kind, actor=e.actor_name, text=e.text, pinned=e.pinned)
        for e in incidents_selectors.incident_timeline(incident=incident)
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


def refresh_facts(postmortem: Postmortem, at: datetime) -> None:
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
    now = now_or(at)
    locked_incident = incidents_selectors.incident_for_update(incident_id=incident.pk)
    if locked_incident is None:
        raise incidents_selectors.IncidentNotFound(incident.number)
    incident = locked_incident
    postmortem = Postmortem.objects.filter(incident=incident).first()
    if postmortem is not None:
        postmortem = locked(postmortem)
        if postmortem.status != PostmortemStatus.PUBLISHED:
            refresh_facts(postmortem, now)
        return postmortem
    postmortem = Postmortem.objects.create(incident=incident)
    refresh_facts(postmortem, now)
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
    record(postmortem, actor, f"Postmortem drafted{due}.", now, step="drafted")
    return postmortem


@transaction.atomic
def postmortem_refresh_unpublished(
    *, incident_id: int, actor: Actor, at: datetime | None = None
) -> Postmortem | None:
    """Refresh the facts of the incident's unpublished postmortem; None when it has none
    (or only a published one), for a change of what a postmortem states creates none."""
    actor.require(Role.RESPONDER)
    postmortem = (
        Postmortem.objects.filter(incident_id=incident_id)
        .exclude(status=PostmortemStatus.PUBLISHED)
        .first()
    )
    if postmortem is None:
        return None
    postmortem = locked(postmortem)
    if postmortem.status != PostmortemStatus.PUBLISHED:
        refresh_facts(postmortem, now_or(at))
    return postmortem


@transaction.atomic
def postmortem_refresh(
    *, postmortem: Postmortem, actor: Actor, at: datetime | None = None
) -> Postmortem:
    """Re-read the incident's facts into an unpublished postmortem."""
    actor.require(Role.RESPONDER)
    postmortem = locked(postmortem)
    if postmortem.status == PostmortemStatus.PUBLISHED:
        raise PostmortemError("A published postmortem keeps the facts it was published with.")
    refresh_facts(postmortem, now_or(at))
    return postmortem
