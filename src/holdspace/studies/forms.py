"""The study pages' forms: parsed and bounded here, never in the views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Guesser, Severity

CODE = {"max_length": 12, "min_length": 3}


class ClientCodeForm(forms.Form):
    client_code = forms.CharField(label=_("Client code"), **CODE)  # type: ignore[arg-type]


class EnrolForm(ClientCodeForm):
    stratum = forms.ChoiceField(label=_("Stratum"))

    def __init__(self, *args: Any, strata: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stratum"].choices = [(s, s) for s in strata]  # type: ignore[attr-defined]


class SignForm(ClientCodeForm):
    secret = forms.CharField(
        label=_("Your password or authenticator code, to sign"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class UnblindForm(SignForm):
    reason = forms.CharField(label=_("Why (emergency)"), max_length=2000, widget=forms.Textarea)


class GuessForm(ClientCodeForm):
    guesser = forms.ChoiceField(label=_("Whose guess"), choices=Guesser.choices)
    timepoint = forms.CharField(label=_("When"), max_length=40, initial="endpoint")
    arm = forms.ChoiceField(label=_("Believed arm"), required=False)
    confidence = forms.IntegerField(label=_("How sure (0-100)"), min_value=0, max_value=100)

    def __init__(self, *args: Any, arms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arm"].choices = [("", _("Don't know")), *arms]  # type: ignore[attr-defined]


class RaterGuessForm(forms.Form):
    arm = forms.ChoiceField(label=_("Believed arm"), required=False)
    confidence = forms.IntegerField(label=_("How sure (0-100)"), min_value=0, max_value=100)

    def __init__(self, *args: Any, arms: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["arm"].choices = [("", _("Don't know")), *arms]  # type: ignore[attr-defined]


class DeviationForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    client_code = forms.CharField(label=_("Client code (optional)"), max_length=12, required=False)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    description = forms.CharField(label=_("What happened"), max_length=4000, widget=forms.Textarea)
    action = forms.CharField(label=_("What was done"), max_length=4000, widget=forms.Textarea)

    def __init__(self, *args: Any, sites: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = sites  # type: ignore[attr-defined]


class QueryForm(ClientCodeForm):
    item = forms.CharField(label=_("Which value"), max_length=120)
    question = forms.CharField(label=_("Question"), max_length=4000, widget=forms.Textarea)


class AnswerForm(forms.Form):
    answer = forms.CharField(label=_("Answer"), max_length=4000, widget=forms.Textarea)


def rating_form(items: list[str], data: Any = None) -> forms.Form:
    """One 0-4 field per CAPS-5 item, numbered only: the licensed prompts are on the rater's
    own form."""
    form = forms.Form(data)
    for link_id in items:
        form.fields[f"item_{link_id}"] = forms.IntegerField(
            label=_("Item %(n)s") % {"n": link_id}, min_value=0, max_value=4
        )
    return form


class PeriodForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2023, max_value=2100)
    half = forms.ChoiceField(
        label=_("Period"), choices=[("1", _("January to June")), ("2", _("July to December"))]
    )


class AssessmentForm(ClientCodeForm):
    timepoint = forms.CharField(label=_("Timepoint"), max_length=40, initial="endpoint")
    due_on = forms.DateField(label=_("Due on"), widget=forms.DateInput(attrs={"type": "date"}))
    rater = forms.ChoiceField(label=_("Blinded rater"))

    def __init__(self, *args: Any, raters: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rater"].choices = raters  # type: ignore[attr-defined]
