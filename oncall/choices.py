"""Choices for on-call fields."""

from django.db import models


class ShiftUnit(models.TextChoices):
    HOURS = "hours", "Hours"
    DAYS = "days", "Days"
    WEEKS = "weeks", "Weeks"


class TargetKind(models.TextChoices):
    SCHEDULE = "schedule", "Whoever is on call for a schedule"
    USER = "user", "A person"
    TEAM = "team", "Every member of a team"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook (Slack-compatible)"


class PageStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class EscalationState(models.TextChoices):
    RUNNING = "running", "Running"
    ACKNOWLEDGED = "acknowledged", "Stopped: acknowledged"
    RESOLVED = "resolved", "Stopped: resolved"
    EXHAUSTED = "exhausted", "Stopped: every step and repeat done"
