"""The message catalogues: complete, nothing fuzzy, placeholders kept, the template current.

These are the checks a translator's work must pass (``make check-catalogues``). They read the
``.po`` sources of ``bot/locale`` (compiled ``.mo`` files are build output).
"""

from __future__ import annotations

import shutil
import string
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message, TranslationError
from babel.messages.checkers import num_plurals
from babel.messages.pofile import read_po

from bot.support.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
POT = LOCALE_DIR / f"{DOMAIN}.pot"
# Two forms in every language (French: 0 and 1 singular; Portuguese written for both Brazil and
# Portugal: "0 alertas"), so translators never fill CLDR's extra form for millions.
PLURAL_RULES = {
    "en": "(n != 1)",
    "es": "(n != 1)",
    "pt": "(n != 1)",
    "fr": "(n > 1)",
    "de": "(n != 1)",
}


def _read(path: Path, lang: str | None = None) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=lang)


def _catalogue(lang: str) -> Catalog:
    return _read(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", lang)


def _key(message: Message) -> tuple[str | None, str]:
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def _placeholders(text: str) -> set[str]:
    """Return the named fields of a str.format text; raise ValueError on broken braces."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _messages(catalogue: Catalog) -> list[Message]:
    return [m for m in catalogue if m.id]


def test_every_language_has_a_catalogue_with_two_plural_forms() -> None:
    for lang in LANGUAGES:
        catalogue = _catalogue(lang)
        assert catalogue.num_plurals == 2, f"{lang}: expected 2 plural forms"
        assert catalogue.plural_expr == PLURAL_RULES[lang], lang
        assert not catalogue.fuzzy, f"{lang}: the catalogue header is marked fuzzy"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_catalogue_holds_exactly_the_templates_messages(lang: str) -> None:
    wanted = {_key(m) for m in _messages(_read(POT))}
    have = {_key(m) for m in _messages(_catalogue(lang))}
    assert not wanted - have, f"{lang}: run `make catalogues`; missing {sorted(wanted - have)[:5]}"
    assert not have - wanted, f"{lang}: obsolete messages {sorted(have - wanted)[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(lang: str) -> None:
    untranslated, fuzzy = [], []
    for message in _messages(_catalogue(lang)):
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            fuzzy.append(_key(message))
        if not all(forms):
            untranslated.append(_key(message))
    assert not fuzzy, f"{lang}: fuzzy entries to review: {fuzzy[:5]}"
    assert not untranslated, f"{lang}: untranslated: {untranslated[:5]}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_translations_keep_every_placeholder_and_pass_babels_checks(lang: str) -> None:
    catalogue = _catalogue(lang)
    problems = []
    for message in _messages(catalogue):
        # Sprintback fills texts with str.format braces (checked below), never with %, so
        # Babel's %-format checker, which reads "105 % of" as a conversion, does not apply.
        try:
            num_plurals(catalogue, message)
        except TranslationError as exc:
            problems.append(f"{_key(message)}: {exc}")
    for message in _messages(catalogue):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        try:
            known = set().union(*(_placeholders(i) for i in ids))
            for form in (f for f in forms if f):
                found = _placeholders(form)
                # A plural form may leave out the count ("un alerta"), never add a field.
                required = known - {"n", "count"} if len(ids) > 1 else known
                if not required <= found <= known:
                    problems.append(
                        f"{_key(message)}: fields {sorted(found)}, want {sorted(known)}"
                    )
        except ValueError as exc:
            problems.append(f"{_key(message)}: broken braces ({exc})")
    assert not problems, f"{lang}: " + "\n".join(problems)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_is_flagged_as_a_percent_format(lang: str) -> None:
    """No text is filled with %, so none carries Babel's guessed ``python-format`` flag (it
    reads "{pct} % of" as a directive and GNU ``msgfmt -c`` then refuses a correct
    translation); scripts/tidy-catalogues removes it after every `make catalogues`."""
    for path in (LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po", POT):
        flagged = [
            line
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.startswith("#,") and "python-format" in line.replace("python-brace-format", "")
        ]
        assert not flagged, f"{path.name}: {len(flagged)} entries flagged python-format"
    if shutil.which("msgfmt") is None:
        return
    result = subprocess.run(
        [
            "msgfmt",
            "-c",
            "-o",
            "/dev/null",
            str(LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_english_catalogue_is_the_source_itself() -> None:
    for message in _messages(_catalogue(SOURCE_LANGUAGE)):
        assert message.string == message.id, (
            f"{_key(message)}: change English texts in the code or protocol, then run "
            "`make catalogues`"
        )


def test_the_template_in_the_repository_matches_a_fresh_extraction(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.pot"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "--no-location",
            "--omit-header",
            "-o",
            str(fresh),
            ".",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    def contents(catalogue: Catalog) -> dict[tuple[str | None, str], tuple[object, ...]]:
        return {_key(m): (m.id, tuple(m.auto_comments)) for m in _messages(catalogue)}

    stored, extracted = contents(_read(POT)), contents(_read(fresh))

    def listed(keys: Iterable[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
        # A message without a context (None) sorts with those of an empty one.
        return sorted(keys, key=lambda k: (k[0] or "", str(k[1])))[:5]

    added = listed(set(extracted) - set(stored))
    gone = listed(set(stored) - set(extracted))
    changed = listed(k for k in set(stored) & set(extracted) if stored[k] != extracted[k])
    assert stored == extracted, (
        f"bot/locale/{DOMAIN}.pot is out of date: run `make catalogues` "
        f"(new: {added}, gone: {gone}, changed: {changed})"
    )


def test_the_compiled_catalogues_are_build_output_not_in_git() -> None:
    tracked = subprocess.run(
        ["git", "ls-files", "bot/locale"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:  # not a git checkout (an sdist): nothing to check
        return
    assert not [name for name in tracked if name.endswith(".mo")]
    assert {f"bot/locale/{lang}/LC_MESSAGES/{DOMAIN}.po" for lang in LANGUAGES} <= set(tracked)
