"""Escalation policies: who is notified, in which order, after which delays."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from catalog.models.team import Team

from ..bounds import ESCALATE_AFTER_MINUTES_MAX, ESCALATE_AFTER_MINUTES_MIN, REPEAT_MAX
from ..choices import EscalationState, TargetKind
from .schedules import Schedule

MAX_REPEATS = REPEAT_MAX


class EscalationPolicy(models.Model):
    """Ordered steps run when an incident of the team's services opens, until someone
    acknowledges; after the last step the policy starts over `repeat` more times. A
    service's own policy (listed in `services`) comes first; else the team's default
    policy (at most one) pages."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="escalation_policies")
    name = models.CharField(max_length=200)
    repeat = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(MAX_REPEATS)]
    )
    is_default = models.BooleanField(default=True)
    services = models.ManyToManyField(
        "catalog.Service",
        blank=True,
        related_name="escalation_policies",
        help_text="Services this policy pages for instead of the team's default policy.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team__slug", "name"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="policy_name_unique_in_team"),
            models.UniqueConstraint(
                fields=["team"], condition=Q(is_default=True), name="policy_one_default_per_team"
            ),
            models.CheckConstraint(
                condition=Q(repeat__lte=MAX_REPEATS), name="policy_repeat_at_most_9"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team.slug}/{self.name}"


class EscalationStep(models.Model):
    """Notify the targets; if nobody has acknowledged `escalate_after_minutes` later, go
    on to the next step (or, after the last step, start over while repeats are left).
    The first step runs when the incident opens."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    escalate_after_minutes = models.PositiveIntegerField(
        default=15,
        validators=[
            MinValueValidator(ESCALATE_AFTER_MINUTES_MIN),
            MaxValueValidator(ESCALATE_AFTER_MINUTES_MAX),
        ],
    )

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "position"], name="step_position_unique"),
            models.CheckConstraint(
                condition=Q(escalate_after_minutes__gte=1, escalate_after_minutes__lte=24 * 60),
                name="step_escalate_after_1_minute_to_a_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy} step {self.position + 1}"


class EscalationTarget(models.Model):
    """Who a step notifies: the on-call of a schedule, a person, or a whole team."""

    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=10, choices=TargetKind.choices)
    schedule = models.ForeignKey(
        Schedule, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind=TargetKind.SCHEDULE,
                        schedule__isnull=False,
                        user__isnull=True,
                        team__isnull=True,
                    )
                    | Q(
                        kind=TargetKind.USER,
                        schedule__isnull=True,
                        user__isnull=False,
                        team__isnull=True,
                    )
                    | Q(
                        kind=TargetKind.TEAM,
                        schedule__isnull=True,
                        user__isnull=True,
                        team__isnull=False,
                    )
                ),
                name="target_exactly_one_of_its_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.schedule or self.user or self.team}"

    @property
    def label(self) -> str:
        if self.kind == TargetKind.SCHEDULE:
            return f"on call for {self.schedule}"
        if self.kind == TargetKind.TEAM:
            return f"everyone in {self.team}"
        return str(self.user)


class Escalation(models.Model):
    """One run of a policy for one incident: where it stands, and why it stopped. An
    incident has one run per owning team's policy, and a new run each time it reopens;
    at most one run of a policy is running for an incident at a time."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="escalations"
    )
    policy = models.ForeignKey(
        EscalationPolicy, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(
        max_length=12, choices=EscalationState.choices, default=EscalationState.RUNNING
    )
    next_position = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=0)
    next_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    fallback_reason = models.CharField(
        max_length=500,
        blank=True,
        help_text="Set on a run without a policy: why the incident would have paged nobody "
        "(the run paged the fallback contacts or Keel's admins instead).",
    )
    acknowledgements_after = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A run restarted by a reopen stops only for acknowledgements from this "
        "time on (the incident keeps its first acknowledgement time).",
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "policy"],
                condition=Q(state=EscalationState.RUNNING),
                name="escalation_one_running_per_policy",
            ),
            models.CheckConstraint(
                condition=Q(state__in=EscalationState.values), name="escalation_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(state=EscalationState.RUNNING) | Q(stopped_at__isnull=False),
                name="escalation_stopped_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"escalation of incident {self.incident_id}: {self.state}"
