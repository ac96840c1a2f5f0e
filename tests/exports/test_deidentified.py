"""A de-identified export: identifiers planted in every identity and free-text field are found
in none of its files; date shifts are constant within a client, differ between clients, stay
the same across exports and change when the clinic re-keys."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict

import pytest

from holdspace.exports.deid import research_id
from holdspace.exports.models import ExportJob, ExportStatus
from holdspace.exports.services import export_rekey, export_settings, export_start, job_directory
from holdspace.people.actors import Actor
from holdspace.people.models import Client, ClientIdentity, Membership, User
from holdspace.screening.models import Medication, PriorExperience
from holdspace.sessions.models import AdverseEvent, MedicineSession, TimelineEntry, VitalReading

pytestmark = pytest.mark.django_db

PLANTED = "Zebediah Quartermaine"
EMAIL = "zebediah.q@planted.example"
PHONE = "+47 99 88 77 66"


def _plant() -> None:
    ClientIdentity.objects.update(
        given_name="Zebediah",
        family_name="Quartermaine",
        email=EMAIL,
        phone=PHONE,
        birth_date=dt.date(1930, 5, 17),
    )
    User.objects.update(first_name="Zebediah", last_name="Quartermaine")
    Medication.objects.update(name=PLANTED, dose=PLANTED)
    AdverseEvent.objects.update(term=PLANTED, action=PLANTED)
    MedicineSession.objects.update(note_text=PLANTED, companion_name=PLANTED)
    TimelineEntry.objects.update(text=PLANTED)
    PriorExperience.objects.update(notes=PLANTED, intention=PLANTED)


def _files(member: Membership, fmt: str) -> dict[str, str]:
    job = export_start(by=Actor.command_line(member), format=fmt, profile="deidentified")
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.errors
    folder = job_directory(job)
    texts = {}
    for f in job.files:
        data = (folder / str(f["name"])).read_bytes()
        texts[str(f["name"])] = data.decode("utf-8", errors="replace")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.CANCELLED)
    return texts


def _shifts(member: Membership) -> dict[str, set[int]]:
    """research id -> the set of day shifts seen across that client's vital readings."""
    texts = _files(member, "fhir")
    secret = export_settings(member.clinic_id).deid_secret
    by_id = {research_id(secret, c.code): c for c in Client.objects.filter(clinic=member.clinic)}
    shifts: dict[str, set[int]] = defaultdict(set)
    for line in texts.get("Observation.ndjson", "").splitlines():
        data = json.loads(line)
        if not data["id"].startswith("vital-"):
            continue
        reading = VitalReading.objects.get(pk=int(data["id"].split("-")[1]))
        shown = dt.datetime.fromisoformat(data["effectiveDateTime"])
        rid = data["subject"]["reference"].removeprefix("Patient/")
        assert by_id[rid].pk == reading.session.client_id
        shifts[rid].add((reading.taken_at - shown).days)
    return shifts


def test_deidentified_export_has_no_planted_identifier_and_shifts_dates(
    record, researcher, lead
) -> None:  # type: ignore[no-untyped-def]
    _plant()
    codes = list(Client.objects.filter(clinic=researcher.clinic).values_list("code", flat=True))
    for fmt in ("fhir", "csv", "redcap", "parquet"):
        for name, text in _files(researcher, fmt).items():
            for needle in ("Zebediah", "Quartermaine", EMAIL, PHONE, "1930-05-17"):
                assert needle not in text, (fmt, name, needle)
            for code in codes:
                assert code not in text, (fmt, name, code)
            if name == "README.txt":
                assert "Safe Harbor" in text and "364" in text
            if name == "clients.csv":
                assert "90+" in text  # born 1930: over 89, grouped, no year

    before = _shifts(researcher)
    assert len(before) >= 2
    assert all(len(s) == 1 and 0 <= next(iter(s)) <= 364 for s in before.values())
    assert len({next(iter(s)) for s in before.values()}) > 1  # clients differ
    assert _shifts(researcher) == before  # stable across exports

    export_rekey(by=Actor.command_line(lead))
    after = _shifts(researcher)
    assert set(after) != set(before)  # new research ids after re-keying
    assert sorted(map(min, after.values())) != sorted(map(min, before.values()))


@pytest.mark.parametrize(
    "today, born",
    [
        (dt.date(2028, 2, 29), dt.date(1938, 2, 28)),  # 90 the day before: 1938 had no 29th
        (dt.date(2027, 2, 28), dt.date(1937, 2, 28)),
        (dt.date(2026, 12, 31), dt.date(1936, 12, 31)),
    ],
)
def test_the_90_plus_cell_is_counted_on_every_day_even_29_february(clinics, today, born):
    """The export's "90 or older" cell on the day someone turns 90, and not the day before:
    on 29 February this once crashed every de-identified export (ValueError)."""
    from holdspace.exports.deid import Privacy
    from holdspace.exports.tables import small_cells

    clients = Client.objects.filter(pk=clinics.client.pk)
    privacy = Privacy(profile="deidentified", secret="s", today=today)
    ClientIdentity.objects.filter(client=clinics.client).update(birth_date=born)
    assert ("age_group", "90+", 1) in small_cells(clients, privacy)
    ClientIdentity.objects.filter(client=clinics.client).update(
        birth_date=born + dt.timedelta(days=1)
    )
    assert ("age_group", "90+", 1) not in small_cells(clients, privacy)
