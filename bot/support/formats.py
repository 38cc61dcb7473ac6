"""Numbers, dates and times as the reader writes them, and typed input read the same way.

Formatting follows the locale's conventions (Babel, CLDR data): "1,82 s" in Spanish,
Portuguese, French and German, "1.82 s" in English; "lundi 9 mars", "Montag, 9. März". Every
function takes the language explicitly or uses the current one (``bot.support.i18n``).

Reading typed input is forgiving where it is safe and strict where a slip could change a
value: a decimal comma or point is accepted in every language ("1,82" and "1.82" are both
1.82 s, since athletes type on whatever keyboard they have), but a separator followed by
exactly three digits that the language would read as a thousands separator ("1,820" in
English, "1.820" in German) is refused as ambiguous instead of being guessed. Words typed
instead of a button or a number ("sí", "drei", "il y a 3 jours") are read by
``bot.support.typed_words``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Sequence
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel import dates as babel_dates
from babel import lists as babel_lists
from babel import numbers as babel_numbers

from bot.support.i18n import (
    current_language,
    normalise_language,
)

# The CLDR locale whose conventions each language's numbers and dates follow. English is the
# British English Sprintback is written in ("Monday 9 March", 24-hour times); Portuguese is
# CLDR's "pt" (Brazil), whose numbers, times and dates Portugal reads the same way.
FORMAT_LOCALES: dict[str, str] = {
    "en": "en_GB",
    "es": "es_ES",
    "pt": "pt",
    "fr": "fr_FR",
    "de": "de_DE",
}
# A weekday, day and month without the year: CLDR has no such long pattern for most locales
# (its "MMMMEEEEd" falls back to abbreviations), so each language's is written out here from
# the locale's own full date pattern, year removed. A language added without one gets CLDR's.
_WEEKDAY_DAY_MONTH: dict[str, str] = {
    "en": "EEEE d MMMM",
    "es": "EEEE, d 'de' MMMM",
    "pt": "EEEE, d 'de' MMMM",
    "fr": "EEEE d MMMM",
    "de": "EEEE, d. MMMM",
}
NBSP = "\u00a0"


def format_locale(lang: str | None = None) -> Locale:
    """Return the Babel locale whose conventions ``lang`` (default: current) follows."""
    return _locale(normalise_language(lang or current_language()))


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(FORMAT_LOCALES.get(lang, lang))


# --------------------------------------------------------------------------- formatting


def format_decimal(value: float, places: int | None = None, lang: str | None = None) -> str:
    """Return ``value`` with the language's decimal sign: exactly ``places`` decimals if given
    ("1,82"), else as many as needed up to three ("8,7", "12")."""
    locale = format_locale(lang)
    try:
        if places is None:
            return babel_numbers.format_decimal(value, locale=locale)
        pattern = "#,##0." + "0" * places if places > 0 else "#,##0"
        return babel_numbers.format_decimal(value, format=pattern, locale=locale)
    except decimal.InvalidOperation:
        # Beyond the decimal context's precision (a typed 25-digit number being refused):
        # shown as Python writes it, with the language's decimal sign.
        shown = f"{value:g}" if places is None else f"{value:.{places}f}"
        return shown.replace(".", str(babel_numbers.get_decimal_symbol(locale)))


def format_percent(value: float, places: int = 0, lang: str | None = None) -> str:
    """Return a percentage given in percent (91 → "91 %"): the locale's sign and spacing, and
    in English Sprintback's "91 %" (voice.md) with a no-break space, so a line never ends
    between the number and its sign."""
    language = normalise_language(lang or current_language())
    if language == "en":
        return f"{format_decimal(value, places, language)}{NBSP}%"
    locale = format_locale(language)
    pattern = str(locale.percent_formats[None].pattern)  # e.g. "#,##0 %": the locale's spacing
    if places > 0:
        pattern = pattern.replace("#,##0", "#,##0." + "0" * places, 1)
    return str(babel_numbers.format_percent(value / 100, format=pattern, locale=locale))


def format_date(day: dt.date, lang: str | None = None) -> str:
    """Return the weekday, day and month in full, without the year ("lundi 9 mars",
    "Monday 9 March", "Montag, 9. März")."""
    language = normalise_language(lang or current_language())
    pattern = _WEEKDAY_DAY_MONTH.get(language)
    if pattern is None:
        text = babel_dates.format_skeleton("MMMMEEEEd", day, locale=format_locale(language))
    else:
        text = babel_dates.format_date(day, pattern, locale=format_locale(language))
    return first_of_month(text, day, language)


def format_short_date(day: dt.date, lang: str | None = None) -> str:
    """Return a short weekday, day and month for lists and tables ("Mon 9 Mar",
    "lun. 9 mars")."""
    text = babel_dates.format_skeleton("MMMEd", day, locale=format_locale(lang))
    return first_of_month(text, day, lang)


def format_day_month(day: dt.date, lang: str | None = None) -> str:
    """Return a day and short month without weekday or year ("9 Mar", "9. März")."""
    text = babel_dates.format_skeleton("MMMd", day, locale=format_locale(lang))
    return first_of_month(text, day, lang)


def format_long_date(day: dt.date, lang: str | None = None) -> str:
    """Return the day, month and year in words ("9 March 2026", "9 mars 2026")."""
    text = babel_dates.format_date(day, "long", locale=format_locale(lang))
    return first_of_month(text, day, lang)


_DAY_ONE = re.compile(r"(?<!\d)1(?!\d)")


def first_of_month(text: str, day: dt.date, lang: str | None) -> str:
    """French writes the first of the month as an ordinal ("1er mars"); CLDR gives "1 mars"."""
    if day.day != 1 or normalise_language(lang or current_language()) != "fr":
        return text
    return _DAY_ONE.sub("1er", text, count=1)


def format_date_range(start: dt.date, end: dt.date, lang: str | None = None) -> str:
    """Return a span of days with short month names and the year, as the language writes it
    ("2 – 8 Mar 2026", "2.–8. März 2026", "1er–7 juin 2026", "23 févr. – 1er mars 2026")."""
    text = str(babel_dates.format_interval(start, end, "yMMMd", locale=format_locale(lang)))
    if 1 not in (start.day, end.day) or normalise_language(lang or current_language()) != "fr":
        return text
    # In a span the only numbers standing alone as "1" are days: years have four digits.
    return _DAY_ONE.sub("1er", text)


def format_time(moment: dt.time | dt.datetime, lang: str | None = None) -> str:
    """Return a local time of day as the language writes it ("07:30", "7:30" in Spanish). A
    datetime is shown as it is: convert it to the reader's zone first."""
    when = moment.time() if isinstance(moment, dt.datetime) else moment
    return babel_dates.format_time(when, "short", locale=format_locale(lang))


