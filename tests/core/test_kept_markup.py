"""core.forms.KeptMarkupForm: an unbound form's markup made once per process is the markup
Django makes for that form, whatever differs between two of them (language, choices, the
date of today, ids); a bound form is rendered as always."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import get_default_renderer
from django.utils import translation

from holdspace.core import forms as core_forms
from holdspace.measures import library
from holdspace.measures.forms import AssignForm
from holdspace.people import selectors
from holdspace.people.forms import CareTeamAddForm

pytestmark = pytest.mark.django_db


def _django(form: forms.BaseForm) -> str:
    """What Django itself makes of the form (its own as_div, nothing kept)."""
    return str(form.render(form.template_name_div, renderer=get_default_renderer()))


@pytest.fixture(autouse=True)
def _empty() -> None:
    core_forms._UNBOUND_MARKUP.clear()


def test_the_kept_markup_is_djangos_for_each_language_and_choice_set(clinics, lead, therapist):
    definitions = library.definitions_for(clinics.north.pk)
    fewer = dict(list(definitions.items())[:3])
    for language in ("en", "nb", "en"):
        with translation.override(language):
            for defs in (definitions, fewer, definitions):
                form = AssignForm(definitions=defs)
                assert str(form.as_div()) == _django(AssignForm(definitions=defs))
            for client in (clinics.client, clinics.other_client, clinics.client):
                staff = selectors.care_team_candidates(lead, client)
                form = CareTeamAddForm(staff=staff)
                assert str(form.as_div()) == _django(CareTeamAddForm(staff=staff.all()))
    # Two languages, two sets of instruments, two sets of candidates (the therapist is on
    # one client's team): every one its own entry.
    assert len(core_forms._UNBOUND_MARKUP.rows) == 2 * 2 + 2 * 2


def test_a_new_day_a_new_prefix_or_a_new_staff_name_is_new_markup(clinics, lead, monkeypatch):
    definitions = library.definitions_for(clinics.north.pk)
    today = AssignForm(definitions=definitions).as_div()
    # The field's initial is timezone.localdate itself: the next day, as it would return it.
    monkeypatch.setattr(AssignForm.base_fields["due_on"], "initial", lambda: dt.date(2031, 5, 17))
    tomorrow = AssignForm(definitions=definitions).as_div()
    assert tomorrow != today and 'value="2031-05-17"' in tomorrow
    assert str(AssignForm(definitions=definitions, prefix="x").as_div()) == _django(
        AssignForm(definitions=definitions, prefix="x")
    )
    staff = selectors.care_team_candidates(lead, clinics.client)
    before = CareTeamAddForm(staff=staff).as_div()
    member = staff.all()[0]
    member.user.first_name = "Renamed"
    member.user.save()
    after = CareTeamAddForm(staff=selectors.care_team_candidates(lead, clinics.client)).as_div()
    assert after != before and "Renamed" in after


def test_a_bound_form_is_rendered_with_its_errors(clinics):
    definitions = library.definitions_for(clinics.north.pk)
    AssignForm(definitions=definitions).as_div()
    bound = AssignForm({"instrument_code": "nope"}, definitions=definitions)
    assert not bound.is_valid()
    assert "errorlist" in bound.as_div()
    assert len(core_forms._UNBOUND_MARKUP.rows) == 1
