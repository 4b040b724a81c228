"""Forms of the on-call pages; they validate shape, the services decide."""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth import get_user_model
from django.forms.formsets import (
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)

from accounts.zones import choices as zone_choices
from catalog.choices import WEEKDAY_NAMES
from catalog.models import Team
from catalog.selectors import service_choices, team_choices
from core.bounds import span_problem
from core.datetime_fields import LocalDateTimeField
from core.validators import validate_whole_minutes

from .bounds import (
    ESCALATE_AFTER_MINUTES_MAX,
    ESCALATE_AFTER_MINUTES_MIN,
    OVERRIDE_LONGEST,
    REPEAT_MAX,
    SHIFT_LENGTH_MAX,
    SHIFT_LENGTH_MESSAGE,
    SHIFT_LENGTH_TEXT,
    shift_length_problem,
)
from .choices import Channel, ShiftUnit, TargetKind
from .models import EscalationPolicy, Layer, Schedule
from .services import StepSpec, TargetSpec


def _when(**kwargs: Any) -> forms.DateTimeField:
    """A datetime typed in the schedule's zone, within Keel's range (1970-2200)."""
    return LocalDateTimeField(**kwargs)


def _hour(label: str) -> forms.TimeField:
    return forms.TimeField(
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        label=label,
        validators=[validate_whole_minutes],
    )


class _ScheduleTimeForm(forms.Form):
    """Datetimes are typed in the schedule's zone: views use these forms inside
    `timezone.override(schedule.time_zone)`."""

    def __init__(self, *args: Any, schedule: Schedule, **kwargs: Any) -> None:
        self.schedule = schedule
        super().__init__(*args, **kwargs)
        members = schedule.team.members.order_by("username")
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = members
            if isinstance(field, forms.DateTimeField):
                field.help_text = f"In {schedule.time_zone}."


class LayerForm(_ScheduleTimeForm):
    name = forms.CharField(max_length=200)
    participants = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        help_text="Rotation order: as listed (hold Ctrl to pick several).",
    )
    order = forms.CharField(
        required=False, help_text="Optional: usernames in rotation order, comma-separated."
    )
    shift_length = forms.IntegerField(
        min_value=1,
        max_value=max(SHIFT_LENGTH_MAX.values()),
        initial=1,
        error_messages={"min_value": SHIFT_LENGTH_MESSAGE, "max_value": SHIFT_LENGTH_MESSAGE},
        help_text=f"At most {SHIFT_LENGTH_TEXT}.",
    )
    shift_unit = forms.ChoiceField(choices=ShiftUnit.choices, initial=ShiftUnit.WEEKS)
    handoff_at = _when(label="A handoff at")
    starts_at = _when(required=False)
    ends_at = _when(required=False)
    restriction_weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only on",
        help_text="None ticked: every day.",
    )
    restriction_start = _hour("From")
    restriction_end = _hour("Until")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        length, unit = data.get("shift_length"), data.get("shift_unit")
        if length is not None and unit is not None:
            problem = shift_length_problem(length, unit)
            if problem is not None:
                self.add_error("shift_length", problem)
        return data

    def _order_names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data.get("order", "").split(",") if n.strip()]

    def clean_order(self) -> str:
        """Every name in the order is a participant: a typo must not reorder the rotation
        silently."""
        names = self._order_names()
        known = set(
            get_user_model().objects.filter(username__in=names).values_list("username", flat=True)
        )
        unknown = [n for n in names if n not in known]
        if unknown:
            raise forms.ValidationError(
                f"Unknown username{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}."
            )
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise forms.ValidationError(f"Listed more than once: {', '.join(duplicates)}.")
        chosen = self.cleaned_data.get("participants")
        if chosen is not None:
            picked = {user.get_username() for user in chosen}
            extra = [n for n in names if n not in picked]
            if extra:
                raise forms.ValidationError(
                    f"In the order but not picked as participants: {', '.join(extra)}."
                )
        return str(self.cleaned_data.get("order", ""))

    @classmethod
    def initial_for(cls, layer: Layer) -> dict[str, Any]:
        people = [p.user for p in sorted(layer.participants.all(), key=lambda p: p.position)]
        return {
            "name": layer.name,
            "participants": people,
            "order": ", ".join(p.get_username() for p in people),
            "shift_length": layer.shift_length,
            "shift_unit": layer.shift_unit,
            "handoff_at": layer.handoff_at,
            "starts_at": layer.starts_at,
            "ends_at": layer.ends_at,
            "restriction_weekdays": layer.weekdays if len(layer.weekdays) < 7 else [],
            "restriction_start": layer.restriction_start,
            "restriction_end": layer.restriction_end,
        }

    def ordered_participants(self) -> list[Any]:
        chosen = list(self.cleaned_data["participants"])
        rank = {name: i for i, name in enumerate(self._order_names())}
        return sorted(chosen, key=lambda u: rank.get(u.get_username(), len(rank)))


