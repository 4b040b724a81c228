"""Choices for incident fields, and the legal status transitions."""

from django.db import models


class Severity(models.TextChoices):
    SEV1 = "SEV1", "SEV1 — critical"
    SEV2 = "SEV2", "SEV2 — major"
    SEV3 = "SEV3", "SEV3 — minor"
    SEV4 = "SEV4", "SEV4 — low"


class Status(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)

# Moves `incident_set_status` allows. Resolving, closing and reopening have services of
# their own, which set their timestamps; they are listed here so the UI can offer them.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.INVESTIGATING: (Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED),
    Status.IDENTIFIED: (Status.INVESTIGATING, Status.MONITORING, Status.RESOLVED),
    Status.MONITORING: (Status.INVESTIGATING, Status.IDENTIFIED, Status.RESOLVED),
    Status.RESOLVED: (Status.CLOSED, Status.INVESTIGATING),
    Status.CLOSED: (),
}


class Kind(models.TextChoices):
    ALERT = "alert", "From alerts"
    MANUAL = "manual", "Declared"
    DRILL = "drill", "Drill"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"


class ResolvePolicy(models.TextChoices):
    MONITORING = "monitoring", "Move to monitoring"
    RESOLVED = "resolved", "Resolve the incident"


class DeliveryState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    FAILED = "failed", "Failed"


class EntryKind(models.TextChoices):
    OPENED = "opened", "Opened from alerts"
    DECLARED = "declared", "Declared"
    ALERT_FIRED = "alert_fired", "Alert fired"
    ALERT_RESOLVED = "alert_resolved", "Alert resolved"
    STATUS = "status", "Status changed"
    SEVERITY = "severity", "Severity changed"
    ROLE = "role", "Role changed"
    NOTE = "note", "Note"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    EDITED = "edited", "Details edited"
    FIELD_CORRECTED = "field_corrected", "Time corrected"
    # Written by the other parts of Keel through incident_record().
    PAGED = "paged", "Paged"
    SLO_BURN = "slo_burn", "Error-budget burn"
    BUDGET_IMPACT = "budget_impact", "Budget impact"
    POSTMORTEM = "postmortem", "Postmortem"


# What incident_record() may write; every other kind has its own service.
RECORDED_KINDS = (
    EntryKind.PAGED,
    EntryKind.SLO_BURN,
    EntryKind.BUDGET_IMPACT,
    EntryKind.POSTMORTEM,
)

# Entries that change what the incident is (severity, status, roles, details, times); an
# incident's version is the id of its newest one. Notes, alerts and pages do not count.
STATE_KINDS = tuple(
    kind
    for kind in EntryKind.values
    if kind
    not in {EntryKind.NOTE, EntryKind.ALERT_FIRED, EntryKind.ALERT_RESOLVED, *RECORDED_KINDS}
)


DEFAULT_SEVERITY_MAPPING = {
    "page": Severity.SEV1.value,
    "critical": Severity.SEV2.value,
    "error": Severity.SEV3.value,
    "warning": Severity.SEV4.value,
}


def default_severity_mapping() -> dict[str, str]:
    return dict(DEFAULT_SEVERITY_MAPPING)
