"""Intake facts, clinic rule overrides and signed screening decisions.

Facts are kept as time-stamped rows: a medical or psychiatric history is never edited in place,
a new version is added and the latest one counts. A signed decision compares its `signed_at`
with the time facts last changed (`selectors.facts_changed_at`) to know whether it is outdated.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from holdspace.people.models import Client, Clinic

OUTCOME_CHOICES = [
    ("exclude", _("Exclude")),
    ("medical_review", _("Needs medical review")),
    ("taper_washout", _("Taper / washout")),
    ("monitor", _("Monitor")),
]


class Hypertension(models.TextChoices):
    NONE = "none", _("No hypertension")
    CONTROLLED = "controlled", _("Controlled")
    UNCONTROLLED = "uncontrolled", _("Uncontrolled")


class QtcUnit(models.TextChoices):
    MS = "ms", _("milliseconds (ms)")


class Severity(models.TextChoices):
    NONE = "none", _("None")
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")


class SuicideRisk(models.TextChoices):
    NONE = "none", _("None identified")
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High or imminent")


class Sex(models.TextChoices):
    """Sex as recorded for medical purposes (dosing, pregnancy, outcome reports by sex)."""

    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other or intersex")


class _Recorded(models.Model):
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        abstract = True


class MedicalHistory(_Recorded):
    """One version of a client's medical history. The latest version is the current one."""

    # Blank means not recorded (histories recorded before the field existed).
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    hypertension = models.CharField(
        _("hypertension"), max_length=20, choices=Hypertension.choices, default=Hypertension.NONE
    )
    arrhythmia = models.BooleanField(_("history of arrhythmia"), default=False)
    qtc_value = models.PositiveIntegerField(_("QTc from ECG"), null=True, blank=True)
    qtc_unit = models.CharField(_("QTc unit"), max_length=4, choices=QtcUnit.choices, blank=True)
    other_cardiovascular = models.BooleanField(_("other cardiovascular disease"), default=False)
    liver_disease = models.BooleanField(_("liver disease"), default=False)
    glaucoma = models.BooleanField(_("glaucoma"), default=False)
    diabetes = models.BooleanField(_("diabetes"), default=False)
    hyperthyroidism = models.BooleanField(_("hyperthyroidism"), default=False)
    pregnant = models.BooleanField(_("pregnant"), default=False)
    breastfeeding = models.BooleanField(_("breastfeeding"), default=False)
    weight_kg = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    height_cm = models.PositiveIntegerField(_("height (cm)"), null=True, blank=True)

    class Meta:
        verbose_name = _("medical history")
        verbose_name_plural = _("medical histories")
        ordering = ("-recorded_at", "-pk")

    def __str__(self) -> str:
        return f"{self.client_id} medical history {self.recorded_at:%Y-%m-%d}"


class PsychiatricHistory(_Recorded):
    psychotic_disorder = models.BooleanField(_("primary psychotic disorder"), default=False)
    bipolar_1 = models.BooleanField(_("bipolar I disorder"), default=False)
    mdd_psychotic_features = models.BooleanField(
        _("major depression with psychotic features"), default=False
    )
    dissociative_identity_disorder = models.BooleanField(
        _("dissociative identity disorder"), default=False
    )
    eating_disorder_purging = models.BooleanField(
        _("eating disorder with active purging"), default=False
    )
    personality_disorder = models.BooleanField(_("personality disorder"), default=False)
    alcohol_use_disorder = models.CharField(
        _("alcohol use disorder"), max_length=10, choices=Severity.choices, default=Severity.NONE
    )
    alcohol_in_remission = models.BooleanField(
        _("alcohol use disorder in remission"), default=False
    )
    cannabis_use_disorder = models.CharField(
        _("cannabis use disorder"), max_length=10, choices=Severity.choices, default=Severity.NONE
    )
    cannabis_in_remission = models.BooleanField(
        _("cannabis use disorder in remission"), default=False
    )
    other_sud_last_12_months = models.BooleanField(
        _("other substance use disorder in the last 12 months"), default=False
    )
    suicide_risk = models.CharField(
        _("suicide risk (clinician-rated)"),
        max_length=10,
        choices=SuicideRisk.choices,
        default=SuicideRisk.NONE,
    )

    class Meta:
        verbose_name = _("psychiatric history")
        verbose_name_plural = _("psychiatric histories")
        ordering = ("-recorded_at", "-pk")

    def __str__(self) -> str:
        return f"{self.client_id} psychiatric history {self.recorded_at:%Y-%m-%d}"


