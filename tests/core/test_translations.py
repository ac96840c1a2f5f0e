"""The Norwegian Bokmål catalogue: complete, compiled, and in step with the source.

Clinics run without GNU gettext, so the compiled .mo is committed next to the .po. These tests
make sure neither drifts: every string is translated (and not fuzzy), placeholders survive
translation, the .mo says what the .po says, and no string in the shell was added or changed
without reaching the catalogue (`make messages` regenerates both files).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2] / "src" / "holdspace"
MESSAGES_DIR = PACKAGE_DIR / "locale" / "nb" / "LC_MESSAGES"
PO_PATH = MESSAGES_DIR / "django.po"
MO_PATH = MESSAGES_DIR / "django.mo"

# The same command as `make messages`, so the check agrees with what maintainers run.
MAKEMESSAGES = ["makemessages", "-l", "nb", "--no-obsolete", "--ignore", "static/*"]

# %(name)s, %(minutes)d, %s, %5.2f ... but not the literal %%. Positional ones only count
# where xgettext flagged the string as python-format; named ones always do.
NAMED_PLACEHOLDER = re.compile(r"%\([^)]+\)[#0\- +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[#0\- +]*(?:\d+|\*)?(?:\.(?:\d+|\*))?[diouxXeEfFgGcrsa]")
PYTHON_BRACE = re.compile(r"\{[^{}]*\}")
MARKUP = re.compile(r"</?[a-zA-Z][^>]*>")

# Names that stay as they are in every language.
UNTRANSLATED_NAMES = ("Holdspace", "API", "TOTP")

Key = tuple[str, str, str]  # (msgctxt, msgid, msgid_plural)


def _key(entry: polib.POEntry | polib.MOEntry) -> Key:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _tokens(text: str, flags: list[str]) -> Counter[str]:
    found = NAMED_PLACEHOLDER.findall(text)
    if "python-format" in flags:
        found = PLACEHOLDER.findall(text.replace("%%", ""))
    if "python-brace-format" in flags:
        found += PYTHON_BRACE.findall(text)
    return Counter(found + MARKUP.findall(text))


def _translations(entry: polib.POEntry) -> list[tuple[str, str]]:
    """(source, translation) pairs: one for a plain entry, one per plural form otherwise."""
    if not entry.msgid_plural:
        return [(entry.msgid, entry.msgstr)]
    return [
        (entry.msgid if index == 0 else entry.msgid_plural, text)
        for index, text in sorted(entry.msgstr_plural.items())
    ]


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_PATH))


def test_header_names_the_language_and_its_plurals(catalogue):
    assert not catalogue.metadata_is_fuzzy, "the header is still marked fuzzy"
    assert catalogue.metadata["Language"] == "nb"
    assert "charset=UTF-8" in catalogue.metadata["Content-Type"]
    assert catalogue.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n!=1);"


def test_every_string_is_translated_and_none_is_fuzzy(catalogue):
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    empty_plural_forms = [
        entry.msgid
        for entry in catalogue
        if entry.msgid_plural and not all(entry.msgstr_plural.get(n) for n in (0, 1))
    ]
    assert catalogue.obsolete_entries() == [], "run `make messages`: obsolete entries remain"
    assert untranslated == [], f"untranslated: {untranslated}"
    assert fuzzy == [], f"fuzzy (check, then remove the flag): {fuzzy}"
    assert empty_plural_forms == [], f"plural forms missing: {empty_plural_forms}"


def test_placeholders_and_markup_survive_translation(catalogue):
    problems = []
    for entry in catalogue:
        for source, translation in _translations(entry):
            expected = _tokens(source, entry.flags)
            got = _tokens(translation, entry.flags)
            if expected != got:
                problems.append(f"{source!r}: expected {dict(expected)}, got {dict(got)}")
    assert problems == [], "\n".join(problems)


def test_product_names_stay_untranslated(catalogue):
    problems = [
        f"{source!r} -> {translation!r} lost {name!r}"
        for entry in catalogue
        for source, translation in _translations(entry)
        for name in UNTRANSLATED_NAMES
        if name in source and name not in translation
    ]
    assert problems == [], "\n".join(problems)


def _mo_pairs(mo: polib.MOFile) -> set[tuple[Key, tuple[tuple[int, str], ...]]]:
    return {
        (
            _key(entry),
            tuple(sorted(entry.msgstr_plural.items()))
            if entry.msgid_plural
            else ((0, entry.msgstr),),
        )
        for entry in mo
    }


def test_committed_mo_is_compiled_from_the_committed_po(catalogue, tmp_path):
    fresh_path = tmp_path / "django.mo"
    catalogue.save_as_mofile(str(fresh_path))
    fresh = polib.mofile(str(fresh_path))
    committed = polib.mofile(str(MO_PATH))
    stale = _mo_pairs(fresh) ^ _mo_pairs(committed)
    assert not stale, (
        "django.mo is out of date: run `make messages` (compilemessages) and commit it. "
        f"Differing entries: {sorted({key for key, _ in stale})}"
    )
    assert committed.metadata.get("Plural-Forms") == catalogue.metadata["Plural-Forms"]


def test_catalogue_has_every_string_in_the_source_and_no_others(catalogue, tmp_path):
    if shutil.which("xgettext") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs GNU gettext to check the catalogue: apt-get install gettext")
        pytest.skip("GNU gettext (xgettext) is not installed")

    # Work on a copy, so nothing in the working tree is rewritten: the copy is what gets
    # imported (PYTHONPATH), so its settings point LOCALE_PATHS at the copy's own locale/.
    copy = tmp_path / "src" / "holdspace"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static", "locale"),
    )
    (copy / "locale").mkdir()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "holdspace.settings",
        "PYTHONPATH": str(copy.parent),
        "HOLDSPACE_ENV": "test",
        "HOLDSPACE_VAR_DIR": str(tmp_path / "var"),
    }
    # Fixed arguments and no shell, so nothing here is untrusted input.
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", *MAKEMESSAGES],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr or result.stdout

    generated = polib.pofile(str(copy / "locale" / "nb" / "LC_MESSAGES" / "django.po"))
    in_source = {_key(entry) for entry in generated if not entry.obsolete}
    committed = {_key(entry) for entry in catalogue if not entry.obsolete}
    new = sorted(in_source - committed)
    gone = sorted(committed - in_source)
    assert (new, gone) == ([], []), (
        "The catalogue is behind the source: run `make messages`, translate, and commit both "
        f"files.\nNew or changed in the source: {new}\nNo longer in the source: {gone}"
    )
