"""Turning what the athlete sent (a button press or typed text) into a stored answer value.

Typed text is accepted only when it fits the question; anything else gives a short, friendly
correction naming what was wrong and what is expected. Nothing here raises on bad input.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.services import texts
from bot.services.questionnaires.dates import days_back_answer, own_today
from bot.services.questionnaires.metrics_parser import (
    SPECS,
    parse_metric_value,
    parse_metrics_line,
)
from bot.services.questionnaires.model import Answers, Option, Question, QuestionContext
from bot.services.timezones import resolve_typed_zone, zone_refusal
from bot.support.formats import format_decimal, format_or_list
from bot.support.i18n import L_, LANGUAGES, LazyText, Text, _, mid_sentence, text
from bot.support.typed_words import (
    TypedWord,
    hours_typed,
    number_word,
    scale_word,
    score_out_of,
    time_ago,
    typed_word,
    words_for,
)

# Beside a metrics answer (``_assumed:<key>``): what was read with a guess, never a metric.
ASSUMED_KEY = "_assumed:"
MAX_TEXT = 300
MAX_INJURY_AGE_DAYS = 366
# A month or a year typed back from today ("3 months ago") is too rough to store as a day
# (months are 28 to 31 days; the days since the injury count in the programme): it only tells
# an injury too old for it, counted 30 days a month, 365 a year ("13 months ago", "2 years
# ago"); within the limit a date is asked for.
_ROUGH_DAYS = {"months": 30, "years": 365}
# A date typed as months or a year back, within the limit: the day is asked for.
DATE_MONTHS_AGO = L_(
    "I need the exact day, because your programme counts the days since the injury. Please "
    "type the date (e.g. 1.3.2026), or tap a button."
)
# A step-by-step metric refused because it contradicts one typed before (a top speed slower
# than the splits allow): the mistake may be in the earlier one, which cannot be typed here.
EARLIER_NUMBER_WRONG = L_(
    "If the mistake is in a number you typed before, tap Skip here: you can type all the "
    "numbers again before saving."
)
_NIGHT_HOURS = range(1, 4)  # 01:00–03:59: clock changes happen here; check-ins avoid it


@dataclass(frozen=True)
class Accepted:
    """A valid answer value, ready to store; ``assumed``: what was read with a guess
    ("31 km/h = 8.6 m/s?"), asked back to the athlete."""

    value: Any
    assumed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rejected:
    """Why the input does not answer the question (shown to the athlete). ``understood``: the
    input was read (a date too old, "a month ago"), so a sentence of it is no cry for help."""

    message: str
    understood: bool = field(default=False, compare=False)  # how it is said, not what

    def __init__(self, message: Text, *, understood: bool = False) -> None:
        # A catalogue text (``L_``) is put in the reader's language here, once.
        object.__setattr__(self, "message", text(message))
        object.__setattr__(self, "understood", understood)


Parsed = Accepted | Rejected


def _clean(text: str) -> str:
    without_controls = "".join(
        ch for ch in text if unicodedata.category(ch)[0] != "C" or ch in " \n"
    )
    return re.sub(r"\s+", " ", without_controls).strip()


def _match_option(options: tuple[Option, ...], typed: str) -> Option | None:
    """Return the option whose label was typed: the label as the button shows it in the
    reader's language, or its English source (people copy what they know), or its value;
    or one of the alternatives a label offers ("Not graded / don't know": "don't know"),
    when no other button offers the same words."""
    wanted = _letters(typed)
    if not wanted:
        return None
    parts: dict[str, list[Option]] = {}
    for option in options:
        labels = [option.shown]
        if isinstance(option.label, LazyText):
            labels.append(option.label.message)
        names = {_letters(label) for label in labels}
        if isinstance(option.value, str):
            names.add(_letters(option.value))
        if wanted in names or _squeezed(wanted) in {_squeezed(n) for n in names}:
            return option
        for label in labels:
            for part in label.split(" / ") if " / " in label else ():
                parts.setdefault(_squeezed(_letters(part)), []).append(option)
    found = parts.get(_squeezed(wanted), [])
    return found[0] if found and all(o is found[0] for o in found) else None


def _squeezed(letters: str) -> str:
    """``letters`` without spaces: "dont know" and "don't know" ("don t know") are one."""
    return letters.replace(" ", "")


def _letters(typed: str) -> str:
    """Return the letters and digits of ``typed``, lower case and without accents, words
    separated by one space ("Sí ✅" → "si"), so a typed label matches in any language."""
    decomposed = unicodedata.normalize("NFKD", typed.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\W_]+", " ", bare).strip()


# A typed minus sign (ASCII, Unicode minus or a dash a phone keyboard may substitute).
_MINUS = "-\u2212\u2013"
_NEGATIVE = re.compile(rf"\s*[{_MINUS}]\s*[\d.,]")


# A number, then perhaps a unit: "45", "45 min", "1 hour", "1,5 h", "45'", "7 Std.".
_NUMBER = re.compile(rf"\s*([{_MINUS}]\s*)?(\d+(?:[.,]\d+)?|[.,]\d+)\s*([^\d]{{0,16}}?)\.?\s*")


def _number(text: str) -> tuple[float, str] | None:
    """Return the number typed and the unit after it (folded: lower case, no accents; "" when
    none), or None when ``text`` is not one number."""
    match = _NUMBER.fullmatch(text.lower())
    if not match:
        return None
    value = float(match.group(2).replace(",", "."))
    if match.group(1):
        value = -value
    return (value, _folded(match.group(3))) if math.isfinite(value) else None


def _folded(word: str) -> str:
    """Return ``word`` lower case, without accents or surrounding spaces ("Std" → "std")."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    # Punctuation closing a sentence is no part of the unit ("8 hours!", "7 hrs,").
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).strip(" .,;:!?")


