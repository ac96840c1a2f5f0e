"""The cohort page's filters: parsed and bounded here, never in the view."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Phase

from .grouping import FACTORS
from .selectors import CohortFilter

# From the grouping registry: a factor added there appears here.
GROUP_BY_CHOICES = [("", _("No grouping"))] + [(f.key, f.label) for f in FACTORS.values()]


class CohortForm(forms.Form):
    instrument = forms.ChoiceField(label=_("Instrument"))
    group_by = forms.ChoiceField(label=_("Group by"), choices=GROUP_BY_CHOICES, required=False)
    date_from = forms.DateField(
        label=_("Courses starting from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("Courses starting until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    template = forms.ChoiceField(label=_("Protocol template"), required=False)
    phase = forms.ChoiceField(label=_("Phase reached"), required=False)
    exclude_site = forms.IntegerField(
        label=_("Leave out study site (number)"),
        required=False,
        min_value=1,
        widget=forms.HiddenInput,
    )
    exclude_major_deviations = forms.BooleanField(
        label=_("Leave out clients with a major protocol deviation"), required=False
    )

    def __init__(
        self, *args: Any, instruments: list[str], templates: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["instrument"]).choices = [
            (code, code) for code in instruments
        ]
        cast(forms.ChoiceField, self.fields["template"]).choices = [
            ("", _("Any template")),
            *templates.items(),
        ]
        cast(forms.ChoiceField, self.fields["phase"]).choices = [
            ("", _("Any phase")),
            *Phase.choices,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the range is before its start."))
        return data

    def as_filter(self) -> CohortFilter:
        data = self.cleaned_data
        return CohortFilter(
            instrument=data["instrument"],
            group_by=data.get("group_by") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            template=data.get("template") or "",
            phase=data.get("phase") or "",
            exclude_site=data.get("exclude_site"),
            exclude_major_deviations=bool(data.get("exclude_major_deviations")),
        )
