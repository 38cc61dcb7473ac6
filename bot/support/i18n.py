"""Texts in the reader's language: the gettext catalogues, the language of the text being built,
and the markers that put a text in the catalogues.

English is the source language: every message id is the English text itself, so a message a
catalogue lacks (or a language without a compiled catalogue) reads in English, never breaks.
The catalogues live in ``bot/locale/<lang>/LC_MESSAGES/sprintback.po`` (domain
:data:`DOMAIN`); their compiled ``.mo`` files are built with the package, never committed
(README "Languages").

Which language a text is built in
---------------------------------
Every function here reads the language of the current context (:func:`current_language`), a
:class:`contextvars.ContextVar`. So it is per asyncio task and per thread: two updates handled
at once on one event loop never see each other's language, and ``asyncio.to_thread`` carries it
into the worker thread (``loop.run_in_executor`` does not: copy the context, as
``bot.reports.runner`` does). It is chosen at each entry point:

- an update: set to the sender's Telegram ``language_code`` first thing
  (``bot.handlers.dispatch``), then to the stored person's language once the handler has read
  them (:func:`set_language`; the next update sets it afresh, so nothing leaks between updates
  handled one after the other in one task);
- a text for someone else than the sender (a clinician card written while an athlete's update
  is handled, an outbox row, a job's message): ``with use_language(recipient.language):``
  around the code that builds it. A block restores the previous language when it ends.

English is the default when nothing was chosen.

Markers
-------
``_``/``gettext``, ``ngettext``, ``pgettext`` and ``npgettext`` translate now, in the current
language. :func:`L_` (``lazy_gettext``) is for module-level constants: it returns a
:class:`LazyText` that is translated each time it is turned into a string (``str(x)``,
``x.format(...)``, an f-string), in the language current then. :func:`N_` only marks a text for
extraction and returns it unchanged (for texts translated later by ``_(value)``). Placeholders
are named (``"{name} moved you to {stage}"``) and filled after translation, so translators can
move them; plurals come from the catalogue (``ngettext``), never from adding an "s".
"""

from __future__ import annotations

import contextlib
import gettext as _gettext
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOMAIN = "sprintback"
SOURCE_LANGUAGE = "en"
# The languages Sprintback speaks, in the order they are offered.
LANGUAGES: tuple[str, ...] = ("en", "es", "pt", "fr", "de")
# Each language in its own words: how it is offered in /settings, whatever the current one.
LANGUAGE_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "pt": "Português",
    "fr": "Français",
    "de": "Deutsch",
}
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"

_current: ContextVar[str] = ContextVar("sprintback_language", default=SOURCE_LANGUAGE)
_loaded: dict[str, _gettext.NullTranslations] = {}
_load_lock = threading.Lock()


def normalise_language(code: str | None) -> str:
    """Return the supported language for a language tag: Telegram's ``language_code``
    ("pt-br" → "pt", "de-AT" → "de"), a stored value, or anything else → English."""
    if not code:
        return SOURCE_LANGUAGE
    base = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else SOURCE_LANGUAGE


def is_supported(code: str) -> bool:
    """Whether ``code`` is exactly one of :data:`LANGUAGES` (as stored for a person)."""
    return code in LANGUAGES


def language_for(stored: str, chosen: bool, telegram_code: str | None) -> str:
    """Return the language to write to a stored person in: the one they chose; else their
    Telegram app's, when Sprintback speaks it; else the stored one."""
    if not chosen and telegram_code:
        base = telegram_code.strip().replace("_", "-").split("-", 1)[0].lower()
        if base in LANGUAGES:
            return base
    return normalise_language(stored)


def language_name(lang: str) -> str:
    """Return the language's name in that language ("Deutsch"), as the language picker shows
    it."""
    return LANGUAGE_NAMES[normalise_language(lang)]


def catalogue_path(lang: str) -> Path:
    """Return where the compiled catalogue of ``lang`` is read from."""
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def translations(lang: str) -> _gettext.NullTranslations:
    """Return the translations of ``lang``, read from its compiled catalogue once per process;
    a language without one translates nothing (every text stays English)."""
    found = _loaded.get(lang)
    if found is not None:
        return found
    with _load_lock:
        found = _loaded.get(lang)
        if found is None:
            path = catalogue_path(lang)
            if path.is_file():
                with path.open("rb") as mo:
                    found = _gettext.GNUTranslations(mo)
            else:
                found = _gettext.NullTranslations()
            _loaded[lang] = found
    return found


def missing_catalogues() -> list[str]:
    """Return the languages other than English whose compiled catalogue is missing (an install
    from a checkout that skipped the build step): their people would read English."""
    return [
        lang for lang in LANGUAGES if lang != SOURCE_LANGUAGE and not catalogue_path(lang).is_file()
    ]


_ON_RELOAD: list[Callable[[], None]] = []


