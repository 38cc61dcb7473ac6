"""The runtime language: catalogues read once, English as the fallback, the language of each
update kept apart on one event loop and carried into worker threads, plurals by the
catalogue's rule."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.reports.runner import in_worker_thread
from bot.support import i18n
from bot.support.i18n import (
    DOMAIN,
    L_,
    LANGUAGES,
    LazyText,
    _,
    current_language,
    language_name,
    ngettext,
    normalise_language,
    pgettext,
    set_language,
    text,
    use_language,
)


def test_the_compiled_catalogues_are_there() -> None:
    assert i18n.missing_catalogues() == []


@pytest.mark.parametrize(
    ("lang", "menu"),
    [
        ("en", "Morning check-in"),
        ("es", "Cuestionario de la mañana"),
        ("pt", "Questionário da manhã"),
        ("fr", "Bilan du matin"),
        ("de", "Morgenabfrage"),
    ],
)
def test_a_message_reads_in_the_language_in_force(lang: str, menu: str) -> None:
    with use_language(lang):
        assert _("Morning check-in") == menu
    assert current_language() == "en"


def test_a_text_without_a_translation_reads_in_english() -> None:
    with use_language("de"):
        assert _("A sentence no catalogue has.") == "A sentence no catalogue has."
        assert pgettext("typed words", "no such list") == "no such list"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("pt-br", "pt"),
        ("pt-BR", "pt"),
        ("de_AT", "de"),
        ("FR", "fr"),
        ("es-419", "es"),
        ("zh-hans", "en"),
        ("", "en"),
        (None, "en"),
        ("  ", "en"),
    ],
)
def test_telegram_language_codes_become_a_language_sprintback_speaks(
    code: str | None, expected: str
) -> None:
    assert normalise_language(code) == expected


def test_languages_are_offered_in_their_own_names() -> None:
    assert [language_name(lang) for lang in LANGUAGES] == [
        "English",
        "Español",
        "Português",
        "Français",
        "Deutsch",
    ]


def test_a_lazy_text_is_translated_when_used_in_the_language_then() -> None:
    menu = L_("Morning check-in")
    assert isinstance(menu, LazyText) and not isinstance(menu, str)
    with use_language("fr"):
        assert str(menu) == "Bilan du matin"
        assert f"{menu}!" == "Bilan du matin!"
        assert text(menu) == "Bilan du matin"
    with use_language("de"):
        assert str(menu) == "Morgenabfrage"
    assert str(menu) == "Morning check-in"
    assert text("plain") == "plain"


async def test_concurrent_updates_on_one_loop_keep_their_own_language() -> None:
    seen: dict[str, list[str]] = {}
    started = asyncio.Event()

    async def update(lang: str) -> None:
        set_language(lang)  # as the first handler of an update does
        await started.wait()
        for _step in range(5):
            await asyncio.sleep(0)
            seen.setdefault(lang, []).append(_("Morning check-in"))

    tasks = [asyncio.create_task(update(lang)) for lang in ("es", "de", "fr")]
    await asyncio.sleep(0)
    started.set()
    await asyncio.gather(*tasks)
    assert seen == {
        "es": ["Cuestionario de la mañana"] * 5,
        "de": ["Morgenabfrage"] * 5,
        "fr": ["Bilan du matin"] * 5,
    }
    assert current_language() == "en"


async def test_the_language_follows_the_text_into_worker_threads() -> None:
    def translate() -> tuple[str, str]:
        return threading.current_thread().name, _("Morning check-in")

    with use_language("pt"):
        _thread, by_to_thread = await asyncio.to_thread(translate)
        name, by_render_pool = await in_worker_thread(translate)
    assert by_to_thread == by_render_pool == "Questionário da manhã"
    assert name.startswith("sprintback-render")


def test_a_block_restores_the_language_even_after_an_error() -> None:
    with use_language("es"):
        with pytest.raises(RuntimeError), use_language("de"):
            raise RuntimeError
        assert current_language() == "es"
    assert current_language() == "en"


@pytest.fixture
def catalogue_with_plurals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Compile the real French and German catalogues plus one plural message into tmp_path
    and read the catalogues from there."""
    for lang, forms in (
        ("fr", ("{n} alerte", "{n} alertes")),
        ("de", ("{n} Meldung", "{n} Meldungen")),
    ):
        with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as po_file:
            catalogue = read_po(po_file, locale=lang)
        catalogue.add(("{n} alert", "{n} alerts"), forms)
        target = tmp_path / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        with (target / f"{DOMAIN}.mo").open("wb") as mo_file:
            write_mo(mo_file, catalogue)
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.reload_catalogues()
    yield tmp_path
    monkeypatch.undo()
    i18n.reload_catalogues()


@pytest.mark.usefixtures("catalogue_with_plurals")
def test_plurals_follow_each_catalogues_rule() -> None:
    def alerts(n: int) -> str:
        return ngettext("{n} alert", "{n} alerts", n).format(n=n)

    assert [alerts(n) for n in (0, 1, 2)] == ["0 alerts", "1 alert", "2 alerts"]
    with use_language("fr"):  # French: 0 and 1 are singular
        assert [alerts(n) for n in (0, 1, 2)] == ["0 alerte", "1 alerte", "2 alertes"]
    with use_language("de"):
        assert [alerts(n) for n in (0, 1, 2)] == ["0 Meldungen", "1 Meldung", "2 Meldungen"]
    with use_language("es"):  # no plural catalogue entry there: English
        assert alerts(2) == "2 alerts"