def format_datetime(moment: dt.datetime, zone: str | None = None, lang: str | None = None) -> str:
    """Return a date with its year and a time of day, in ``zone`` (an IANA name; UTC when
    None or unknown), as the language writes them ("9 Mar 2026, 07:30", "9 mars 2026, 07:30",
    "09.03.2026, 07:30")."""
    try:
        tz = ZoneInfo(zone) if zone else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        tz = dt.UTC
    local = moment.astimezone(tz) if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    locale = format_locale(lang)
    day = first_of_month(
        babel_dates.format_date(local.date(), "medium", locale=locale), local.date(), lang
    )
    time = babel_dates.format_time(local.time(), "short", locale=locale)
    return f"{day}, {time}"


def weekday_name(day: dt.date | int, lang: str | None = None) -> str:
    """Return the weekday's name ("lundi"); ``day`` is a date or Monday = 0 … Sunday = 6."""
    index = day.weekday() if isinstance(day, dt.date) else day
    return str(babel_dates.get_day_names("wide", locale=format_locale(lang))[index])


def format_or_list(items: Sequence[str], lang: str | None = None) -> str:
    """Return alternatives joined as the language does ("999 or 112", "999 oder 112")."""
    return babel_lists.format_list(list(items), style="or", locale=format_locale(lang))


def format_and_list(items: Sequence[str], lang: str | None = None) -> str:
    """Return items joined as the language does ("sleep, stress and soreness")."""
    return babel_lists.format_list(list(items), style="standard", locale=format_locale(lang))


# --------------------------------------------------------------------------- reading input


class NumberNotRead(ValueError):
    """Typed text that is not one number; ``reason`` says why, in words for the person."""

    def __init__(self, text: str, reason: Literal["empty", "not_a_number", "ambiguous"]) -> None:
        super().__init__(f"{reason}: {text!r}")
        self.text = text
        self.reason = reason


_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)")


def decimal_sign(lang: str | None = None) -> str:
    """Return the language's decimal sign ("," or ".")."""
    return str(babel_numbers.get_decimal_symbol(format_locale(lang)))


def parse_decimal(typed: str, lang: str | None = None) -> float:
    """Read one typed number, with a decimal comma or point in any language ("1,82", "1.82",
    ",5"), spaces around it ignored; raise :class:`NumberNotRead` for anything else.

    A separator the language uses between thousands, followed by exactly three digits
    ("1,820" in English, "1.820" in German), could mean a thousand times more: it is refused
    as ambiguous rather than guessed. Grouped numbers ("12,345.5") are refused for the same
    reason: no value Sprintback asks for needs them.
    """
    cleaned = typed.strip().replace("\u2212", "-")
    if not cleaned:
        raise NumberNotRead(typed, "empty")
    if not _DECIMAL.fullmatch(cleaned):
        raise NumberNotRead(typed, "not_a_number")
    separator = next((ch for ch in cleaned if ch in ",."), None)
    if separator is not None and separator != decimal_sign(lang):
        digits_after = len(cleaned) - cleaned.index(separator) - 1
        digits_before = cleaned.index(separator) - (1 if cleaned[0] in "+-" else 0)
        if digits_after == 3 and digits_before > 0:
            raise NumberNotRead(typed, "ambiguous")
    value = float(cleaned.replace(",", "."))
    if not math.isfinite(value):
        raise NumberNotRead(typed, "not_a_number")
    return value
