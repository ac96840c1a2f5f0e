"""The intake forms. They parse what was typed; the services decide what is acceptable."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .medications import medication_list
from .models import (
    OUTCOME_CHOICES,
    Context,
    Decision,
    HowItWent,
    MedicalHistory,
    PsychiatricHistory,
    Substance,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MedicalHistoryForm(forms.ModelForm):
    class Meta:
        model = MedicalHistory
        fields = [
            "sex",
            "hypertension",
            "arrhythmia",
            "qtc_value",
            "qtc_unit",
            "other_cardiovascular",
            "liver_disease",
            "glaucoma",
            "diabetes",
            "hyperthyroidism",
            "pregnant",
            "breastfeeding",
            "weight_kg",
            "height_cm",
        ]
        help_texts = {"qtc_value": _("From the most recent ECG. Give its unit below.")}


class PsychiatricHistoryForm(forms.ModelForm):
    class Meta:
        model = PsychiatricHistory
        fields = [
            "psychotic_disorder",
            "bipolar_1",
            "mdd_psychotic_features",
            "dissociative_identity_disorder",
            "eating_disorder_purging",
            "personality_disorder",
            "alcohol_use_disorder",
            "alcohol_in_remission",
            "cannabis_use_disorder",
            "cannabis_in_remission",
            "other_sud_last_12_months",
            "suicide_risk",
        ]


class VitalsForm(forms.Form):
    measured_at = forms.DateTimeField(
        label=_("Measured at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    systolic = forms.IntegerField(label=_("Systolic (mmHg)"))
    diastolic = forms.IntegerField(label=_("Diastolic (mmHg)"))
    heart_rate = forms.IntegerField(label=_("Heart rate (bpm)"))
    temperature_c = forms.DecimalField(
        label=_("Temperature (°C)"), required=False, max_digits=4, decimal_places=1
    )


class MedicationForm(forms.Form):
    name = forms.CharField(
        label=_("Medication (generic or brand name)"),
        max_length=200,
        widget=forms.TextInput(attrs={"list": "medication-names", "autocomplete": "off"}),
    )
    dose = forms.CharField(label=_("Dose"), max_length=100, required=False)
    start_date = forms.DateField(label=_("Start date"), required=False, widget=DATE)
    stop_date = forms.DateField(
        label=_("Last dose (if stopped or planned)"), required=False, widget=DATE
    )
    keep_unmatched = forms.BooleanField(
        label=_("Keep as written (not in the list): flag it for medical review"), required=False
    )

    @staticmethod
    def names() -> list[str]:
        drugs = medication_list().drugs.values()
        # The generic names as the reader spells them ("sertralin" in Norwegian), and brands.
        return sorted({d.name for d in drugs} | {b for d in drugs for b in d.brands}, key=str.lower)


class MedicationUpdateForm(forms.Form):
    dose = forms.CharField(label=_("Dose"), max_length=100, required=False)
    stop_date = forms.DateField(label=_("Last dose"), required=False, widget=DATE)


class ExperienceForm(forms.Form):
    substance = forms.ChoiceField(label=_("Substance"), choices=Substance.choices)
    context = forms.ChoiceField(label=_("Context"), choices=Context.choices)
    times = forms.IntegerField(label=_("How many times"), min_value=0)
    last_use = forms.DateField(label=_("Last use"), required=False, widget=DATE)
    intention = forms.CharField(
        label=_("Intention"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    sober_person_present = forms.BooleanField(label=_("A sober person was present"), required=False)
    co_used_substances = forms.CharField(
        label=_("Co-used substances"), max_length=300, required=False
    )
    how_it_went = forms.ChoiceField(label=_("How it went"), choices=HowItWent.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you decide eligible despite a finding."),
    )
    secret = forms.CharField(
        label=_("Your password or authenticator code, to sign"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RuleOverrideForm(forms.Form):
    rule_id = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("Rule is on"), required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOME_CHOICES)
    reason = forms.CharField(label=_("Why the clinic changes it"), max_length=2000)


class SettingOverrideForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    value = forms.IntegerField(label=_("Value"))
    reason = forms.CharField(label=_("Why the clinic changes it"), max_length=2000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
