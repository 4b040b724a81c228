"""Handoffs at shift boundaries: creation, reminders, notes and "I have it"."""

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.errors import KeelError
from core.roles import Role, role_of

from .. import rotation
from ..choices import Channel, PageStatus
from ..models import ContactMethod, Handoff, HandoffReminder, Schedule
from ..selectors import schedule_list, schedule_resolve
from ..tasks import deliver_handoff_reminder
from ._common import now, require
from .paging import attempt_delivery, webhook_status

LOOKBACK = timedelta(days=1)

logger = logging.getLogger(__name__)


def _boundaries(
    schedule: Schedule, at: datetime, until: datetime
) -> list[tuple[rotation.Shift | None, rotation.Shift]]:
    final = schedule_resolve(schedule, at - timedelta(days=14), until + timedelta(days=30))
    if final.errors:
        # Handoffs from a partial schedule would announce the wrong people; the schedule
        # shows the error, and handoffs resume once it is fixed.
        logger.warning("no handoffs for schedule %s: %s", schedule.pk, final.errors[0].text)
        return []
    shifts = rotation.merge_people(final.shifts)
    pairs: list[tuple[rotation.Shift | None, rotation.Shift]] = []
    for previous, shift in zip([None, *shifts], shifts, strict=False):
        if at - LOOKBACK < shift.start <= until and (previous is None or previous.who != shift.who):
            pairs.append(
                (previous if previous is not None and previous.end == shift.start else None, shift)
            )
    return pairs


def handoffs_prepare(*, at: datetime | None = None) -> list[int]:
    """Create the handoff of every shift change from a day ago up to the reminder lead
    time ahead (idempotent); the ids of those whose incoming person is yet to be reminded."""
    when = now(at)
    until = when + timedelta(minutes=settings.KEEL_HANDOFF_REMIND_BEFORE_MINUTES)
    due: list[int] = []
    for schedule in schedule_list(user=None):
        for previous, shift in _boundaries(schedule, when, until):
            outgoing_start = previous.start if previous is not None else shift.start
            try:
                with transaction.atomic():
                    handoff, _ = Handoff.objects.get_or_create(
                        schedule=schedule,
                        shift_start=shift.start,
                        defaults={
                            "outgoing_id": previous.who if previous is not None else None,
                            "incoming_id": shift.who,
                            "outgoing_shift_start": outgoing_start,
                            "shift_end": shift.end,
                        },
                    )
            except IntegrityError:
                continue
            if handoff.reminded_at is None and handoff.shift_start > when and handoff.incoming_id:
                due.append(handoff.pk)
    return due


def handoff_url(handoff: Handoff) -> str:
    return settings.KEEL_BASE_URL.rstrip("/") + reverse("oncall:handoff", kwargs={"pk": handoff.pk})


def handoff_send_reminder(*, handoff_id: int, at: datetime | None = None) -> Handoff | None:
    """Remind the incoming person of their shift, once: by email now, and on each of
    their webhook contact methods through a delivery that retries like a page."""
    when = now(at)
    with transaction.atomic():
        handoff = (
            Handoff.objects.select_for_update(of=("self",))
            .select_related("schedule", "incoming", "outgoing")
            .filter(pk=handoff_id)
            .first()
        )
        if handoff is None or handoff.reminded_at is not None or handoff.incoming is None:
            return handoff
        handoff.reminded_at = when
        handoff.save(update_fields=["reminded_at"])
        reminders = HandoffReminder.objects.bulk_create(
            HandoffReminder(handoff=handoff, contact_method=method, created_at=when)
            for method in ContactMethod.objects.filter(
                user=handoff.incoming, kind=Channel.WEBHOOK, enabled=True
            ).order_by("id")
        )
        for reminder in reminders:
            transaction.on_commit(partial(_enqueue_reminder, reminder.pk))
    person = handoff.incoming
    addresses = list(
        ContactMethod.objects.filter(user=person, kind=Channel.EMAIL, enabled=True).values_list(
            "address", flat=True
        )
    ) or ([person.email] if person.email else [])
    if addresses:
        subject, body = _reminder_text(handoff)
        send_mail(subject, body, None, addresses)
    return handoff