# The minutes mark of a duration ("45'"), as phone keyboards type it.
_MINUTE_MARKS = frozenset({"'", "\u2019", "\u2032"})
_PERCENT_WORDS = frozenset(
    {"%", "pct", "percent", "prozent", "pourcent", "pour cent", "por ciento", "por cento"}
)


def _words(word: TypedWord) -> frozenset[str]:
    """The ways to write hours or minutes in every supported language: a duration typed in
    another language than the bot's ("1 hora") means the same."""
    return frozenset().union(*(words_for(word, lang) for lang in LANGUAGES))


def _unit_factor(question: Question, unit: str) -> float | None:
    """Return what a number typed with ``unit`` is multiplied by to be in the question's unit
    (1 hour is 60 for the minutes of a session), or None when the unit does not fit it."""
    if not unit:
        return 1.0
    own = question.unit.strip()
    if own == "min":
        if unit in _MINUTE_MARKS or unit in _words("minutes"):
            return 1.0
        return 60.0 if unit in _words("hours") else None
    if own == "h":
        # Never minutes: "7 m" for the hours slept is a slip, not 0.12 h.
        return 1.0 if unit in _words("hours") else None
    if own == "%":
        return 1.0 if unit in _PERCENT_WORDS else None
    # A score has no unit: a short word after it ("3 pts") changes no amount.
    return 1.0 if not own and re.fullmatch(r"[a-z%]{1,8}", unit) else None


def _units_expected(question: Question) -> list[str]:
    """The unit symbols a number may be typed with for ``question`` ("min or h")."""
    own = question.unit.strip()
    return ["min", "h"] if own == "min" else [own] if own else []


def _fmt(value: float) -> str:
    """A number with the reader's decimal sign ("7,5" in German)."""
    return format_decimal(value)


def parse_typed(question: Question, text: str, ctx: QuestionContext, answers: Answers) -> Parsed:
    """Read typed ``text`` as the answer to ``question``; never raises on bad input."""
    # A free-text question may allow more (the /problem description); nothing else needs it.
    limit = max(MAX_TEXT, int(question.maximum or 0)) if question.kind == "text" else MAX_TEXT
    cleaned = _clean(text)
    if len(cleaned) > limit:
        return _too_long(question, limit)
    if question.kind in ("scale10", "hooper", "number") and _NEGATIVE.match(cleaned):
        # "-1" must not match the button "1": a negative number is out of range, never coerced
        # (a metric's own check refuses it too: "-0" is no top speed).
        if question.metric:
            return _metric_answer(question, cleaned, answers)
        return _parse_number(question, cleaned)
    options = question.render_options(ctx, answers)
    option = _match_option(options, cleaned)
    if option is not None and question.kind != "multi":
        return Accepted(option.value)
    if question.metric:
        return _metric_answer(question, cleaned, answers)
    if question.kind in ("scale10", "hooper", "number"):
        return _parse_number(question, cleaned)
    if question.kind == "date":
        return _parse_date(cleaned, ctx, answers)
    if question.kind == "time":
        return _parse_time(cleaned)
    if question.kind == "text":
        return _parse_text(question, cleaned)
    if question.kind == "metrics":
        return _parse_metrics(cleaned)
    if question.kind == "timezone":
        zone = resolve_typed_zone(cleaned)
        if zone:
            return Accepted(zone)
        # An offset, an abbreviation or a country of several zones is told why and what to type.
        return Rejected(zone_refusal(cleaned) or texts.ZONE_UNKNOWN)
    if question.kind == "multi" and typed_word(cleaned, ("none",)) == "none":
        return Accepted([])
    return Rejected(texts.USE_BUTTONS)


