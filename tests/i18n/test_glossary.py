"""The translation glossary (bot/locale/glossary.csv): every clinical and product term in all
five languages, and the catalogues use it."""

from __future__ import annotations

import csv
import re
import string
import unicodedata
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.support.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

GLOSSARY = LOCALE_DIR / "glossary.csv"
COLUMNS = ["id", "audience", "check", *LANGUAGES, "note"]
# The terms issue 17 names: pain anchors, tightness, confidence, the Hooper items and anchors,
# every red flag, the stage names, the plain terms of voice.md, the safety statement, the
# emergency instruction.
REQUIRED = {
    "pain_anchor_0", "pain_anchor_10", "tightness", "confidence",
    "hooper_sleep", "hooper_fatigue", "hooper_stress", "hooper_soreness",
    "hooper_1_good", "hooper_7_bad", "hooper_1_low", "hooper_7_high",
    "red_flag_swelling", "red_flag_bruising", "red_flag_numbness", "red_flag_night_pain",
    "red_flag_calf_warm_red", "red_flag_chest", "red_flag_unwell", "red_flag_pop",
    "stage_1", "stage_h2", "stage_h3", "stage_h4", "stage_h5", "stage_h6", "stage_h7", "stage_8",
    "stage_c2", "stage_c3", "stage_c4", "stage_c5", "stage_c6", "stage_c7", "stage_n_of_8",
    "top_speed", "vmax", "other_leg", "how_hard", "signoff_athlete", "signoff",
    "step_back_athlete", "step_back", "warning_sign", "red_flag", "suspended_athlete",
    "suspended_clinician", "safety_statement", "emergency_instruction",
}  # fmt: skip


def glossary() -> list[dict[str, str]]:
    """Return the glossary's rows."""
    with GLOSSARY.open(encoding="utf-8", newline="") as table:
        reader = csv.DictReader(table)
        assert reader.fieldnames == COLUMNS, f"glossary columns must be {COLUMNS}"
        return list(reader)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold().replace("\u00a0", " ")


def accepted_forms(cell: str) -> list[str]:
    """Return the forms a glossary cell accepts: "verb form | noun form" (the first is the
    one to use where either fits; a noun slot such as "2 step backs" needs the noun)."""
    return [_fold(form.strip()) for form in cell.split("|") if form.strip()]


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}


def test_every_required_term_is_there_once() -> None:
    ids = [row["id"] for row in glossary()]
    assert len(ids) == len(set(ids)), "a term id is used twice"
    assert not REQUIRED - set(ids), f"missing terms: {sorted(REQUIRED - set(ids))}"


def test_every_term_is_written_in_all_five_languages() -> None:
    for row in glossary():
        empty = [lang for lang in LANGUAGES if not row[lang].strip()]
        assert not empty, f"{row['id']}: no {', '.join(empty)}"
        assert row["audience"] in ("athlete", "clinician", "both"), row["id"]
        assert row["check"] in ("yes", "no"), row["id"]
        fields = {lang: _fields(row[lang]) for lang in LANGUAGES}
        assert all(f == fields["en"] for f in fields.values()), f"{row['id']}: {fields}"


def test_the_english_terms_are_unique() -> None:
    english = [_fold(row["en"]) for row in glossary()]
    assert len(english) == len(set(english)), "one English term has two entries"


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != "en"])
def test_catalogue_translations_use_the_glossary_terms(lang: str) -> None:
    """Where a message holds a term marked ``check`` (a term that never inflects), its
    translation holds the glossary's translation of it."""
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po_file:
        catalogue = read_po(po_file, locale=lang)
    terms = [row for row in glossary() if row["check"] == "yes"]
    problems = []
    for message in catalogue:
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for row in terms:
            pattern = rf"(?<![\w-]){re.escape(_fold(row['en']))}(?![\w-])"
            # A placeholder such as {stage} is filled with text that is already translated.
            if any(re.search(pattern, _fold(re.sub(r"\{[^{}]*\}", " ", i))) for i in ids):
                wanted = accepted_forms(row[lang])
                problems += [
                    f"{message.id!r}: {form!r} lacks {row[lang]!r}"
                    for form in forms
                    if form and not any(w in _fold(form) for w in wanted)
                ]
    assert not problems, "\n".join(problems)


def test_the_glossary_page_names_the_file_and_every_language() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "glossary.md").read_text(
        encoding="utf-8"
    )
    assert "bot/locale/glossary.csv" in page
    for name in ("Spanish", "Portuguese", "French", "German"):
        assert name in page
