"""Tell the people asked to review a postmortem that it waits for them (by email, as Keel
sends its reminders)."""

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from postmortems.models import Postmortem, PostmortemStatus


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
    link = settings.KEEL_BASE_URL.rstrip("/") + reverse(
        "postmortems:editor", args=[postmortem.incident.number]
    )
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