def _too_long(question: Question, limit: int) -> Rejected:
    """Refuse a text too long to be the answer, saying what the question expects: "keep it
    under 300 characters" is only for the questions answered in words (a pasted paragraph on
    a 0–10 scale is no number, whatever its length)."""
    low = question.minimum if question.minimum is not None else 0
    high = question.maximum if question.maximum is not None else math.inf
    if question.kind in ("scale10", "hooper"):
        return Rejected(texts.PICK_NUMBER.format(low=_fmt(low), high=_fmt(high)))
    if question.kind == "number" and not question.metric:
        example = _fmt(low if low > 0 else min(high, 7.5 if not question.integer else 7))
        return Rejected(
            texts.NUMBER_EXPECTED.format(label=mid_sentence(question.shown_label), example=example)
        )
    if question.kind in ("single", "multi"):
        return Rejected(texts.USE_BUTTONS)
    if question.kind == "date":
        return Rejected(texts.DATE_EXPECTED)
    if question.kind == "time":
        return Rejected(texts.TIME_EXPECTED)
    return Rejected(texts.TEXT_TOO_LONG.format(limit=limit))


def _metric_answer(question: Question, text: str, answers: Answers) -> Parsed:
    """A value typed for a metric, checked against the metric's own units and bounds, and
    against the other metrics typed one by one in the same entry, as a one-line entry is (a
    20 m split faster than the 10 m one is refused, not saved)."""
    metric = question.metric
    prefix = question.key.removesuffix(metric)  # the step items share one: "m_vmax_ms"
    given = {
        key: value
        for key in SPECS
        if key != metric
        and isinstance(value := answers.get(prefix + key), int | float)
        and not isinstance(value, bool)
    }
    checked = parse_metric_value(metric, text, given)
    if checked.problem is not None and checked.conflict:
        # Only this value can be typed again here: if an earlier one was the mistake, the
        # athlete skips this one and types them all again at "Is that right?" (the other
        # answers of the questionnaire are kept).
        return Rejected(f"{checked.problem}\n{EARLIER_NUMBER_WRONG}")
    if checked.problem is not None:
        return Rejected(checked.problem)
    return Accepted(checked.value)


def _friendly_number(question: Question, text: str) -> float | None:
    """Read what people type for a number where it is unambiguous, in their language or
    English: "3/10" or "3 out of 10" on a 0–10 scale, "three", "7h30" or "7 hours 30" for
    hours, "good" on the sleep-quality scale."""
    if question.kind in ("scale10", "hooper"):
        score = score_out_of(text)
        if score is not None and score[1] == int(question.maximum or 10):
            return float(score[0])
    number = number_word(text)
    if number is not None:
        return float(number)
    if question.kind == "hooper":
        level = scale_word(text, good_to_bad=question.key == "sleep_quality")
        if level is not None:
            return float(level)
    if question.unit.strip() == "h":
        return hours_typed(text)
    if question.unit.strip() == "min":
        hours = hours_typed(text)  # "1h30", "1:30" for a session's minutes
        if hours is None:
            return None
        if ":" in text and hours * 60 > (question.maximum or math.inf):
            # "45:00" is a stopwatch's minutes and seconds, not 45 hours.
            return float(round(hours))
        return round(hours * 60)
    return None


