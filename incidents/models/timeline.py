"""TimelineEntry: an immutable fact about an incident."""

from datetime import UTC
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from ..choices import STATE_KINDS, EntryKind


class TimelineEntry(models.Model):
    """A timestamped fact about an incident. Append-only: only `pinned` may change later."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="timeline"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_integration = models.ForeignKey(
        "incidents.Integration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, help_text="Who, as they were named then.")
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    pinned = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "timeline entries"
        indexes = [
            # A page of an incident's timeline, newest first, and its pinned entries, read
            # without sorting the incident's other entries (an incident may hold 100,000).
            models.Index(fields=["incident", "at", "id"], name="timeline_incident_page_idx"),
            models.Index(
                fields=["incident", "at", "id"],
                name="timeline_pinned_idx",
                condition=Q(pinned=True),
            ),
            # The incident's version (its newest state-changing entry), read with every
            # detail and room: one index entry, not a scan of 100,000 alert entries.
            models.Index(
                fields=["incident", "id"],
                name="timeline_state_idx",
                condition=Q(kind__in=STATE_KINDS),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="timeline_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.text[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and set(kwargs.get("update_fields") or ()) != {"pinned"}:
            raise ValueError("Timeline entries are append-only; only `pinned` can change.")
        super().save(*args, **kwargs)

    def as_json(self) -> dict[str, Any]:
        """The entry as the API shows it (the timeline serializer uses this too)."""
        at = self.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return {
            "id": self.pk,
            "at": at,
            "kind": self.kind,
            "actor": self.actor_name,
            "text": self.text,
            "data": self.data,
            "pinned": self.pinned,
        }