def _enqueue_reminder(reminder_id: int) -> None:
    deliver_handoff_reminder.delay(reminder_id)


def _reminder_text(handoff: Handoff) -> tuple[str, str]:
    start = handoff.shift_start.astimezone(ZoneInfo(handoff.schedule.time_zone))
    subject = f"[Keel] You are on call for {handoff.schedule} from {start:%a %d %b %H:%M %Z}"
    body = (
        f"Your shift on {handoff.schedule} starts {start:%A %d %B %H:%M %Z}"
        + (f", taking over from {handoff.outgoing}" if handoff.outgoing else "")
        + f".\n\nRead the handoff and confirm you have it: {handoff_url(handoff)}\n"
    )
    return subject, body


def handoff_reminder_deliver(
    *, reminder_id: int, at: datetime | None = None
) -> tuple[HandoffReminder | None, bool]:
    """Post a handoff reminder to its webhook once; the reminder and whether to retry.
    A shift taken over meanwhile needs no reminder."""
    with transaction.atomic():
        reminder = (
            HandoffReminder.objects.select_for_update(of=("self",))
            .select_related(
                "handoff__schedule", "handoff__incoming", "handoff__outgoing", "contact_method"
            )
            .filter(pk=reminder_id)
            .first()
        )
        if reminder is None or reminder.status != PageStatus.PENDING:
            return reminder, False
        if reminder.handoff.acknowledged_at is not None:
            reminder.status = PageStatus.FAILED
            reminder.last_error = "Not sent: the shift was taken over first."
            reminder.save(update_fields=["status", "last_error"])
            return reminder, False
        reminder.attempts += 1
        reminder.save(update_fields=["attempts"])
    handoff = reminder.handoff
    subject, _ = _reminder_text(handoff)
    url = handoff_url(handoff)
    payload = {
        "text": f"{subject}\n<{url}|Read the handoff and confirm you have it>",
        "handoff": {
            "schedule": str(handoff.schedule),
            "outgoing": handoff.outgoing.get_username() if handoff.outgoing else None,
            "incoming": handoff.incoming.get_username() if handoff.incoming else None,
            "shift_start": handoff.shift_start.isoformat(),
        },
        "handoff_url": url,
    }
    status, error, retry = attempt_delivery(
        f"handoff reminder {reminder.pk}",
        reminder.attempts,
        lambda: webhook_status(reminder.contact_method.address, payload),
    )
    reminder.status, reminder.last_error = status, error
    fields = ["status", "last_error"]
    if status == PageStatus.DELIVERED:
        reminder.delivered_at = now(at)
        fields.append("delivered_at")
    reminder.save(update_fields=fields)
    return reminder, retry


@transaction.atomic
def handoff_update_notes(*, user: Any, handoff: Handoff, notes: str) -> Handoff:
    """The outgoing person's notes (an admin may write them too)."""
    require(user, Role.RESPONDER)
    if user is not None and user.pk != handoff.outgoing_id and role_of(user) < Role.ADMIN:
        raise KeelError(
            "Only the outgoing person (or an admin) writes the handoff notes.", field="notes"
        )
    if len(notes) > 20000:
        raise KeelError("Notes are at most 20,000 characters.", field="notes")
    handoff.notes = notes
    handoff.save(update_fields=["notes"])
    return handoff


@transaction.atomic
def handoff_acknowledge(*, user: Any, handoff: Handoff, at: datetime | None = None) -> Handoff:
    """The incoming person says "I have it". Saying it twice keeps the first time."""
    require(user, Role.RESPONDER)
    handoff = Handoff.objects.select_for_update().get(pk=handoff.pk)
    if user is None or user.pk != handoff.incoming_id:
        raise KeelError("Only the incoming person can take over the shift.")
    if handoff.acknowledged_at is None:
        handoff.acknowledged_at = now(at)
        handoff.save(update_fields=["acknowledged_at"])
    return handoff
