from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Client's email"))


class JournalForm(forms.Form):
    text = forms.CharField(label=_("Write here"), widget=forms.Textarea(attrs={"rows": 5}))


class IntentionsForm(forms.Form):
    intentions = forms.CharField(
        label=_("Your intentions, in your own words"), widget=forms.Textarea(attrs={"rows": 4})
    )
