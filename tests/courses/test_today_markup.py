"""The therapist's Today rows are built in Python (a day of a hundred visits cost more in the
template loops than the rest of the page): the markup is the loops', in English and
Norwegian, with every value escaped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import engines
from django.utils import timezone, translation

from holdspace.courses.models import Room, Visit, VisitKind
from holdspace.courses.phrases import Phrase
from holdspace.courses.today import visit_list_items
from holdspace.people.models import Client

# The loops as courses/_today_therapist.html had them.
VISITS_LOOP = """{% for visit, clients in rows %}
    <li>
      <span>{{ visit.starts_at|time:"H:i" }} · {{ visit.label }}{% if visit.room %} · {{ visit.room }}{% endif %}</span>
      <span>{% for client in clients %}<a class="client-code" href="{% url 'courses:course_detail' client.code visit.course_id %}">{{ client.code }}</a>{% if not forloop.last %}, {% endif %}{% endfor %}</span>
    </li>
    {% endfor %}"""  # noqa: E501  (the template's own lines)
CHECK_INS_LOOP = """{% for visit, clients in rows %}
    <li>
      <span>{{ visit.starts_at|time:"H:i" }} · {{ visit.label }}</span>
      <span>{% for client in clients %}<a class="client-code" href="{% url 'integration:integration' client.code %}">{{ client.code }}</a>{% if not forloop.last %}, {% endif %}{% endfor %}</span>
    </li>
    {% endfor %}"""  # noqa: E501


def _visit(kind: str, minutes: int, label: Phrase | str, room: Room | None) -> Visit:
    visit = Visit(
        kind=kind,
        number=1,
        course_id=41,
        starts_at=timezone.now().replace(hour=8, minute=0) + dt.timedelta(minutes=minutes),
        duration_minutes=60,
        room=room,
    )
    visit.label = label
    visit.room_name = room.name if room else None  # as the panel's query reads it
    return visit


def _codes(rows: list[tuple[Visit, list[Client]]]) -> list[tuple[Visit, list[str]]]:
    return [(visit, [client.code for client in clients]) for visit, clients in rows]


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_visit_and_check_in_rows_are_the_template_loops_markup(language):
    # A plain code (its link made from the route once) and one that is not (reverse() each).
    couple = [Client(code="HS-AB12CD"), Client(code="HS-<&'\">")]
    rows = [
        (_visit(VisitKind.PREPARATION, 5, Phrase("Preparation %(n)s", {"n": 2}), None), couple),
        (
            _visit(VisitKind.INTEGRATION, 65, "Integration <1> & 'more'", Room(name="Room <A>")),
            couple[:1],
        ),
    ]
    check_ins = [(_visit(VisitKind.CHECK_IN, 545, 'Check-in "1"', Room(name="Not shown")), couple)]
    with translation.override(language):
        django = engines["django"]
        assert visit_list_items(_codes(rows), check_ins=False) == django.from_string(
            VISITS_LOOP
        ).render({"rows": rows})
        assert visit_list_items(_codes(check_ins), check_ins=True) == django.from_string(
            CHECK_INS_LOOP
        ).render({"rows": check_ins})
