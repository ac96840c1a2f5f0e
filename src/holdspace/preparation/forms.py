from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Answer, Preparation


class PreparationForm(forms.ModelForm):
    class Meta:
        model = Preparation
        fields = [
            "intentions",
            "music_playlist",
            "eyeshades",
            "room",
            "ride_home",
            "overnight_plan",
            "overnight_attendant",
            "supportive_touch",
            "agrees_to_stay",
            "recording_consent",
        ]
        widgets = {
            "intentions": forms.Textarea(attrs={"rows": 3}),
            "music_playlist": forms.Textarea(attrs={"rows": 2}),
            "overnight_plan": forms.Textarea(attrs={"rows": 2}),
            "supportive_touch": forms.RadioSelect,
            "recording_consent": forms.RadioSelect,
        }

    def __init__(self, *args: Any, rooms: Any, records_sessions: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]
        choices = [("", _("Not asked yet")), *Answer.choices]
        self.fields["supportive_touch"].choices = choices  # type: ignore[attr-defined]
        self.fields["recording_consent"].choices = choices  # type: ignore[attr-defined]
        if not records_sessions:
            del self.fields["recording_consent"]


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the session may go ahead"), widget=forms.Textarea(attrs={"rows": 2})
    )
