"""A reading against the clinic's thresholds: which tier (none, watch, act) and why."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from .models import AlertTier, SessionSettings

# Thresholds -----------------------------------------------------------------------------------


def classify(
    settings: SessionSettings,
    *,
    systolic: int,
    diastolic: int,
    heart_rate: int,
    temperature: Decimal,
    spo2: int | None,
) -> tuple[str, list[str]]:
    """The highest tier a reading reaches and every reason code ("systolic.act")."""
    reasons: list[str] = []

    def dec(value: object) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    above: list[tuple[str, Decimal, Decimal | None, Decimal | None]] = [
        ("systolic", Decimal(systolic), dec(settings.systolic_watch), dec(settings.systolic_act)),
        (
            "diastolic",
            Decimal(diastolic),
            dec(settings.diastolic_watch),
            dec(settings.diastolic_act),
        ),
        (
            "heart_rate",
            Decimal(heart_rate),
            dec(settings.heart_rate_watch),
            dec(settings.heart_rate_act),
        ),
        (
            "temperature",
            Decimal(temperature),
            dec(settings.temperature_watch),
            dec(settings.temperature_act),
        ),
    ]
    for name, value, watch, act in above:
        if act is not None and value > act:
            reasons.append(f"{name}.act")
        elif watch is not None and value > watch:
            reasons.append(f"{name}.watch")
    if spo2 is not None:
        if settings.spo2_act_below is not None and spo2 < settings.spo2_act_below:
            reasons.append("spo2.act")
        elif settings.spo2_watch_below is not None and spo2 < settings.spo2_watch_below:
            reasons.append("spo2.watch")
    if any(r.endswith(".act") for r in reasons):
        return AlertTier.ACT, reasons
    return (AlertTier.WATCH if reasons else AlertTier.NONE), reasons


def reason_label(code: str) -> str:
    name, tier = code.split(".")
    labels = {
        "systolic": _("systolic"),
        "diastolic": _("diastolic"),
        "heart_rate": _("heart rate"),
        "temperature": _("temperature"),
        "spo2": _("SpO2"),
    }
    level = _("act") if tier == "act" else _("watch")
    return f"{labels.get(name, name)} ({level})"
