"""Clinical text from the data files in the reader's language.

The data files keep their English text (what the sources say) and a Norwegian Bokmål
translation next to it in an `..._nb` field (`message_nb`, `label_nb`, `name_nb`). A page
shows the Norwegian text when the reader's language is Norwegian and the file has one; a test
(tests/core/test_clinical_text_nb.py) checks that every such text has its translation.
Instrument item text stays in English: no licensed Norwegian version ships with Holdspace.
"""

from __future__ import annotations

from django.utils import translation


def in_reader_language(english: str, norwegian: str = "") -> str:
    language = translation.get_language() or ""
    if norwegian and language.startswith("nb"):
        return norwegian
    return english
