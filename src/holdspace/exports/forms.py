"""The Exports page's form: what to export, about whom, and how identifiable."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Membership

from . import policies
from .models import ExportFormat, ExportProfile


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=ExportFormat.choices)
    group = forms.ChoiceField(label=_("Clients"), required=False)
    profile = forms.ChoiceField(label=_("Identifiability"))

    def __init__(self, *args: Any, membership: Membership, groups: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["group"]).choices = [
            ("", _("Everyone you may export")),
            *[(g, g) for g in groups],
        ]
        cast(forms.ChoiceField, self.fields["profile"]).choices = [
            (value, label)
            for value, label in ExportProfile.choices
            if policies.can_export_profile(membership, value)
        ]


class ExportSettingsForm(forms.Form):
    files_expire_hours = forms.IntegerField(
        label=_("Export files are kept for (hours)"), min_value=1, max_value=24 * 30
    )
