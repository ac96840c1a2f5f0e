from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Membership

from .models import CloseReason, CourseSettings, Room


def _member_label(member: Any) -> str:
    return str(member.user.get_full_name() or member.user.email)


class CourseCreateForm(forms.Form):
    template = forms.ChoiceField(label=_("Protocol template"))
    partner = forms.CharField(
        label=_("Partner's client code (couples only)"), required=False, max_length=12
    )
    start_date = forms.DateField(
        label=_("Start (first preparation visit)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    therapists = forms.ModelMultipleChoiceField(
        label=_("Therapists"),
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    medical_lead = forms.ModelChoiceField(
        label=_("Medical lead"), queryset=Membership.objects.none(), required=False
    )
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False)

    def __init__(
        self,
        *args: Any,
        templates: dict[str, Any],
        therapists: Any,
        leads: Any,
        rooms: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(k, t.name) for k, t in templates.items()]  # type: ignore[attr-defined]
        self.fields["therapists"].queryset = therapists  # type: ignore[attr-defined]
        self.fields["therapists"].label_from_instance = _member_label  # type: ignore[attr-defined]
        self.fields["medical_lead"].queryset = leads  # type: ignore[attr-defined]
        self.fields["medical_lead"].label_from_instance = _member_label  # type: ignore[attr-defined]
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]
        self.fields["start_date"].initial = timezone.localdate()


class VisitMoveForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("New start"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("Why it moves"), widget=forms.Textarea(attrs={"rows": 2}))


class DosePlanForm(forms.Form):
    initial_mg = forms.DecimalField(
        label=_("Initial dose (mg)"), min_value=1, max_digits=6, decimal_places=1
    )
    supplemental_mg = forms.DecimalField(
        label=_("Supplemental dose (mg)"),
        min_value=1,
        max_digits=6,
        decimal_places=1,
        required=False,
    )


class RoomForm(forms.Form):
    name = forms.CharField(label=_("Room name"), max_length=100)


class TemplateEditForm(forms.Form):
    definition_yaml = forms.CharField(
        label=_("Definition (YAML)"),
        widget=forms.Textarea(attrs={"rows": 30, "spellcheck": "false"}),
    )


WEEKDAYS = [
    ("0", _("Monday")),
    ("1", _("Tuesday")),
    ("2", _("Wednesday")),
    ("3", _("Thursday")),
    ("4", _("Friday")),
    ("5", _("Saturday")),
    ("6", _("Sunday")),
]
MAX_CLOSED_DAYS = 366


class CourseSettingsForm(forms.ModelForm):
    opens_at = forms.TimeField(label=_("Opens at"), widget=forms.TimeInput(attrs={"type": "time"}))
    closes_at = forms.TimeField(
        label=_("Closes at"),
        widget=forms.TimeInput(attrs={"type": "time"}),
        help_text=_("Visits start within opening hours; a medicine session may run past closing."),
    )
    open_weekdays = forms.TypedMultipleChoiceField(
        label=_("Open on"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    closed_dates = forms.CharField(
        label=_("Closed days"),
        required=False,
        max_length=MAX_CLOSED_DAYS * 11,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One date a line (YYYY-MM-DD): public holidays and other days the clinic is closed."
        ),
    )

    class Meta:
        model = CourseSettings
        fields = [
            "opens_at",
            "closes_at",
            "open_weekdays",
            "closed_dates",
            "records_sessions",
            "overnight_stay_required",
            "emergency_number",
            "preparation_material",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["open_weekdays"] = [str(d) for d in self.instance.open_weekdays]
            self.initial["closed_dates"] = "\n".join(self.instance.closed_dates)

    def clean_closed_dates(self) -> list[str]:
        days: set[dt.date] = set()
        for line in self.cleaned_data["closed_dates"].replace(",", "\n").splitlines():
            text = line.strip()
            if not text:
                continue
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                raise forms.ValidationError(
                    _("%(text)s is not a date: write one date a line as YYYY-MM-DD.")
                    % {"text": text[:20]}
                ) from None
            if not 2000 <= day.year <= 2100:
                raise forms.ValidationError(_("%(day)s is out of range.") % {"day": text})
            days.add(day)
        if len(days) > MAX_CLOSED_DAYS:
            raise forms.ValidationError(_("At most 366 closed days."))
        return [d.isoformat() for d in sorted(days)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens is not None and closes is not None and closes <= opens:
            self.add_error("closes_at", _("The clinic must close after it opens."))
        return data


class VisitAssignForm(forms.Form):
    therapists = forms.ModelMultipleChoiceField(
        label=_("Therapists"),
        queryset=Membership.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    room = forms.ModelChoiceField(label=_("Room"), queryset=Room.objects.none(), required=False)

    def __init__(self, *args: Any, therapists: Any, rooms: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["therapists"].queryset = therapists  # type: ignore[attr-defined]
        self.fields["therapists"].label_from_instance = _member_label  # type: ignore[attr-defined]
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]


class CourseAcceptForm(forms.Form):
    accept_conflicts = forms.BooleanField(
        label=_("I have read the conflicts above and accept the schedule with them"),
        required=False,
    )


class CourseCloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why the course ended"), choices=CloseReason.choices)
