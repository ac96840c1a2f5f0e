"""The study pages' forms: parsed and bounded here, never in the views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .models import Guesser, Severity, StudyRole

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


# --- setting a study up --------------------------------------------------------------------

ARM_ROWS = 4  # two arms are needed; up to four (e.g. two doses and a placebo) may be named
MAX_STRATA = 40
MAX_UPLOAD_BYTES = 256 * 1024  # a list of 20,000 lines is well under this


class StudyForm(forms.Form):
    code = forms.SlugField(
        label=_("Study code"),
        min_length=3,
        max_length=40,
        help_text=_("Short, lower case, no spaces: e.g. mdma-ptsd-2027."),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    protocol_template = forms.ChoiceField(label=_("Protocol template"), required=False)
    sites = forms.MultipleChoiceField(
        label=_("Other sites"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Your own clinic is always a site."),
    )
    strata = forms.CharField(
        label=_("Strata"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line, e.g. north|severe. Each stratum gets its own list of permuted blocks."
        ),
    )

    def __init__(
        self,
        *args: Any,
        templates: list[tuple[str, str]],
        sites: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol_template"].choices = [("", _("None")), *templates]  # type: ignore[attr-defined]
        self.fields["sites"].choices = sites  # type: ignore[attr-defined]
        for n in range(1, ARM_ROWS + 1):
            required = n <= 2
            self.fields[f"arm_{n}_name"] = forms.CharField(
                label=_("Arm %(n)s") % {"n": n}, max_length=120, required=required
            )
            self.fields[f"arm_{n}_ratio"] = forms.IntegerField(
                label=_("Ratio of arm %(n)s") % {"n": n},
                min_value=1,
                max_value=10,
                initial=1,
                required=required,
            )

    def arm_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"arm_{n}_name"], self[f"arm_{n}_ratio"]) for n in range(1, ARM_ROWS + 1)]

    def clean_strata(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["strata"].splitlines()]
        strata = [line for line in lines if line]
        if not strata:
            raise forms.ValidationError(_("Give at least one stratum."))
        if len(strata) > MAX_STRATA:
            raise forms.ValidationError(_("At most %(n)s strata.") % {"n": MAX_STRATA})
        if any(len(s) > 120 for s in strata):
            raise forms.ValidationError(_("A stratum has at most 120 characters."))
        if len(set(strata)) != len(strata):
            raise forms.ValidationError(_("A stratum is given twice."))
        return strata

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        arms: list[tuple[str, str, int]] = []
        for n in range(1, ARM_ROWS + 1):
            name = (data.get(f"arm_{n}_name") or "").strip()
            ratio = data.get(f"arm_{n}_ratio")
            if not name:
                continue
            key = slugify(name)[:40]
            if not key:
                self.add_error(f"arm_{n}_name", _("Use letters or digits in the arm's name."))
            elif key in {k for k, _n, _r in arms}:
                self.add_error(f"arm_{n}_name", _("Another arm has this name."))
            else:
                arms.append((key, name, ratio or 1))
        data["arms"] = arms
        return data


class GenerateForm(forms.Form):
    seed = forms.CharField(
        label=_("Seed"),
        min_length=4,
        max_length=64,
        help_text=_(
            "Write it down in the trial master file: with it, a statistician regenerates "
            "and checks the list. It is not shown again here."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    block_sizes = forms.CharField(
        label=_("Block sizes"),
        max_length=40,
        initial="2, 4",
        help_text=_("Each a multiple of the arms' ratio total; a size is drawn for each block."),
    )
    per_stratum = forms.IntegerField(
        label=_("Lines per stratum (at least)"), min_value=1, max_value=2000, initial=40
    )

    def clean_block_sizes(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["block_sizes"].split(",") if p.strip()]
        try:
            sizes = sorted({int(p) for p in parts})
        except ValueError:
            raise forms.ValidationError(_("Whole numbers, separated by commas.")) from None
        if not sizes or len(sizes) > 4 or not all(2 <= s <= 24 for s in sizes):
            raise forms.ValidationError(_("One to four sizes, each from 2 to 24."))
        return sizes


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Allocation list (CSV)"),
        help_text=_("UTF-8 CSV with the header stratum,block,arm, in allocation order."),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(kb)s KB.") % {"kb": MAX_UPLOAD_BYTES // 1024}
            )
        try:
            return str(upload.read().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None


# --- the study team and its sites (team.py) ------------------------------------------------


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Study role"), choices=StudyRole.choices)
    reason = forms.CharField(
        label=_("Reason (kept with the change)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm_unblinding = forms.BooleanField(
        label=_("I unblind this blinded rater on purpose; they will not rate blind again."),
        required=False,
    )


class MemberAddForm(MemberRoleForm):
    person = forms.TypedChoiceField(label=_("Person (your clinic's staff)"), coerce=int)

    field_order = ["person", "role", "reason", "confirm_unblinding"]

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = people  # type: ignore[attr-defined]


class MemberRemoveForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000, required=False)


class InviteForm(forms.Form):
    clinic = forms.SlugField(
        label=_("Clinic's short name"),
        max_length=50,
        help_text=_("The short name the other clinic gave you (as in its address)."),
    )
