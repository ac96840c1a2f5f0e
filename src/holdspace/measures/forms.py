"""Forms for staff pages. The item form itself is drawn from the definition (see views)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from holdspace.core.forms import KeptMarkupForm

from .definitions import Definition


class AssignForm(KeptMarkupForm, forms.Form):
    instrument_code = forms.ChoiceField(label=_("Instrument"))
    due_on = forms.DateField(
        label=_("Due on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        initial=timezone.localdate,
    )
    timepoint = forms.CharField(
        label=_("Timepoint (optional)"),
        required=False,
        max_length=80,
        help_text=_("For example: baseline, after session 1, 2-month follow-up."),
    )

    def __init__(self, *args: Any, definitions: dict[str, Definition], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["instrument_code"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101  (declared above)
        field.choices = [
            (code, f"{code} · {d.name}") for code, d in definitions.items() if d.usable
        ]


class AcknowledgeForm(forms.Form):
    action_taken = forms.CharField(
        label=_("What did you do?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text=_("For example: called the client, safety plan reviewed, seen today."),
    )


class TotalForm(forms.Form):
    total = forms.DecimalField(label=_("Total score"), max_digits=6, decimal_places=2)
    observed_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )


SEX_CHOICES = [("", _("Not recorded")), ("female", _("Female")), ("male", _("Male"))]


class ProgressLetterForm(forms.Form):
    """The GP letter's language: the GP's, not necessarily the reader's."""

    lang = forms.ChoiceField(
        label=_("Language of the letter"),
        choices=[("nb", _("Norwegian Bokmål")), ("en", _("English"))],
    )
