"""Forms of the session page. They parse and render; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Disposition, Outcome, Relatedness, SessionSettings, Severity, Valence
from .rules import checklist_labels, session_rules


class MonitorForm(forms.Form):
    """The monitor shows many forms on one page: each names its inputs' ids after itself
    (id_withhold_reason, id_override_reason), so no two elements share an id."""

    id_prefix = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{self.id_prefix}_%s" if self.id_prefix else "id_%s")
        super().__init__(*args, **kwargs)


NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}


class VitalsForm(MonitorForm):
    id_prefix = "vitals"
    systolic = forms.IntegerField(label=_("Systolic"), widget=forms.TextInput(attrs=NUMERIC))
    diastolic = forms.IntegerField(label=_("Diastolic"), widget=forms.TextInput(attrs=NUMERIC))
    heart_rate = forms.IntegerField(label=_("Heart rate"), widget=forms.TextInput(attrs=NUMERIC))
    temperature = forms.DecimalField(
        label=_("Temp °C"), decimal_places=1, widget=forms.TextInput(attrs=DECIMAL)
    )
    spo2 = forms.IntegerField(
        label=_("SpO2 %"), required=False, widget=forms.TextInput(attrs=NUMERIC)
    )
    suds = forms.IntegerField(
        label=_("SUDS"), required=False, widget=forms.TextInput(attrs=NUMERIC)
    )
    taken_at = forms.DateTimeField(
        required=False, widget=forms.HiddenInput(attrs={"data-now": "1"})
    )


class DoseForm(MonitorForm):
    id_prefix = "dose"
    kind = forms.CharField(widget=forms.HiddenInput)
    substance = forms.CharField(label=_("Substance"), max_length=100, initial="MDMA HCl")
    mg = forms.DecimalField(label=_("mg"), widget=forms.TextInput(attrs=DECIMAL))
    lot_number = forms.CharField(label=_("Lot number"), max_length=60)
    given_by = forms.TypedChoiceField(label=_("Given by"), coerce=int, required=False)
    given_at = forms.DateTimeField(
        label=_("Time (empty: now)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    reason = forms.CharField(
        label=_("Reason (needed above the plan or outside the window)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, givers: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["given_by"].choices = [("", _("Me")), *(givers or [])]  # type: ignore[attr-defined]


class WithholdForm(MonitorForm):
    id_prefix = "withhold"
    reason = forms.CharField(
        label=_("Why it is withheld"), widget=forms.Textarea(attrs={"rows": 2})
    )


class AcknowledgeForm(MonitorForm):
    id_prefix = "ack"
    alert = forms.IntegerField(widget=forms.HiddenInput)
    action_taken = forms.CharField(label=_("What was done"), max_length=500)


class NoteForm(MonitorForm):
    id_prefix = "note"
    kind = forms.CharField(widget=forms.HiddenInput, initial="note")
    text = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    at = forms.DateTimeField(required=False, widget=forms.HiddenInput(attrs={"data-now": "1"}))


class OverrideForm(MonitorForm):
    id_prefix = "override"
    item = forms.ChoiceField(label=_("Missing item"))
    reason = forms.CharField(label=_("Written reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, items: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = items or []  # type: ignore[attr-defined]


class ChecklistForm(MonitorForm):
    id_prefix = "checklist"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for key, label in checklist_labels().items():
            self.fields[key] = forms.BooleanField(label=_(label), required=False)


def _serious_choices() -> list[tuple[str, Any]]:
    return [(c.key, _(c.label)) for c in session_rules().adverse_events.serious_criteria]


SPECIAL_INTEREST_LABELS = {
    "cardiovascular": _("Cardiovascular"),
    "suicidality": _("Suicidality"),
    "abuse_potential": _("Abuse potential"),
}


class AdverseEventForm(MonitorForm):
    id_prefix = "ae"
    term = forms.CharField(label=_("Event (term)"), max_length=200)
    onset_at = forms.DateTimeField(
        label=_("Onset"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    valence = forms.ChoiceField(label=_("How it felt to the client"), choices=Valence.choices)
    relatedness = forms.ChoiceField(label=_("Related to the medicine"), choices=Relatedness.choices)
    action = forms.CharField(label=_("Action taken"), max_length=300, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Outcome.choices)
    serious_criteria = forms.MultipleChoiceField(
        label=_("Serious: which criteria (none = not serious)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    special_interest = forms.MultipleChoiceField(
        label=_("Special interest"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["serious_criteria"].choices = _serious_choices()  # type: ignore[attr-defined]
        self.fields["special_interest"].choices = [  # type: ignore[attr-defined]
            (k, SPECIAL_INTEREST_LABELS.get(k, k))
            for k in session_rules().adverse_events.special_interest
        ]


class EndForm(MonitorForm):
    id_prefix = "end"
    oriented_stable = forms.BooleanField(
        label=_("Oriented and psychologically stable"), required=False
    )
    therapists_agree = forms.BooleanField(
        label=_("Both therapists and the client agree the client is safe and stable"),
        required=False,
    )
    disposition = forms.ChoiceField(
        label=_("After the session"), choices=Disposition.choices, widget=forms.RadioSelect
    )
    companion_name = forms.CharField(label=_("Name of the attendant or escort"), max_length=200)


class NoteWriteForm(MonitorForm):
    id_prefix = "draft"
    note_text = forms.CharField(
        label=_("Session note"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )


class SettingsForm(forms.ModelForm):
    class Meta:
        model = SessionSettings
        fields = [
            "vitals_every_minutes",
            "vitals_after_alert_minutes",
            "systolic_watch",
            "systolic_act",
            "diastolic_watch",
            "diastolic_act",
            "heart_rate_watch",
            "heart_rate_act",
            "temperature_watch",
            "temperature_act",
            "spo2_watch_below",
            "spo2_act_below",
            "suds_max",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("systolic", "diastolic", "heart_rate", "temperature"):
            watch, act = data.get(f"{name}_watch"), data.get(f"{name}_act")
            if watch is not None and act is not None and act <= watch:
                self.add_error(f"{name}_act", _("The act value must be above the watch value."))
        watch, act = data.get("spo2_watch_below"), data.get("spo2_act_below")
        if watch is not None and act is not None and act >= watch:
            self.add_error("spo2_act_below", _("The act value must be below the watch value."))
        return data