def _parse_number(question: Question, text: str) -> Parsed:
    low = question.minimum if question.minimum is not None else 0
    high = question.maximum if question.maximum is not None else math.inf
    # A plain number first (most answers); then what people write instead of one.
    typed = _number(text)
    value: float | None = None
    if typed is not None:
        number, unit = typed
        factor = _unit_factor(question, unit)
        if factor is None and _units_expected(question):
            # "7 and a half" is a number in words after all: refused only if unreadable.
            friendly = _friendly_number(question, text)
            if friendly is None and _looks_like_unit(unit):
                return _unit_refused(question, unit)
            factor, number = (None, 0.0) if friendly is None else (1.0, friendly)
        if factor is not None:
            value = number * factor
            if factor != 1.0 and question.integer:
                value = round(value)  # 1,33 h is 80 min: to the minute, as asked
    if value is None:
        value = _friendly_number(question, text)
    if value is None:
        if question.kind in ("scale10", "hooper"):
            return Rejected(texts.PICK_NUMBER.format(low=_fmt(low), high=_fmt(high)))
        example = _fmt(low if low > 0 else min(high, 7.5 if not question.integer else 7))
        return Rejected(
            texts.NUMBER_EXPECTED.format(label=mid_sentence(question.shown_label), example=example)
        )
    value += 0.0  # "-0" is 0, never a negative zero stored
    if not low <= value <= high:
        return Rejected(
            texts.NUMBER_RANGE.format(
                label=question.shown_label,
                low=_fmt(low),
                high=_fmt(high),
                unit=question.unit,
                value=_fmt(value),
            )
        )
    if question.integer:
        if value != int(value):
            return Rejected(
                texts.WHOLE_NUMBER.format(label=question.shown_label, value=_fmt(value))
            )
        return Accepted(int(value))
    return Accepted(round(value, 2))


def _looks_like_unit(unit: str) -> bool:
    """Whether what follows a number reads as one unit ("sec", "km"), not words ("and a
    half"), which get the usual "type a number" answer instead."""
    return re.fullmatch(r"[^\W\d_]{1,8}|%", unit) is not None


def _unit_refused(question: Question, unit: str) -> Rejected:
    """Refuse a number typed with a unit that does not fit ``question`` ("45 sec" for the
    minutes of a session): dropping it would store another amount than the one meant."""
    return Rejected(
        _("{label}: '{unit}' is not a unit I can use here (expected {expected}).").format(
            label=question.shown_label,
            unit=unit,
            expected=format_or_list(_units_expected(question)),
        )
    )


_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DAY_FIRST = re.compile(r"(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?")


def parse_date(text: str, today: dt.date) -> dt.date | None:
    """Read a date typed as ISO (2026-03-01), day-first (1.3.2026, 01/03/26; without a year,
    the latest such day up to ``today``), a word ("yesterday", "tomorrow") or days or weeks
    back ("3 days ago", "hace 3 días", "2 weeks ago")."""
    back = parse_days_back(text)
    if back is not None:
        return today - dt.timedelta(days=back)
    lowered = text.lower().strip()
    iso = _ISO.fullmatch(lowered)
    day_first = _DAY_FIRST.fullmatch(lowered)
    try:
        if iso:
            return dt.date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        if day_first:
            year_text = day_first.group(3)
            day, month = int(day_first.group(1)), int(day_first.group(2))
            if year_text is None:
                # A date typed without its year is the latest one not after today: "28.12"
                # typed on 3 January is last December's.
                year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
            else:
                year = int(year_text)
            if year < 100:
                year += 2000
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def parse_days_back(text: str) -> int | None:
    """Read a day named relative to today: "today" (0), "yesterday" (1), "tomorrow" (-1: a
    day ahead), "3 days ago" or "3 days" (3), "2 weeks ago" (14), "a week ago" (7). Months
    and years are not days back (see :func:`_rough_days_back`)."""
    lowered = text.lower().strip()
    word = typed_word(lowered, ("today", "yesterday", "tomorrow", "a week ago"))
    if word is not None:
        return {"today": 0, "yesterday": 1, "tomorrow": -1, "a week ago": 7}[word]
    back = time_ago(lowered)
    if back is None or back[1] not in ("days", "weeks"):
        return None
    return back[0] * (7 if back[1] == "weeks" else 1)


def _rough_days_back(text: str) -> int | None:
    """Return about how many days back a date typed as months or years back is ("13 months
    ago": 13 × 30), or None when it is not typed so."""
    back = time_ago(text.lower().strip())
    if back is None or back[1] not in _ROUGH_DAYS:
        return None
    return back[0] * _ROUGH_DAYS[back[1]]