class OverrideForm(_ScheduleTimeForm):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Who covers")
    starts_at = _when()
    ends_at = _when()
    reason = forms.CharField(max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone, days = self.schedule.time_zone, OVERRIDE_LONGEST.days
        self.fields["ends_at"].help_text = f"In {zone}; at most {days} days after the start."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("starts_at"), data.get("ends_at")
        if start is not None and end is not None:
            problem = span_problem(start, end, "an override", OVERRIDE_LONGEST)
            if problem is not None:
                self.add_error("ends_at", problem)
        return data


class NotesForm(forms.Form):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=20000,
        help_text="Ongoing issues, upcoming maintenance, tips.",
    )


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=Channel.choices)
    address = forms.CharField(
        max_length=500, help_text="Email address, or a Slack-compatible webhook URL."
    )
    label = forms.CharField(max_length=100, required=False)


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=200)
    repeat = forms.IntegerField(
        min_value=0,
        max_value=REPEAT_MAX,
        initial=0,
        help_text="Run all steps again this many times.",
    )
    is_default = forms.BooleanField(required=False, initial=True, label="The team's default policy")
    services = forms.ModelMultipleChoiceField(
        queryset=service_choices().none(),
        required=False,
        help_text="Services this policy pages for instead of the team's default policy.",
    )


STEP_ROWS = 5  # the policy editor's step rows; a policy of more steps is edited by the API


def policy_targets(team: Team) -> dict[str, tuple[str, TargetSpec]]:
    """What a step of the team's policy may notify, by form value ("kind:pk"): the team's
    schedules, any team, any active user."""
    targets: dict[str, tuple[str, TargetSpec]] = {}
    for schedule in team.schedules.order_by("name"):
        targets[f"{TargetKind.SCHEDULE}:{schedule.pk}"] = (
            f"On call: {schedule.name}",
            TargetSpec(kind=TargetKind.SCHEDULE, schedule=schedule),
        )
    for other in team_choices():
        targets[f"{TargetKind.TEAM}:{other.pk}"] = (
            f"Everyone in {other.name}",
            TargetSpec(kind=TargetKind.TEAM, team=other),
        )
    for user in get_user_model().objects.filter(is_active=True).order_by("username"):
        targets[f"{TargetKind.USER}:{user.pk}"] = (
            user.get_username(),
            TargetSpec(kind=TargetKind.USER, user=user),
        )
    return targets


class StepForm(forms.Form):
    """One step of an escalation policy; a step that notifies nobody is left out."""

    targets = forms.MultipleChoiceField(
        required=False, label="Notify", widget=forms.SelectMultiple(attrs={"size": 4})
    )
    after = forms.IntegerField(
        initial=15,
        label="Escalate after (minutes)",
        widget=forms.NumberInput(
            attrs={"min": ESCALATE_AFTER_MINUTES_MIN, "max": ESCALATE_AFTER_MINUTES_MAX}
        ),
        error_messages={
            "required": "Minutes must be a number.",
            "invalid": "Minutes must be a number.",
        },
    )

    def __init__(self, *args: Any, targets: dict[str, tuple[str, TargetSpec]], **kwargs: Any):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.known_targets = targets
        field = self.fields["targets"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(value, label) for value, (label, _) in targets.items()]

    def has_changed(self) -> bool:
        """A row counts when it names targets; its minutes alone do not make a step."""
        return bool(self["targets"].value())

    def spec(self) -> StepSpec | None:
        chosen = self.cleaned_data.get("targets") or []
        if not chosen:
            return None
        return StepSpec(
            escalate_after_minutes=self.cleaned_data["after"],
            targets=[self.known_targets[value][1] for value in chosen],
        )

    @staticmethod
    def initial_for(policy: EscalationPolicy) -> list[dict[str, Any]]:
        return [
            {
                "targets": [
                    f"{t.kind}:{t.schedule_id or t.team_id or t.user_id}"
                    for t in step.targets.all()
                ],
                "after": step.escalate_after_minutes,
            }
            for step in policy.steps.prefetch_related("targets")[:STEP_ROWS]
        ]


