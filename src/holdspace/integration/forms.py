from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from holdspace.courses.models import Visit

from .models import CheckIn


class NoteForm(forms.Form):
    visit = forms.ModelChoiceField(label=_("Visit"), queryset=Visit.objects.none(), required=False)
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args: Any, visits: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if visits is None:
            del self.fields["visit"]
        else:
            self.fields["visit"].queryset = visits  # type: ignore[attr-defined]


class AddendumForm(forms.Form):
    text = forms.CharField(label=_("Addendum"), widget=forms.Textarea(attrs={"rows": 3}))


SCALE = [(n, str(n)) for n in range(11)]


class CheckInForm(forms.ModelForm):
    class Meta:
        model = CheckIn
        fields = ["mood", "sleep", "distress", "self_harm_thoughts", "comment"]
        widgets = {"comment": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("mood", "sleep", "distress"):
            self.fields[name].widget = forms.NumberInput(
                attrs={"min": 0, "max": 10, "inputmode": "numeric"}
            )
        self.fields["self_harm_thoughts"] = forms.TypedChoiceField(
            label=_("Any thoughts of harming yourself since yesterday?"),
            choices=[("no", _("No")), ("yes", _("Yes"))],
            coerce=lambda v: v == "yes",
            widget=forms.RadioSelect,
        )