def reload_catalogues() -> None:
    """Forget the catalogues read so far, so the next text reads them again (after compiling
    them anew in a running process, e.g. a test)."""
    with _load_lock:
        _loaded.clear()
    for forget in _ON_RELOAD:
        forget()


def on_reload(forget: Callable[[], None]) -> Callable[[], None]:
    """Have ``forget`` called whenever the catalogues are read again (a cache built from
    them, such as the typed word lists); usable as a decorator."""
    _ON_RELOAD.append(forget)
    return forget


# --------------------------------------------------------------------------- the language


def current_language() -> str:
    """Return the language texts are built in here (English unless an entry point chose)."""
    return _current.get()


def set_language(lang: str | None) -> str:
    """Make ``lang`` (normalised) the language of the rest of the current context and return it.

    For entry points only (the start of an update, once the person is known): a text for
    anyone else is built inside :func:`use_language`.
    """
    chosen = normalise_language(lang)
    _current.set(chosen)
    return chosen


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Build the texts of the block in ``lang`` (normalised); the previous language is back
    when the block ends, even on an error."""
    token = _current.set(normalise_language(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


# --------------------------------------------------------------------------- translating now


def gettext(message: str) -> str:
    """Return ``message`` in the current language (English when it has no translation)."""
    return translations(_current.get()).gettext(message)


_ = gettext


def ngettext(singular: str, plural: str, n: int) -> str:
    """Return the form of a message for the count ``n`` in the current language, by the
    catalogue's plural rule (French: 0 and 1 singular; English: 1 only). Fill the placeholders
    after: ``ngettext("{n} alert", "{n} alerts", n).format(n=n)``."""
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """Return ``message`` in the current language, translated for ``context`` (for a short
    English text that needs different words in different places, e.g. a button)."""
    return translations(_current.get()).pgettext(context, message)


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    """:func:`ngettext` with a context (see :func:`pgettext`)."""
    return translations(_current.get()).npgettext(context, singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue and return it unchanged (translate it later with
    ``_(value)``): for English ids kept in data, e.g. a table whose values are translated where
    they are shown."""
    return message


# --------------------------------------------------------------------------- translating later


@dataclass(frozen=True, slots=True)
class LazyText:
    """A catalogue message translated each time it becomes a string, in the language current
    then: the value of a module-level text constant.

    It is not a ``str`` on purpose: a function that needs text takes ``str`` (or :data:`Text`)
    and the type checker shows every place that must call ``str(...)`` or ``.format(...)``.
    """

    message: str
    context: str | None = None

    def __str__(self) -> str:
        if self.context is None:
            return gettext(self.message)
        return pgettext(self.context, self.message)

    def format(self, *args: Any, **kwargs: Any) -> str:
        """Return the translated text with its placeholders filled."""
        return str(self).format(*args, **kwargs)

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


@dataclass(frozen=True, slots=True)
class CapitalisedText(LazyText):
    """A :class:`LazyText` shown with its first letter upper-case, translated first ("walking
    pain" → "Schmerz beim Gehen", then "Walking pain" only in English): a lower-case label
    used as a heading or at the start of a line."""

    def __str__(self) -> str:
        shown = LazyText.__str__(self)
        return shown[:1].upper() + shown[1:]


Text = str | LazyText


def capitalised(value: Text) -> Text:
    """Return ``value`` with an upper-case first letter; a :class:`LazyText` is translated
    first, each time it is used."""
    if isinstance(value, LazyText):
        return CapitalisedText(value.message, value.context)
    return value[:1].upper() + value[1:]


# Languages whose nouns keep their capital anywhere in a sentence: a text there is never
# lower-cased to continue a sentence ("Für die nächste Stufe: Morgenabfrage …").
_NOUNS_CAPITALISED = frozenset({"de"})


def mid_sentence(value: str) -> str:
    """Return ``value`` (a label or a name, already translated) as it reads after a colon or
    inside a sentence: its first letter lower-cased, except in a language that capitalises
    nouns (German), where a lower-cased noun would be a spelling mistake."""
    if current_language() in _NOUNS_CAPITALISED:
        return value
    return value[:1].lower() + value[1:]


def lazy_gettext(message: str) -> LazyText:
    """Return ``message`` as a :class:`LazyText` (translated when used) and mark it for the
    catalogue."""
    return LazyText(message)


L_ = lazy_gettext


def lazy_pgettext(context: str, message: str) -> LazyText:
    """:func:`lazy_gettext` with a context (see :func:`pgettext`)."""
    return LazyText(message, context)


def labelled(label: str, value: str) -> str:
    """Return a label and its value as the reader's language writes them: "Pain at rest: 2",
    in French "Douleur au repos : 2" (a no-break space before the colon)."""
    # TRANSLATORS: a label and its value ("Pain at rest: 2"). French puts a no-break space
    # (U+00A0) before the colon.
    return gettext("{label}: {value}").format(label=label, value=value)


def text(value: Text) -> str:
    """Return ``value`` as the string to show now (a :class:`LazyText` is translated)."""
    return value if isinstance(value, str) else str(value)