def _impossible_day(text: str, today: dt.date) -> bool:
    """Whether ``text`` is written as a date whose day and month do not exist ("31/02",
    "30.2.2026", "2026-02-30"; month first, "3/14", too): it is refused naming it. Without a
    year it is the year :func:`parse_date` reads it in: "29.2" typed in March 2026 is this
    year's, which has none (never a guessed 2024)."""
    lowered = text.lower().strip()
    iso = _ISO.fullmatch(lowered)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
    else:
        day_first = _DAY_FIRST.fullmatch(lowered)
        if not day_first:
            return False
        day, month = int(day_first.group(1)), int(day_first.group(2))
        if day_first.group(3) is None:
            year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
        else:
            year = int(day_first.group(3))
        year += 2000 if year < 100 else 0
    try:
        dt.date(max(year, 1), month, day)
    except ValueError:
        return True
    return False


def _parse_date(text: str, ctx: QuestionContext, answers: Answers) -> Parsed:
    today = own_today(ctx, answers)
    back = parse_days_back(text)
    if back is not None:
        # Kept relative: the athlete's own day is known once their time zone is.
        if back < 0:
            return Rejected(texts.DATE_IN_FUTURE, understood=True)
        if back > MAX_INJURY_AGE_DAYS:
            return Rejected(texts.DATE_TOO_OLD, understood=True)
        return Accepted(days_back_answer(back, ctx))
    rough = _rough_days_back(text)
    if rough is not None and rough > MAX_INJURY_AGE_DAYS:
        return Rejected(texts.DATE_TOO_OLD, understood=True)
    if rough is not None:
        # "A month ago" is not one day (months are 28 to 31 days long): the days since the
        # injury count in the programme, so the day itself is asked for, never guessed.
        return Rejected(DATE_MONTHS_AGO, understood=True)
    date = parse_date(text, today)
    if date is None:
        if _impossible_day(text, today):
            return Rejected(texts.DATE_DOES_NOT_EXIST.format(date=text), understood=True)
        return Rejected(texts.DATE_EXPECTED)
    if date > today:
        return Rejected(texts.DATE_IN_FUTURE, understood=True)
    if (today - date).days > MAX_INJURY_AGE_DAYS:
        return Rejected(texts.DATE_TOO_OLD, understood=True)
    return Accepted(date.isoformat())


def parse_time(text: str) -> dt.time | None:
    """Read a clock time: 7, 7:30, 07.30, 0730, 7am, 7:30 pm."""
    lowered = text.lower().replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})(?:[:.h]?(\d{2}))?(am|pm|h)?", lowered)
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if match.group(3) == "pm" and hour < 12:
        hour += 12
    if match.group(3) == "am" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def _parse_time(text: str) -> Parsed:
    time = parse_time(text)
    if time is None:
        return Rejected(texts.TIME_EXPECTED)
    if time.hour in _NIGHT_HOURS:
        return Rejected(texts.TIME_NIGHT)
    return Accepted(time.strftime("%H:%M"))


def _parse_text(question: Question, text: str) -> Parsed:
    limit = int(question.maximum or 60)
    if not re.search(r"[^\W\d_]", text):
        return Rejected(texts.TEXT_EMPTY)
    if len(text) > limit:
        return Rejected(texts.TEXT_TOO_LONG.format(limit=limit))
    return Accepted(text)


def metric_values(given: Any) -> dict[str, Any]:
    """Return the metrics of a metrics answer (a copy)."""
    return dict(given) if isinstance(given, dict) else {}


def assumed_of(answers: Answers, key: str) -> list[str]:
    """Return what was read with a guess in the answer to ``key`` (stored beside it)."""
    found = answers.get(ASSUMED_KEY + key)
    return [str(a) for a in found] if isinstance(found, list) else []


def _parse_metrics(typed: str) -> Parsed:
    result = parse_metrics_line(typed)
    if result.metrics is not None and result.ok:
        return Accepted(result.metrics.model_dump(exclude_none=True), result.assumed)
    lines = [
        text(texts.PROBLEMS_INTRO),
        *(f"• {p}" for p in result.problems),
        text(texts.PROBLEMS_OUTRO),
    ]
    return Rejected("\n".join(lines))
