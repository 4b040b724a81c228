"""Forms of the account pages."""

from typing import Any

from django import forms

from . import zones


class ProfileForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone", help_text="Times are shown in this zone; hover one to see it in UTC."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = zones.choices()
