"""The chart points, the score table and the Measures page's recent scores are built in Python
(a template loop over a hundred rows cost more than the rest of the page): the markup is the
one the template loops made, in English and in Norwegian, with every value escaped."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from holdspace.measures import charts, library, panels, scoring, services
from holdspace.measures.models import Score
from holdspace.measures.views import RecentScore, _recent_score_rows

from .helpers import actor, phq9

pytestmark = pytest.mark.django_db

# The loops as measures/_plot.html and measures/home.html had them.
DOTS_LOOP = (
    "{% load l10n %}{% localize off %}{% for x, y, score in entry.plot.points %}"
    '<circle class="dot" cx="{{ x }}" cy="{{ y }}" r="4"><title>{{ score.observed_on }}: '
    '{{ score.total|floatformat:"-2" }}</title></circle>{% endfor %}{% endlocalize %}'
)
ROWS_LOOP = """{% load i18n %}{% for row in entry.table %}
          <tr data-score="{{ row.score.pk }}">
            <td>{{ row.score.observed_on|date:"SHORT_DATE_FORMAT" }}</td>
            <td>{{ row.score.total|floatformat:"-2" }}</td>
            <td>{{ row.score.band_label|default:"—" }}</td>
            <td>{% if forloop.first %}<small class="muted">{% translate "baseline" %}</small>{% elif row.change %}
              <span class="{% if row.change.improved %}change-good{% else %}change-bad{% endif %}">{{ row.change.points|floatformat:"-2" }}</span>
              {% if row.change.meaningful %}<small>· {% translate "clinically meaningful" %}</small>{% elif row.change.reliable %}<small>· {% translate "reliable" %}</small>{% endif %}
            {% else %}—{% endif %}</td>
          </tr>
        {% endfor %}"""  # noqa: E501  (the template's own lines)
RECENT_LOOP = """{% for score in scores %}
      <tr><td><a class="client-code" href="{% url 'people:client_detail' score.client.code %}#measures">{{ score.client.code }}</a></td>
        <td>{{ score.instrument_code }}</td><td>{{ score.observed_on|date:"SHORT_DATE_FORMAT" }}</td><td>{{ score.total|floatformat:"-2" }}</td><td>{{ score.band_label|default:"—" }}</td></tr>
    {% endfor %}"""  # noqa: E501


def _render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture
def trajectory(clinics, therapist):  # type: ignore[no-untyped-def]
    # Worse, then a meaningful fall, a reliable-only one and a fractional total, so every
    # branch of the "since baseline" cell is drawn.
    by = actor(therapist)
    for day, total in ((1, 10), (2, 16), (3, 4), (4, 7), (5, 10)):
        services.response_record(
            by=by,
            client=clinics.client,
            instrument_code="PHQ-9",
            answers=phq9(total),
            observed_on=dt.date(2026, 1, day),
        )
    Score.objects.filter(observed_on=dt.date(2026, 1, 5)).update(total=Decimal("9.5"))
    plots = panels.client_plots(clinics.client, library.definitions_for(clinics.client.clinic_id))
    assert len(plots) == 1 and len(plots[0]["table"]) == 5
    return clinics.client


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_chart_points_and_score_rows_are_the_template_loops_markup(trajectory, language):
    with translation.override(language):
        entry = panels.client_plots(trajectory, library.definitions_for(trajectory.clinic_id))[0]
        changes = [row["change"] for row in entry["table"][1:]]
        assert any(isinstance(c, scoring.Change) and c.meaningful for c in changes)
        assert any(isinstance(c, scoring.Change) and not c.improved for c in changes)
        assert charts.dots_html(entry["plot"]) == _render(DOTS_LOOP, entry=entry)
        assert entry["dots"].count("<circle") == 5
        assert charts.table_rows_html(entry["table"]) == _render(ROWS_LOOP, entry=entry)


@pytest.mark.parametrize("language", ["en", "nb"])
def test_the_recent_scores_rows_are_the_template_loops_markup(trajectory, therapist, language):
    scores = list(Score.objects.select_related("client").order_by("-observed_on"))
    # A second client whose code `reverse` must quote: its address is not the plain one.
    odd = copy.copy(scores[0].client)
    odd.code = "HS-A B"
    scores.append(copy.copy(scores[0]))
    scores[-1].client = odd
    with translation.override(language):
        request = RequestFactory().get("/measures/")
        assert _recent_score_rows(_rows(scores)) == _render(
            RECENT_LOOP, scores=scores, request=request
        )
        assert "/clients/HS-A%20B/#measures" in _recent_score_rows(_rows(scores))
        assert _recent_score_rows([]) == ""


def _rows(scores: list[Score]) -> list[RecentScore]:
    """The tuples the page reads (`values_list`), from the score rows the loop was given."""
    return [(s.client.code, s.instrument_code, s.observed_on, s.total, s.band) for s in scores]


def test_a_value_is_escaped_in_the_rows_built_in_python(trajectory):
    score = Score.objects.select_related("client").first()
    assert score is not None
    score.instrument_code = '<b>"x"</b>'
    assert "&lt;b&gt;&quot;x&quot;&lt;/b&gt;" in _recent_score_rows(_rows([score]))


def test_every_value_is_escaped_in_the_recent_rows_as_the_loop_escaped_it(trajectory):
    """A code that is not plain (its url through reverse), an instrument and a band with
    markup in them: the rows built with str.format are the loop's, escaped alike."""
    scores = list(Score.objects.select_related("client").order_by("pk")[:3])
    scores[0].client.code = 'H<"&>'
    scores[1].instrument_code = "<i>&</i>"
    scores[2].band = "<b>"
    scores[2].instrument_code = "NOT-SHIPPED"
    loop = _render(RECENT_LOOP, scores=scores)
    assert _recent_score_rows(_rows(scores)) == loop
    assert "H&lt;&quot;&amp;&gt;" in loop and "&lt;i&gt;&amp;&lt;/i&gt;" in loop


def test_dates_and_totals_kept_per_process_follow_the_language(trajectory):
    """charts.short_date and total_text are kept by language and value: English, then
    Norwegian, then English again, each as its template loop writes it."""
    for language in ("en", "nb", "en", "nb"):
        with translation.override(language):
            entry = panels.client_plots(trajectory, library.definitions_for(trajectory.clinic_id))[
                0
            ]
            assert charts.table_rows_html(entry["table"]) == _render(ROWS_LOOP, entry=entry)
            assert charts.dots_html(entry["plot"]) == _render(DOTS_LOOP, entry=entry)
    with translation.override("nb"):
        assert charts.total_text("nb", Decimal("9.5")) == "9,50"
        assert charts.short_date("nb", dt.date(2026, 1, 5)) == "05.01.2026"
    with translation.override("en"):
        assert charts.total_text("en", 9.5) == "9.50"
