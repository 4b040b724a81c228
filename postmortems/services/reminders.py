"""Reminders: email the people behind overdue postmortems and action items."""

from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from postmortems.models import CLOSED_ACTION_STATUSES, ActionItem, Postmortem
from postmortems.services.common import absolute_url, now_or


def reminders_send(*, at: datetime | None = None) -> dict[str, int]:
    """Email the authors of overdue postmortems and the owners of overdue action items,
    at most once a day each."""
    now = now_or(at)
    quiet = now - timedelta(hours=23)
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
            link = absolute_url(reverse("postmortems:editor", args=[pm.incident.number]))
            send_mail(
                f"Postmortem overdue: {pm.reference} {pm.incident.title}",
                f"The postmortem of {pm.reference} was due {pm.due_at:%Y-%m-%d}.\n{link}\n",
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
    board = absolute_url(reverse("postmortems:board"))
    for item in items:
        if item.owner and item.owner.email:
            send_mail(
                f"Action item overdue: [{item.priority}] {item.title}",
                f"From INC-{item.incident.number}, due {item.due_on:%Y-%m-%d}.\n"
                f"{board}?owner={item.owner.get_username()}\n",
                None,
                [item.owner.email],
            )
            sent["action_items"] += 1
        ActionItem.objects.filter(pk=item.pk).update(reminded_at=now)
    return sent
