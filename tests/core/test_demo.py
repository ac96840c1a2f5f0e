"""`holdspace demo`: synthetic, reproducible, and usable at once."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test import Client as HttpClient
from django.urls import reverse

from holdspace.audit.services import audit_chain_verify
from holdspace.courses.models import Course
from holdspace.network_demo import demo_build_network
from holdspace.outcomes import selectors
from holdspace.outcomes.demo import COHORT_SIZE
from holdspace.outcomes.summary import summarise
from holdspace.people.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, demo_build
from holdspace.people.models import Client, Clinic, Membership, Phase
from holdspace.studies import oregon

from .test_configuration import holdspace


@pytest.mark.django_db
def test_demo_builds_two_clinics_with_every_role_and_forty_clients(capsys):
    call_command("demo", "--seed", "1")
    assert set(Clinic.objects.values_list("slug", flat=True)) == {"north", "south"}
    for slug in ("north", "south"):
        logins = set(
            Membership.objects.filter(clinic__slug=slug).values_list("user__email", flat=True)
        )
        assert logins == {
            f"{login}@{slug}.demo"
            for login in (
                "therapist", "therapist2", "lead", "coordinator", "researcher", "admin",
                "rater", "monitor",
            )
        }  # fmt: skip
    assert Client.objects.count() == 40 + COHORT_SIZE  # and the synthetic outcomes cohort
    # Phases are derived from the demo's records (screening, courses, running sessions).
    from holdspace.courses.phase import phase_derive

    assert all(client.phase == phase_derive(client) for client in Client.objects.all())
    assert Client.objects.values("phase").distinct().count() >= 3
    assert audit_chain_verify().ok
    assert "north.demo" in capsys.readouterr().out
    # North plays an Oregon service centre (SB 303 reporting on); south keeps the default, off.
    assert [oregon.reports_under_sb303(c.pk) for c in Clinic.objects.order_by("slug")] == [
        True,
        False,
    ]
    # One full build (~70 s) serves the outcomes cohort's checks too.
    _the_cohort_has_60_finished_courses_over_the_party_use_groups()


def _the_cohort_has_60_finished_courses_over_the_party_use_groups() -> None:
    finished = Course.objects.filter(clinic__slug="north", closed_reason="completed").count()
    assert finished >= 60
    assert Course.objects.filter(closed_reason__in=["withdrew", "lost_to_follow_up"]).exists()
    researcher = Membership.objects.get(user__email="researcher@north.demo")
    flt = selectors.CohortFilter(instrument="PCL-5", group_by="prior_party_use")
    rows = selectors.cohort_rows(researcher, flt)
    summary = summarise(rows, instrument="PCL-5", group_by="prior_party_use")
    assert [g["group"] for g in summary["groups"]] == ["none", "1-9", "10-49", "50+"]
    assert all(g["n"] >= 15 for g in summary["groups"])
    assert any(row.follow_ups for row in rows)  # durability columns
    assert summary["model"]["estimates"]


def test_the_same_seed_gives_the_same_clinic(tmp_path):
    """Two fresh databases, the same seed: the same codes, phases, names and care teams."""
    if connection.vendor != "sqlite":
        pytest.skip("builds its own SQLite databases: once per `make test` is enough")

    def build(name: str) -> list[tuple[str, ...]]:
        env = {"HOLDSPACE_ENV": "test", "DATABASE_URL": f"sqlite:///{tmp_path / name}"}
        for args in (("migrate", "--no-input"), ("demo", "--seed", "7")):
            result = holdspace(*args, env=env, tmp_path=tmp_path, timeout=900)  # a full demo
            assert result.returncode == 0, result.stderr
        with sqlite3.connect(tmp_path / name) as db:
            return db.execute(
                "SELECT c.code, c.phase, i.given_name, i.family_name, i.birth_date, "
                "group_concat(u.email || ':' || t.role) FROM people_client c "
                "JOIN people_clientidentity i ON i.client_id = c.id "
                "JOIN people_careteammember t ON t.client_id = c.id "
                "JOIN people_membership m ON m.id = t.membership_id "
                "JOIN people_user u ON u.id = m.user_id GROUP BY c.id ORDER BY c.code, t.id"
            ).fetchall()

    first, second = build("one.sqlite3"), build("two.sqlite3")
    assert len(first) == 40 + COHORT_SIZE
    assert first == second


@pytest.mark.django_db
def test_demo_refuses_a_database_with_data_unless_asked_to_skip(capsys):
    demo_build(with_cohort=False)
    with pytest.raises(CommandError, match="already has clinics"):
        call_command("demo")
    call_command("demo", "--if-empty")
    assert "no demo data loaded" in capsys.readouterr().out
    assert Clinic.objects.count() == 2


@pytest.mark.django_db
def test_a_demo_therapist_signs_in_with_the_documented_password_and_totp():
    demo_build(with_cohort=False)
    browser = HttpClient()
    browser.post(
        reverse("account_login"), {"login": "therapist@north.demo", "password": DEMO_PASSWORD}
    )
    response = browser.post(
        reverse("mfa_authenticate"), {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()}
    )
    assert response.status_code == 302
    page = browser.get(reverse("people:client_list"))
    assert page.status_code == 200
    visible = page.context["page"].paginator.count
    north = Client.objects.filter(clinic__slug="north").count()
    assert 0 < visible < north  # only the care-team clients


@pytest.mark.django_db
def test_network_scale_loads_the_whole_arc_and_its_staff_can_sign_in():
    """Tiny here (the benchmark loads 50,000 clients): every client screened, courses with
    finished sessions and readings, scored responses; each clinic's staff signs in with the
    demo password and TOTP secret."""
    from holdspace.measures.models import Response, Score
    from holdspace.outcomes.models import CohortDataVersion
    from holdspace.screening.models import MedicalHistory
    from holdspace.sessions.models import MedicineSession, VitalReading

    summary = demo_build_network(clinics=2, clients=40, batch_size=15, responses_per_client=5)
    assert summary.clinics == 2 and summary.clients == 40
    # The rows bypassed save(), so the loader itself marks every cohort cached before as stale.
    assert CohortDataVersion.objects.count() == 2
    assert not CohortDataVersion.objects.filter(version=0).exists()
    assert Client.objects.count() == 40
    assert Client.objects.filter(identity__isnull=True).count() == 0
    assert Client.objects.filter(care_team__isnull=True).count() == 0
    assert len(set(Client.objects.values_list("code", flat=True))) == 40
    assert set(Client.objects.values_list("phase", flat=True)) <= set(Phase.values)
    assert MedicalHistory.objects.count() == 40
    assert Client.objects.filter(courses__isnull=False).exists()
    sessions = MedicineSession.objects.filter(status="ended")
    assert sessions.exists()
    assert VitalReading.objects.count() >= 15 * sessions.count()  # every 15-30 min for 8 h
    assert Response.objects.count() == Score.objects.count() > 0
    # Each score carries its client's clinic (the loader writes it; save() is bypassed).
    assert not Score.objects.exclude(clinic_id=F("client__clinic_id")).exists()
    browser = HttpClient()
    response = browser.post(
        reverse("account_login"), {"login": "lead@net02.demo", "password": DEMO_PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    browser.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(DEMO_TOTP_SECRET).now()})
    page = browser.get(reverse("screening:index"))
    assert page.status_code == 200
    assert page.context["page"].paginator.count == 20  # the lead's own clinic, all of it


def _network_rows(since: dt.datetime) -> dict[str, object]:
    """What a network build made, without ids or anything else a rerun would change."""
    from django.db.models import Count, Q, Sum

    from holdspace.courses.models import Visit
    from holdspace.integration.models import IntegrationNote
    from holdspace.measures.models import Response, Score
    from holdspace.screening.models import MedicalHistory, ScreeningDecision
    from holdspace.sessions.models import AdverseEvent, Dose, MedicineSession, VitalReading

    return {
        "clients": sorted(Client.objects.values_list("code", "phase", "identity__given_name")),
        "screened": MedicalHistory.objects.count(),
        "decisions": ScreeningDecision.objects.count(),
        "courses": Course.objects.count(),
        "visits": Visit.objects.count(),
        "visits following a session": Visit.objects.filter(follows__isnull=False).count(),
        "sessions": MedicineSession.objects.filter(status="ended").count(),
        "readings": VitalReading.objects.aggregate(n=Count("id"), s=Sum("systolic")),
        "doses": Dose.objects.count(),
        "adverse events": AdverseEvent.objects.count(),
        "integration notes": IntegrationNote.objects.count(),
        "responses": Response.objects.count(),
        "scores": Score.objects.aggregate(n=Count("id"), s=Sum("total")),
        "most responses by a client in the last month": max(
            Client.objects.annotate(
                n=Count("responses", filter=Q(responses__submitted_at__gte=since))
            ).values_list("n", flat=True),
            default=0,
        ),
    }


@pytest.mark.django_db
def test_network_scale_proportions_at_200_clients_are_the_same_for_the_same_seed():
    """The proportions the benchmark relies on (a third in a course, ~1 finished session per
    2.5 clients, readings every 15-30 minutes for 8 hours, ~40 scored responses per client),
    the same rows for the same seed and day, others for another seed."""
    from django.db import transaction

    from holdspace.courses.models import Visit

    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    builds = []
    for seed, clients in ((7, 200), (7, 200), (8, 20)):
        with transaction.atomic():
            demo_build_network(seed=seed, clinics=2, clients=clients, batch_size=60, now=now)
            builds.append(_network_rows(since=now - dt.timedelta(days=30)))
            transaction.set_rollback(True)  # the next build starts from an empty database
    rows = builds[0]
    assert builds[1] == rows
    assert not set(builds[2]["clients"]) & set(rows["clients"])  # type: ignore[call-overload]
    assert len(rows["clients"]) == rows["screened"] == 200
    assert 160 <= rows["decisions"] < 200  # some still wait in screening
    assert 50 <= rows["courses"] <= 85  # about a third
    assert rows["visits"] % rows["courses"] == 0  # the protocol's schedule for each course
    assert rows["visits following a session"] > 0
    assert 50 <= rows["sessions"] <= 110  # about 20,000 at 50,000 clients
    readings = rows["readings"]["n"]  # type: ignore[index]
    assert 17 * rows["sessions"] <= readings <= 33 * rows["sessions"]
    assert rows["sessions"] <= rows["doses"] <= 2 * rows["sessions"]
    assert rows["integration notes"] > 0
    assert rows["scores"]["n"] == rows["responses"]  # type: ignore[index]
    assert 38 * 200 <= rows["responses"] <= 40 * 200
    # A sitting (three instruments) a fortnight at most: a month holds what a clinic would see.
    assert rows["most responses by a client in the last month"] <= 9
    assert not Visit.objects.exists()  # each build was rolled back
