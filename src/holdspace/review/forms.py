"""The two inputs of the Clinical review page, parsed at the edge."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ConfirmForm(forms.Form):
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=2000, widget=forms.TextInput
    )


class ChangeForm(forms.Form):
    key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    value = forms.IntegerField(label=_("New value"), min_value=0, max_value=100000)
    reason = forms.CharField(label=_("Why the clinic changes it"), max_length=2000)
