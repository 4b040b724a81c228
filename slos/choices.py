"""Choices for SLO fields."""

from django.db import models


class WindowKind(models.TextChoices):
    ROLLING = "rolling", "Rolling N days"
    CALENDAR_MONTH = "calendar_month", "Calendar month"


class BudgetingMethod(models.TextChoices):
    OCCURRENCES = "occurrences", "Occurrences (good / total events)"
    TIMESLICES = "timeslices", "Timeslices (good / total slices)"


class SliSource(models.TextChoices):
    PROMETHEUS = "prometheus", "Prometheus queries"
    PUSHED = "pushed", "Counts pushed to Keel"


class CorrectionCategory(models.TextChoices):
    MAINTENANCE = "maintenance", "Planned maintenance"
    DRILL = "drill", "Drill"
    FALSE_POSITIVE = "false_positive", "Bad data / false positive"
    OTHER = "other", "Other"


class Tier(models.TextChoices):
    HEALTHY = "healthy", "Healthy"
    CAUTION = "caution", "Caution"
    AT_RISK = "at_risk", "At risk"
    FREEZE = "freeze", "Freeze"


class AlertState(models.TextChoices):
    OK = "ok", "OK"
    TICKET = "ticket", "Ticket"
    PAGE = "page", "Page"


class BypassKind(models.TextChoices):
    HOTFIX = "hotfix", "Hotfix"
    SECURITY = "security", "Security fix"
