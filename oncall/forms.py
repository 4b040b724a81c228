"""Forms of the on-call pages; they validate shape, the services decide."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from accounts.zones import choices as zone_choices
from slos.models import Service

from .choices import WEEKDAY_NAMES, Channel, ShiftUnit
from .models import Layer, Schedule

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


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
    shift_length = forms.IntegerField(min_value=1, initial=1)
    shift_unit = forms.ChoiceField(choices=ShiftUnit.choices, initial=ShiftUnit.WEEKS)
    handoff_at = forms.DateTimeField(widget=DATETIME, label="A handoff at")
    starts_at = forms.DateTimeField(widget=DATETIME, required=False)
    ends_at = forms.DateTimeField(widget=DATETIME, required=False)
    restriction_weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Only on",
        help_text="None ticked: every day.",
    )
    restriction_start = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="From"
    )
    restriction_end = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}), label="Until"
    )

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
        order = [n.strip() for n in self.cleaned_data.get("order", "").split(",") if n.strip()]
        rank = {name: i for i, name in enumerate(order)}
        return sorted(chosen, key=lambda u: rank.get(u.get_username(), len(rank)))


class OverrideForm(_ScheduleTimeForm):
    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label="Who covers")
    starts_at = forms.DateTimeField(widget=DATETIME)
    ends_at = forms.DateTimeField(widget=DATETIME)
    reason = forms.CharField(max_length=300, required=False)


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
        min_value=0, max_value=9, initial=0, help_text="Run all steps again this many times."
    )
    is_default = forms.BooleanField(required=False, initial=True, label="The team's default policy")
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        help_text="Services this policy pages for instead of the team's default policy.",
    )


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
