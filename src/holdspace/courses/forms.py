from __future__ import annotations

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


class CourseSettingsForm(forms.ModelForm):
    class Meta:
        model = CourseSettings
        fields = [
            "records_sessions",
            "overnight_stay_required",
            "emergency_number",
            "preparation_material",
        ]


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
