"""Postmortems: the document, its sections, reviewers, published versions, PDFs, action items."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from postmortems.sections import SECTION_KEYS, default_template


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class ActionPriority(models.TextChoices):
    P0 = "P0", "P0 — before anything else"
    P1 = "P1", "P1 — this quarter"
    P2 = "P2", "P2 — when we can"


class ActionKind(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    DETECT = "detect", "Detect"
    MITIGATE = "mitigate", "Mitigate"
    PROCESS = "process", "Process"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


CLOSED_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.WONT_DO)


class PostmortemTemplate(models.Model):
    """The starting text of each section for new postmortems; admins edit it.

    The row named `default` is used; it is created with the default text when missing.
    """

    name = models.CharField(max_length=100, unique=True, default="default")
    sections = models.JSONField(default=default_template)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        db_table = "incidents_postmortemtemplate"  # kept from the app it was moved from

    def __str__(self) -> str:
        return self.name

    def text_for(self, key: str) -> str:
        value = (self.sections or {}).get(key, "")
        return value if isinstance(value, str) else ""


class Postmortem(models.Model):
    """The postmortem of one incident: draft → in review → published.

    `facts` is what Keel knows about the incident (header, durations, alerts, timeline,
    budget impact); it is refreshed until publication. Each publication freezes a
    `PostmortemVersion`; editing a published postmortem starts the next version as a draft.
    """

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="postmortem"
    )
    status = models.CharField(
        max_length=20, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="authored_postmortems"
    )
    facts = models.JSONField(default=dict, blank=True)
    facts_refreshed_at = models.DateTimeField(null=True, blank=True)
    users_affected = models.PositiveBigIntegerField(null=True, blank=True)
    failed_requests = models.PositiveBigIntegerField(null=True, blank=True)
    revenue_impact = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    revenue_currency = models.CharField(max_length=3, blank=True, default="USD")
    required = models.BooleanField(
        default=False, help_text="Policy requires this postmortem (severity or budget impact)."
    )
    requires_p0_action = models.BooleanField(
        default=False, help_text="More than the policy's share of an SLO budget was spent."
    )
    due_at = models.DateTimeField(null=True, blank=True)
    review_requested_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, help_text="Latest publication.")
    published_version = models.PositiveIntegerField(
        default=0, help_text="Number of the latest published version (0: never published)."
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The optional impact figures, edited together.
    FIGURE_FIELDS = ("users_affected", "failed_requests", "revenue_impact", "revenue_currency")

    class Meta:
        db_table = "incidents_postmortem"  # kept from the app it was moved from
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PostmortemStatus.values), name="postmortem_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=PostmortemStatus.PUBLISHED)
                | (Q(published_at__isnull=False) & Q(published_version__gte=1)),
                name="postmortem_published_has_version",
            ),
            models.CheckConstraint(
                condition=Q(revenue_impact__isnull=True) | Q(revenue_impact__gte=0),
                name="postmortem_revenue_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_at"], name="postmortem_due_idx")]

    def __str__(self) -> str:
        return f"Postmortem of INC-{self.incident.number}"

    @property
    def reference(self) -> str:
        return f"INC-{self.incident.number}"

    @property
    def author_names(self) -> list[str]:
        return sorted(u.get_username() for u in self.authors.all())

    @property
    def is_published(self) -> bool:
        return self.status == PostmortemStatus.PUBLISHED

    def figures(self) -> dict[str, Any]:
        """The impact figures by field name, as stored (None where not given)."""
        return {name: getattr(self, name) for name in self.FIGURE_FIELDS}


class PostmortemSection(models.Model):
    """One section's Markdown. `revision` grows by one on every save: an editor sends the
    revision it started from, and a mismatch is a conflict, not a silent overwrite."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=40)
    body = models.TextField(blank=True)
    revision = models.PositiveIntegerField(default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "incidents_postmortemsection"  # kept from the app it was moved from
        ordering = ["postmortem", "id"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "key"], name="postmortem_section_once"),
            models.CheckConstraint(
                condition=Q(key__in=SECTION_KEYS), name="postmortem_section_key_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} r{self.revision}"


class PostmortemReviewer(models.Model):
    """A reviewer asked to approve the postmortem; an edit clears earlier approvals."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="reviewers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="postmortem_reviews"
    )
    requested_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        db_table = "incidents_postmortemreviewer"  # kept from the app it was moved from
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "user"], name="postmortem_reviewer_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({'approved' if self.approved_at else 'pending'})"


class PostmortemVersion(models.Model):
    """A published postmortem, frozen: facts, sections, figures and action items as they
    were. Immutable — a PostgreSQL trigger refuses updates and deletes."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_by_name = models.CharField(max_length=150)
    snapshot = models.JSONField(help_text="Everything the document shows, as published.")
    content_hash = models.CharField(max_length=64)

    class Meta:
        db_table = "incidents_postmortemversion"  # kept from the app it was moved from
        ordering = ["postmortem", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["postmortem", "number"], name="postmortem_version_once"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="postmortem_version_positive"),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Published postmortem versions are immutable.")
        super().save(*args, **kwargs)


class PostmortemPdf(models.Model):
    """A rendered PDF, cached by the hash of what it shows (document HTML and paper size)."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="pdfs")
    content_hash = models.CharField(max_length=64, unique=True)
    paper = models.CharField(max_length=10)
    version_number = models.PositiveIntegerField(null=True, blank=True)
    pdf = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "incidents_postmortempdf"  # kept from the app it was moved from
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.content_hash[:12]} ({self.size} bytes)"


class ActionItem(models.Model):
    """A follow-up from an incident, tracked until done (or consciously dropped)."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="action_items"
    )
    postmortem = models.ForeignKey(
        Postmortem, null=True, blank=True, on_delete=models.SET_NULL, related_name="action_items"
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="action_items",
    )
    team = models.ForeignKey(
        "catalog.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    priority = models.CharField(
        max_length=2, choices=ActionPriority.choices, default=ActionPriority.P1
    )
    kind = models.CharField(max_length=10, choices=ActionKind.choices, default=ActionKind.PREVENT)
    status = models.CharField(
        max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    tracker_url = models.URLField(max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "incidents_actionitem"  # kept from the app it was moved from
        ordering = ["priority", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__in=ActionPriority.values), name="action_priority_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ActionKind.values), name="action_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ActionStatus.values), name="action_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status__in=CLOSED_ACTION_STATUSES) & Q(completed_at__isnull=False))
                | (~Q(status__in=CLOSED_ACTION_STATUSES) & Q(completed_at__isnull=True)),
                name="action_completed_iff_closed",
            ),
            models.CheckConstraint(
                condition=Q(tracker_url="")
                | Q(tracker_url__startswith="https://")
                | Q(tracker_url__startswith="http://"),
                name="action_tracker_url_http",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="action_title_required"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="action_due_idx"),
            models.Index(fields=["owner", "status"], name="action_owner_idx"),
        ]

    def __str__(self) -> str:
        return f"[{self.priority}] {self.title}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_ACTION_STATUSES
