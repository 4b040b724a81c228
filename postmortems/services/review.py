"""Review and publication: asking reviewers, their approvals, telling them by email, and
freezing the next published version."""

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse

from core.actors import Actor
from core.roles import Role
from incidents.choices import Status
from postmortems import policy
from postmortems.models import (
    ActionItem,
    ActionStatus,
    Postmortem,
    PostmortemReviewer,
    PostmortemStatus,
    PostmortemVersion,
)
from postmortems.selectors import person_name, postmortem_snapshot
from postmortems.services.common import PostmortemError, absolute_url, locked, now_or, record
from postmortems.services.drafts import refresh_facts
from postmortems.tasks import notify_postmortem_reviewers, render_postmortem_pdf


@transaction.atomic
def postmortem_request_review(
    *, postmortem: Postmortem, reviewers: Iterable[Any], actor: Actor, at: datetime | None = None
) -> Postmortem:
    """Ask reviewers to approve. Approvals of an earlier round are cleared."""
    actor.require(Role.RESPONDER)
    now = now_or(at)
    postmortem = locked(postmortem)
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
    record(postmortem, actor, f"Postmortem review requested from {names}.", now, step="review")

    pk = postmortem.pk
    transaction.on_commit(lambda: notify_postmortem_reviewers.delay(pk, now.isoformat()))
    return postmortem


def postmortem_review_notify(*, postmortem_id: int, requested_at: datetime) -> int:
    """Email each reviewer of the review round requested at `requested_at` who has not
    approved yet; nothing when the round is over or another was requested since. Returns
    how many were told."""
    postmortem = Postmortem.objects.select_related("incident").filter(pk=postmortem_id).first()
    if (
        postmortem is None
        or postmortem.status != PostmortemStatus.IN_REVIEW
        or postmortem.review_requested_at != requested_at
    ):
        return 0
    link = absolute_url(reverse("postmortems:editor", args=[postmortem.incident.number]))
    reviewers = postmortem.reviewers.filter(
        requested_at=requested_at, approved_at__isnull=True
    ).select_related("user")
    told = 0
    for reviewer in reviewers:
        if not reviewer.user.email:
            continue
        send_mail(
            f"[Keel] Review requested: postmortem of {postmortem.reference}",
            f"You are asked to review the postmortem of {postmortem.reference} "
            f"({postmortem.incident.title}).\n\nRead it, then approve or comment: {link}#review\n",
            None,
            [reviewer.user.email],
        )
        told += 1
    return told


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
    now = now_or(at)
    postmortem = locked(postmortem)
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
    record(postmortem, actor, f"{actor.name} {verb} the postmortem.", now, step="reviewed")
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
    now = now_or(at)
    postmortem = locked(postmortem)
    if postmortem.status != PostmortemStatus.IN_REVIEW:
        raise PostmortemError("Only a postmortem in review can be published.", field="status")
    if postmortem.incident.status not in (Status.RESOLVED, Status.CLOSED):
        raise PostmortemError("Resolve the incident before publishing its postmortem.")
    refresh_facts(postmortem, now)
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
    record(postmortem, actor, f"Postmortem version {number} published.", now, step="published")

    transaction.on_commit(lambda: render_postmortem_pdf.delay(postmortem.pk, number))
    return version
