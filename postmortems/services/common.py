"""What the postmortem services share: their error, the row lock, the timeline record,
links in emails."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.actors import Actor
from core.errors import KeelError
from incidents.choices import EntryKind
from incidents.services.incidents import incident_record
from postmortems.models import Postmortem


class PostmortemError(KeelError):
    """A postmortem change that its current state does not allow; the message says why."""


def now_or(at: datetime | None) -> datetime:
    """The time a change happens: `at` when the caller says, otherwise now."""
    return at or timezone.now()


def locked(postmortem: Postmortem) -> Postmortem:
    """The postmortem re-read under a row lock, with its incident."""
    return Postmortem.objects.select_for_update().select_related("incident").get(pk=postmortem.pk)


def record(postmortem: Postmortem, actor: Actor, text: str, at: datetime, **data: Any) -> None:
    """Write a postmortem step to the incident's timeline."""
    incident_record(
        incident=postmortem.incident,
        kind=EntryKind.POSTMORTEM,
        actor=actor,
        text=text,
        data={"postmortem": postmortem.pk, **data},
        at=at,
    )


def due_days() -> int:
    """Days after resolution within which a required postmortem is due."""
    return int(getattr(settings, "KEEL_POSTMORTEM_DUE_DAYS", 5))


def absolute_url(path: str) -> str:
    """A Keel path as a link an email can carry (KEEL_BASE_URL in front)."""
    return settings.KEEL_BASE_URL.rstrip("/") + path
