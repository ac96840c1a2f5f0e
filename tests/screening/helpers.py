"""Shared helpers: record intake facts through the services, as a coordinator would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from holdspace.people.actors import Actor
from holdspace.people.models import Client, Membership
from holdspace.screening import services
from holdspace.screening.engine import evaluate_client


def record(client: Client, member: Membership, spec: dict[str, Any]) -> None:
    by = Actor.command_line(member)
    if spec.get("medical") is not None:
        services.medical_history_record(by=by, client=client, **spec["medical"])
    if spec.get("psychiatric") is not None:
        services.psychiatric_history_record(by=by, client=client, **spec["psychiatric"])
    if "medication" in spec:
        name, stopped_days_ago = spec["medication"]
        today = timezone.localdate()
        services.medication_add(
            by=by,
            client=client,
            name=name,
            start_date=today - dt.timedelta(days=300),
            stop_date=None
            if stopped_days_ago is None
            else today - dt.timedelta(days=stopped_days_ago),
            keep_unmatched=True,
        )
    if "experience" in spec:
        services.experience_add(by=by, client=client, **spec["experience"])


def rule_ids(client: Client) -> dict[str, str]:
    return {f.rule_id: f.outcome for f in evaluate_client(client).findings}
