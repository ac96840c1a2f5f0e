from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from holdspace.core.forms import KeptMarkupForm

from .models import CareTeamRole, Membership, Phase, Role


class ClientSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Code or name"), "autocomplete": "off"}
        ),
    )
    phase = forms.ChoiceField(
        label=_("Phase"), required=False, choices=[("", _("All phases")), *Phase.choices]
    )


class ClientCreateForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)

    def clean_birth_date(self) -> dt.date | None:
        born: dt.date | None = self.cleaned_data.get("birth_date")
        if born is None:
            return None
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("A birth date cannot be in the future."))
        if born.year < 1900:
            raise forms.ValidationError(_("Check the year: it is before 1900."))
        return born


class _ListedChoices(ModelChoiceIterator):
    """The choices from the queryset read as a list, as `list(queryset)` reads it: Django's
    own iterator reads through `QuerySet.iterator()`, which on PostgreSQL opens a server-side
    cursor (DECLARE, FETCH and CLOSE, three round trips) for a handful of staff."""

    def __iter__(self) -> Iterator[Any]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for member in self.queryset:
            yield self.choice(member)


class _StaffChoiceField(forms.ModelChoiceField):
    iterator = _ListedChoices


class CareTeamAddForm(KeptMarkupForm, forms.Form):
    member = _StaffChoiceField(label=_("Staff member"), queryset=Membership.objects.none())
    role = forms.ChoiceField(label=_("Role on the team"), choices=CareTeamRole.choices)

    def __init__(
        self,
        *args: Any,
        staff: Any = None,
        choices: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["member"].queryset = staff  # type: ignore[attr-defined]
        if choices is not None:
            # To show the form only (people.selectors.care_team_candidate_choices): a
            # submitted one is checked against the `staff` queryset.
            field = self.fields["member"]
            field.choices = [("", field.empty_label), *choices]  # type: ignore[attr-defined]
        self.fields["member"].label_from_instance = lambda m: (  # type: ignore[attr-defined]
            f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})"
        )


class StaffCreateForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class StaffUpdateForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    is_active = forms.BooleanField(label=_("Active"), required=False)


class ClinicSettingsForm(forms.Form):
    idle_timeout_minutes = forms.IntegerField(
        label=_("Sign staff out after this many idle minutes"),
        min_value=5,
        max_value=12 * 60,
        help_text=_("Between 5 and 720 minutes. The default is 30."),
    )