class VitalsReading(_Recorded):
    """A baseline reading. Limits of what is physically plausible are checked by the form."""

    measured_at = models.DateTimeField(_("measured at"))
    systolic = models.PositiveSmallIntegerField(_("systolic (mmHg)"))
    diastolic = models.PositiveSmallIntegerField(_("diastolic (mmHg)"))
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (bpm)"))
    temperature_c = models.DecimalField(
        _("temperature (°C)"), max_digits=4, decimal_places=1, null=True, blank=True
    )

    class Meta:
        verbose_name = _("baseline vitals")
        verbose_name_plural = _("baseline vitals")
        ordering = ("-measured_at", "-pk")

    def __str__(self) -> str:
        return f"{self.systolic}/{self.diastolic} mmHg, {self.heart_rate} bpm"


class Medication(_Recorded):
    """A current or recent medication. `list_key` is empty when the name matched nothing."""

    name = models.CharField(_("medication"), max_length=200)
    list_key = models.CharField(max_length=100, blank=True)
    dose = models.CharField(_("dose"), max_length=100, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    stop_date = models.DateField(_("last dose / stop date"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("medication")
        verbose_name_plural = _("medications")
        ordering = ("name", "pk")

    def __str__(self) -> str:
        return self.name

    @property
    def unmatched(self) -> bool:
        return not self.list_key


class Substance(models.TextChoices):
    MDMA = "mdma", _("MDMA / ecstasy")
    PSILOCYBIN = "psilocybin", _("Psilocybin")
    LSD = "lsd", _("LSD")
    AYAHUASCA = "ayahuasca", _("Ayahuasca / DMT")
    KETAMINE = "ketamine", _("Ketamine")
    OTHER = "other", _("Other psychedelic")


class Context(models.TextChoices):
    PARTY = "party", _("Party")
    FESTIVAL = "festival", _("Festival")
    HOME_FRIENDS = "home_friends", _("At home with friends")
    ALONE = "alone", _("Alone")
    THERAPY_CEREMONY = "therapy_ceremony", _("Therapy or ceremony")


class HowItWent(models.TextChoices):
    GOOD = "good", _("Mostly good")
    MIXED = "mixed", _("Mixed")
    DIFFICULT = "difficult", _("Difficult")


class PriorExperience(_Recorded):
    """Earlier use with its set and setting: the seed of the party-versus-therapy comparison."""

    substance = models.CharField(_("substance"), max_length=20, choices=Substance.choices)
    context = models.CharField(_("context"), max_length=20, choices=Context.choices)
    times = models.PositiveIntegerField(_("how many times"))
    last_use = models.DateField(_("last use"), null=True, blank=True)
    intention = models.TextField(_("intention"), blank=True)
    sober_person_present = models.BooleanField(_("a sober person was present"), default=False)
    co_used_substances = models.CharField(_("co-used substances"), max_length=300, blank=True)
    how_it_went = models.CharField(_("how it went"), max_length=20, choices=HowItWent.choices)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("prior experience")
        verbose_name_plural = _("prior experiences")
        ordering = ("-last_use", "pk")

    def __str__(self) -> str:
        return f"{self.substance} ({self.context}) x{self.times}"


class RuleOverride(models.Model):
    """One version of a clinic's change to a shipped rule. The latest row per rule counts.

    Rows are never edited: every change is a new row, so the history is the version log.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    rule_id = models.CharField(max_length=100)
    enabled = models.BooleanField(default=True)
    outcome = models.CharField(max_length=20, blank=True)  # empty: the shipped outcome
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rule override")
        verbose_name_plural = _("rule overrides")
        ordering = ("-changed_at", "-pk")
        indexes = [models.Index(fields=["clinic", "rule_id"])]

    def __str__(self) -> str:
        return f"{self.rule_id} ({self.changed_at:%Y-%m-%d})"


class SettingOverride(models.Model):
    """One version of a clinic's value for a rule setting (a threshold or washout period)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100)
    value = models.IntegerField()
    reason = models.TextField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-changed_at", "-pk")
        indexes = [models.Index(fields=["clinic", "key"])]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class Decision(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible")
    DEFERRED = "deferred", _("Deferred")


class ScreeningDecision(models.Model):
    """A medical lead's signed decision. Locked once saved: a new decision supersedes it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    reason = models.TextField(_("reason"), blank=True)
    overridden_rule_ids = models.JSONField(default=list)
    findings = models.JSONField(default=list)  # the findings as shown when signed
    ruleset_version = models.CharField(max_length=40)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("screening decision")
        verbose_name_plural = _("screening decisions")
        ordering = ("-signed_at", "-pk")

    def __str__(self) -> str:
        return f"{self.decision} ({self.signed_at:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("A signed screening decision is locked.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ValueError("A signed screening decision is never deleted.")