if TYPE_CHECKING:
    _StepFormSetBase = forms.BaseFormSet[StepForm]
else:  # BaseFormSet takes no type argument at run time
    _StepFormSetBase = forms.BaseFormSet


class BaseStepFormSet(_StepFormSetBase):
    """Always STEP_ROWS rows, so the page sends no management form: a POST is read as
    that many rows, and rows without targets are dropped."""

    @property
    def management_form(self) -> ManagementForm:
        form = ManagementForm(
            {
                f"{self.prefix}-{TOTAL_FORM_COUNT}": STEP_ROWS,
                f"{self.prefix}-{INITIAL_FORM_COUNT}": 0,
                f"{self.prefix}-{MIN_NUM_FORM_COUNT}": 0,
                f"{self.prefix}-{MAX_NUM_FORM_COUNT}": STEP_ROWS,
            },
            auto_id=self.auto_id,
            prefix=self.prefix,
        )
        form.full_clean()
        return form

    def specs(self) -> list[StepSpec]:
        """The steps in order, once the formset is valid."""
        return [spec for form in self.forms if (spec := form.spec()) is not None]


StepFormSet = forms.formset_factory(
    StepForm, formset=BaseStepFormSet, extra=STEP_ROWS, max_num=STEP_ROWS, absolute_max=STEP_ROWS
)


def step_formset(data: Any, *, team: Team, policy: EscalationPolicy | None) -> BaseStepFormSet:
    """The policy editor's steps, fields named step-<row>-targets and step-<row>-after."""
    formset = StepFormSet(
        data,
        prefix="step",
        auto_id="%s",
        initial=StepForm.initial_for(policy) if policy else None,
        form_kwargs={"targets": policy_targets(team)},
    )
    assert isinstance(formset, BaseStepFormSet)
    return formset


class ScheduleForm(forms.Form):
    name = forms.CharField(max_length=200)
    time_zone = forms.ChoiceField(choices=zone_choices)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TeamForm(forms.Form):
    """A team's name, members, zone and working hours (off-hours are outside them)."""

    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=100, help_text="In URLs; cannot change later.")
    time_zone = forms.ChoiceField(choices=zone_choices, initial="UTC")
    members = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    fallback_contacts = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Paged when Keel cannot work out who is on call, or an incident would "
        "page nobody; without any, Keel's admins are. Responders or admins.",
    )
    working_days = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        required=False,
        initial=[0, 1, 2, 3, 4],
        widget=forms.CheckboxSelectMultiple,
        help_text="Pages outside these days and hours count as off-hours.",
    )
    working_start = forms.TimeField(
        initial="09:00", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    working_end = forms.TimeField(
        initial="18:00", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.fields["members"]
        assert isinstance(members, forms.ModelMultipleChoiceField)
        members.queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        fallback = self.fields["fallback_contacts"]
        assert isinstance(fallback, forms.ModelMultipleChoiceField)
        fallback.queryset = members.queryset
        if editing:
            del self.fields["slug"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("working_start"), data.get("working_end")
        if start is not None and end is not None and start >= end:
            self.add_error("working_end", "Working hours end after they start.")
        return data

    @classmethod
    def initial_for(cls, team: Any) -> dict[str, Any]:
        return {
            "name": team.name,
            "time_zone": team.time_zone,
            "members": list(team.members.all()),
            "fallback_contacts": list(team.fallback_contacts.all()),
            "working_days": list(team.working_days),
            "working_start": team.working_start,
            "working_end": team.working_end,
        }
