"""The medical lead's and the therapist's Today panels read lean queries (codes, times, a
window count) rather than whole rows: what they show is still what the full selectors say,
within the member's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from holdspace.measures.models import SafetyAlert
from holdspace.people.actors import Actor
from holdspace.people.models import Client, Phase
from holdspace.screening import selectors as screening_selectors
from holdspace.screening import services as screening_services

from ..conftest import signed_in
from ..factories import PASSWORD, ClientFactory
from ..screening.helpers import record

pytestmark = pytest.mark.django_db


def _screening_clients(clinics, coordinator, lead) -> dict[str, Client]:  # type: ignore[no-untyped-def]
    """One screening client in each state, and a client past screening with facts unsigned."""
    made = {
        name: ClientFactory(clinic=clinics.north, phase=Phase.SCREENING)
        for name in ("nothing", "pending", "signed", "outdated")
    }
    made["past"] = ClientFactory(clinic=clinics.north, phase=Phase.PREPARATION)
    for name in ("pending", "signed", "outdated", "past"):
        record(made[name], coordinator, {"medical": {}, "psychiatric": {}})
    for name in ("signed", "outdated"):
        screening_services.decision_sign(
            by=Actor.command_line(lead),
            client=made[name],
            decision="eligible",
            reason="",
            secret=PASSWORD,
        )
    # A fact recorded after the decision: the decision is outdated.
    record(made["outdated"], coordinator, {"medical": {"diabetes": True}})
    return made


def test_the_leads_decisions_are_the_pending_and_outdated_ones(clinics, coordinator, lead):
    made = _screening_clients(clinics, coordinator, lead)
    html = signed_in(lead).get(reverse("today")).content.decode()
    panel = html.split("Decisions to sign", 1)[1].split("</article>", 1)[0]
    assert made["pending"].code in panel and "Awaiting a medical lead&#x27;s decision." in panel
    assert made["outdated"].code in panel
    assert "Intake facts changed after the decision was signed" in panel
    for name in ("nothing", "signed", "past"):
        assert made[name].code not in panel, name


def test_waiting_decisions_agree_with_eligibility(clinics, coordinator, lead):
    made = _screening_clients(clinics, coordinator, lead)
    clients = list(made.values())
    full = screening_selectors.screening_eligibility_many(clients)
    expected = {
        pk: found.status
        for pk, found in full.items()
        if found.status in ("pending_decision", "outdated")
    }
    query = screening_selectors.decisions_waiting_query(
        Client.objects.filter(pk__in=[client.pk for client in clients]), 200
    ).rows()
    by_code = {client.code: client.pk for client in clients}
    waiting = {by_code[code]: status for code, status in query if status}
    assert waiting == expected
    assert set(expected.values()) == {"pending_decision", "outdated"}
    assert [code for code, _status in query] == sorted(by_code)  # every client, by code
    for status in waiting.values():
        assert screening_selectors.waiting_reason(status) == next(
            found.reason for found in full.values() if found.status == status
        )


def test_the_decisions_query_is_compiled_once_per_member_and_reads_fresh_rows(
    clinics, coordinator, lead, monkeypatch
):
    from holdspace.screening import today

    today._waiting.clear()
    made = _screening_clients(clinics, coordinator, lead)
    built = []
    real = screening_selectors.decisions_waiting_query

    def counting(*args):  # type: ignore[no-untyped-def]
        built.append(args)
        return real(*args)

    monkeypatch.setattr(screening_selectors, "decisions_waiting_query", counting)
    browser = signed_in(lead)

    def panel() -> str:
        html = browser.get(reverse("today")).content.decode()
        return html.split("Decisions to sign", 1)[1].split("</article>", 1)[0]

    assert made["pending"].code in panel()
    screening_services.decision_sign(
        by=Actor.command_line(lead),
        client=made["pending"],
        decision="eligible",
        reason="",
        secret=PASSWORD,
    )
    assert made["pending"].code not in panel()  # signed: gone on the very next visit
    assert made["outdated"].code in panel()
    assert len(built) == 1  # the same member: the kept SQL, run again


def test_the_lead_is_asked_to_confirm_thresholds_until_they_are(clinics, lead, therapist):
    from holdspace.sessions import selectors, services

    ask = "wait for your confirmation"
    assert ask in signed_in(lead).get(reverse("today")).content.decode()
    assert ask not in signed_in(therapist).get(reverse("today")).content.decode()
    services.settings_confirm(by=Actor.command_line(lead), values=selectors.settings_defaults())
    assert ask not in signed_in(lead).get(reverse("today")).content.decode()


def test_the_alerts_heading_counts_every_open_alert_and_lists_the_newest(clinics, lead):
    now = timezone.now()
    SafetyAlert.objects.bulk_create(
        SafetyAlert(
            client=clinics.client,
            severity="act",
            source="test",
            reason_code="test",
            raised_at=now - dt.timedelta(minutes=i),
        )
        for i in range(23)
    )
    SafetyAlert.objects.filter(raised_at=now - dt.timedelta(minutes=22)).update(acknowledged_at=now)
    SafetyAlert.objects.create(  # another clinic's: neither counted nor listed
        client=clinics.south_client, severity="act", source="t", reason_code="t", raised_at=now
    )
    html = signed_in(lead).get(reverse("today")).content.decode()
    panel = html.split("<h2>Open alerts", 1)[1].split("</article>", 1)[0]
    assert panel.startswith(" (22)</h2>")
    assert panel.count("<li") == 20


def test_the_alerts_query_is_compiled_once_per_member_and_reads_fresh_rows(
    clinics, lead, therapist, monkeypatch
):
    from holdspace.measures import today

    today._open_alerts.clear()
    built = []
    real = today._open_alerts_query
    monkeypatch.setattr(today, "_open_alerts_query", lambda m: built.append(m) or real(m))

    def panel(browser) -> str:  # type: ignore[no-untyped-def]
        html = browser.get(reverse("today")).content.decode()
        return html.split("<h2>Open alerts", 1)[1].split("</article>", 1)[0]

    lead_browser, therapist_browser = signed_in(lead), signed_in(therapist)
    assert "No open alerts." in panel(lead_browser)
    alert = SafetyAlert.objects.create(
        client=clinics.client, severity="act", source="t", reason_code="t", raised_at=timezone.now()
    )
    shown = panel(lead_browser)
    assert shown.startswith(" (1)</h2>") and clinics.client.code in shown
    assert reverse("people:client_detail", args=[clinics.client.code]) in shown
    assert clinics.client.code in panel(therapist_browser)  # on the client's care team
    SafetyAlert.objects.filter(pk=alert.pk).update(acknowledged_at=timezone.now())
    assert "No open alerts." in panel(lead_browser)
    assert [m.pk for m in built] == [lead.pk, therapist.pk]  # once per member


# The loop as screening/_today.html had it.
WAITING_LOOP = """{% load i18n %}{% for code, reason in rows %}
    <li>
      <span><strong class="client-code">{{ code }}</strong> · {{ reason }}</span>
      <a href="{% url 'screening:detail' code %}">{% translate "Review and sign" %}</a>
    </li>
    {% endfor %}"""


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_waiting_rows_are_the_template_loops_markup(language):
    from django.template import engines
    from django.utils import translation

    from holdspace.screening.today import waiting_rows

    with translation.override(language):
        rows = [
            ("HS-AB12CD", screening_selectors.waiting_reason("pending_decision")),
            ("HS-<&'\">", screening_selectors.waiting_reason("outdated")),
        ]
        loop = engines["django"].from_string(WAITING_LOOP).render({"rows": rows})
        assert waiting_rows(rows) == loop
