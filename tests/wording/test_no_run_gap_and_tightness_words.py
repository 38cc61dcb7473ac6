"""Days without a run, tightness without a usual level and rest days at the first stage, in the
reader's words.

History: the gap rule now also fires after a week without a run at the stage's speed, even for
an athlete who checked in every day (protocol notes (21)); the bot worded it with its "Welcome
back: after 7 days away from the plan" sentence, untrue for someone who answered every
morning, and the clinician's alert fell back to an unworded line. The fixed tightness limits
that stand in while no symptom baseline is trusted (``morning.p3.tightness``,
``morning.p4.tightness``) and a second rest morning at the first stage (``morning.p3.repeat``
held there) reached the athlete as the engine's English record text. Each case is an engine
history, read by the athlete and the clinician in every language: the new sentence, never
the "days away" one, and no rule id, stage id or engine English.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from bot.support.formats import format_percent
from bot.support.i18n import _, ngettext, use_language
from bot.wording.alerts import alert_line
from bot.wording.reasons import word_reasons
from bot.wording.stages import stage_label
from engine.models import DayRecord
from engine.programme import DayOutcome, ProgrammeState, RunEntry, decide_day
from engine.schema import Protocol
from tests.engine.builders import BASELINE, HAM_INJURY, day, morning, protocol, rec
from tests.engine.test_programme import ready
from tests.i18n.leaks import leaks

HAM = protocol("hamstring")
LANGS = ("en", "es", "pt", "fr", "de")
# What no reader sees: a rule id, a stage id alone; athletes neither a record word.
_IDS = re.compile(r"\b(?:gap|morning|session|gate)\.[a-z0-9_.]+|\b[HC][0-9]\b(?! ·)")
_RECORD_WORDS = re.compile(r"Vmax|\bM2\b")
# The engine's English record sentences of these rules (engine.programme, engine.readiness).
_ENGINE_ENGLISH = (
    "is earned again before you move on",
    "(nothing above",
    "the usual sessions return",
    "At the final stage H",
    "capped at",
    "while no usual level is known yet",
    "Already at the first stage",
    "Rest verdict",
)


def _no_run(stage: str, pct: float, until: int) -> list[DayOutcome]:
    """An athlete in ``stage`` who last ran (at ``pct``) on day 4 and then checks in with a
    green morning every day up to day ``until``, without running."""
    st = ready(stage, qualifying_sessions=0, run_log=(RunEntry(date=day(4), pct=pct, stage=stage),))
    outs = []
    for n in range(5, until + 1):
        out, st = decide_day(HAM, HAM_INJURY, BASELINE, st, rec(n), [])
        outs.append(out)
    return outs


def _mornings(*tightness: int) -> list[DayOutcome]:
    """A programme starting at H0 (no symptom baseline yet), with these morning tightness
    scores and nothing else amiss."""
    st = ProgrammeState(stage="H0", stage_entered=day(0), start=day(0), last_progress=day(0))
    outs = []
    for n, value in enumerate(tightness, start=1):
        record = DayRecord(date=day(n), morning=morning(tightness=value))
        out, st = decide_day(HAM, HAM_INJURY, BASELINE, st, record, [])
        outs.append(out)
    return outs


def _first(outs: list[DayOutcome], rule: str) -> DayOutcome:
    return next(o for o in outs if any(r.rule == rule for r in o.reasons))


def _athlete_reads(out: DayOutcome, p: Protocol = HAM) -> list[str]:
    return [w.text for w in word_reasons(out.reasons, p, out.stage)]


def _clinician_reads(out: DayOutcome, rule: str, p: Protocol = HAM) -> str:
    alert = next(a for a in out.alerts if a.rule == rule)
    return alert_line(alert.rule, alert.text, p)


def _athlete_clean(texts: list[str], lang: str, out: DayOutcome, *new: str) -> None:
    """What :func:`_clean` checks, and no record word (Vmax, M2) on the athlete's screen."""
    assert not [t for t in texts if _RECORD_WORDS.search(t)], texts
    _clean(texts, lang, out, *new)


def _clean(texts: list[str], lang: str, out: DayOutcome, *new: str) -> None:
    """No rule id or lone stage id and none of the engine's English in what is read; in
    another language no English either (the new sentences ``new`` translated, not left
    English)."""
    for text in texts:
        assert not _IDS.search(text), text
        assert not any(english in text for english in _ENGINE_ENGLISH), text
        assert not any(r.text in text for r in out.reasons), text
        assert not any(a.text in text for a in out.alerts), text
    if lang != "en":
        assert not leaks(texts), leaks(texts)
        assert not set(new) & set(texts), f"{lang}: still English: {set(new) & set(texts)}"


def _days(singular: str, plural: str) -> Callable[[int], str]:
    return lambda n: ngettext(singular, plural, n)


# The athlete's sentences (bot.wording.engine_reasons) and the "days away" ones they replace.
_RESTART = _days(
    "No run at this stage's speed reported for {count} day: speed fades in that time, so "
    "what this stage needs (results, sessions and days) is earned again before you move "
    "up, and your first run back is an easier one.",
    "No run at this stage's speed reported for {count} days: speed fades in that time, so "
    "what this stage needs (results, sessions and days) is earned again before you move "
    "up, and your first run back is an easier one.",
)
_AWAY_RESTART = _days(
    "Welcome back: after {count} day away from the plan, what this stage needs (results, "
    "sessions and days) is earned again before you move up.",
    "Welcome back: after {count} days away from the plan, what this stage needs (results, "
    "sessions and days) is earned again before you move up.",
)
_STEP_BACK = _days(
    "No run at this stage's speed reported for {count} day: speed fades in that time, "
    "so what the stage below needs is earned again.",
    "No run at this stage's speed reported for {count} days: speed fades in that time, "
    "so what the stage below needs is earned again.",
)
_AWAY_STEP_BACK = _days(
    "Welcome back: after {count} day away from the plan, fitness has faded, so you restart "
    "one stage lower and earn what it needs again.",
    "Welcome back: after {count} days away from the plan, fitness has faded, so you restart "
    "one stage lower and earn what it needs again.",
)
_FINAL = _days(
    "No run at this stage's speed reported for {count} day: speed fades in that time, "
    "so your next session stays below full speed, without full team or event training "
    "or matches, while your muscle gets used to speed again. Your usual sessions "
    "return {hours} hours after that run.",
    "No run at this stage's speed reported for {count} days: speed fades in that time, "
    "so your next session stays below full speed, without full team or event training "
    "or matches, while your muscle gets used to speed again. Your usual sessions "
    "return {hours} hours after that run.",
)
_AWAY_FINAL = _days(
    "Welcome back: after {count} day away from the plan, your first session back stays below "
    "full speed, without full team or event training or matches, so your muscle gets used to "
    "speed again. Your usual sessions return {hours} hours after that run.",
    "Welcome back: after {count} days away from the plan, your first session back stays below "
    "full speed, without full team or event training or matches, so your muscle gets used to "
    "speed again. Your usual sessions return {hours} hours after that run.",
)
# The clinician's (bot.wording.alerts).
_CLINICIAN_RESTART = _days(
    "{count} day without a run at the speed of {stage} (check-ins alone do not count): "
    "its criteria, sessions, minimum days and any sign-off are earned again.",
    "{count} days without a run at the speed of {stage} (check-ins alone do not count): "
    "its criteria, sessions, minimum days and any sign-off are earned again.",
)
_CLINICIAN_STEP_BACK = _days(
    "{count} day without a run at the speed of {stage} (check-ins alone do not "
    "count): moved back to {previous}; its criteria, sessions and any sign-off are "
    "earned again.",
    "{count} days without a run at the speed of {stage} (check-ins alone do not "
    "count): moved back to {previous}; its criteria, sessions and any sign-off are "
    "earned again.",
)
_CLINICIAN_FINAL = _days(
    "Final stage: {count} day without a run at its speed (check-ins alone do not count). "
    "Next session ≤ {percent} Vmax, then an easy day with nothing ≥ {easy_percent}; no "
    "full training or matches for {hours} h after that run. Re-tests due: please review "
    "before matches.",
    "Final stage: {count} days without a run at its speed (check-ins alone do not count). "
    "Next session ≤ {percent} Vmax, then an easy day with nothing ≥ {easy_percent}; no "
    "full training or matches for {hours} h after that run. Re-tests due: please review "
    "before matches.",
)
# Tightness against the fixed limit while no usual level is known (bot.wording.reasons).
_TIGHTNESS = {
    "morning.p3.tightness": (
        "Tightness {value}/10: until I know what is usual for you, {limit}/10 or more means "
        "a rest day."
    ),
    "morning.p4.tightness": (
        "Tightness {value}/10: until I know what is usual for you, {limit}/10 or more means "
        "a lighter day."
    ),
}


def _said(lang: str, render: Callable[[], str]) -> tuple[str, str]:
    """A sentence in ``lang`` and in English."""
    with use_language("en"):
        english = render()
    with use_language(lang):
        return render(), english


@pytest.mark.parametrize("lang", LANGS)
def test_a_week_of_check_ins_without_a_run_restarts_the_stage_in_plain_words(lang: str) -> None:
    out = _first(_no_run("H4", 90, 20), "gap.restart")
    days = next(r.observed for r in out.reasons if r.rule == "gap.restart")
    assert isinstance(days, int) and days >= 7
    words, words_en = _said(lang, lambda: _RESTART(days).format(count=days))
    away, _away_en = _said(lang, lambda: _AWAY_RESTART(days).format(count=days))
    told, told_en = _said(
        lang,
        lambda: _CLINICIAN_RESTART(days).format(
            count=days, stage=stage_label(HAM, "H4", "clinician")
        ),
    )
    with use_language(lang):
        read = _athlete_reads(out)
        clinician = _clinician_reads(out, "gap.restart")
    assert words in read and away not in read, read
    assert clinician == told
    _athlete_clean(read, lang, out, words_en)
    _clean([clinician], lang, out, told_en)
    if lang == "en":
        assert not any("Welcome back" in t or "away" in t for t in read), read


@pytest.mark.parametrize("lang", LANGS)
def test_two_weeks_of_check_ins_without_a_run_step_back_in_plain_words(lang: str) -> None:
    out = _first(_no_run("H4", 90, 30), "gap.step_back")
    assert out.stage_after == "H3"
    days = next(r.observed for r in out.reasons if r.rule == "gap.step_back")
    assert isinstance(days, int) and days >= 14
    words, words_en = _said(lang, lambda: _STEP_BACK(days).format(count=days))
    away, _away_en = _said(lang, lambda: _AWAY_STEP_BACK(days).format(count=days))
    told, told_en = _said(
        lang,
        lambda: _CLINICIAN_STEP_BACK(days).format(
            count=days,
            stage=stage_label(HAM, "H4", "clinician"),
            previous=stage_label(HAM, "H3", "clinician"),
        ),
    )
    with use_language(lang):
        read = _athlete_reads(out)
        clinician = _clinician_reads(out, "gap.step_back")
    assert words in read and away not in read, read
    assert clinician == told
    _athlete_clean(read, lang, out, words_en)
    _clean([clinician], lang, out, told_en)


@pytest.mark.parametrize("lang", LANGS)
def test_return_to_play_without_a_run_caps_the_next_session_in_plain_words(lang: str) -> None:
    outs = _no_run("H7", 100, 40)
    capped = _first(outs, "gap.final")
    said = next(r for r in capped.reasons if r.rule == "gap.final")
    count, hours = said.observed, re.search(r"return (\d+) h after", said.text)
    assert isinstance(count, int) and hours is not None
    alerted = next(o for o in outs if any(a.rule == "gap.final" for a in o.alerts))
    alert = next(a for a in alerted.alerts if a.rule == "gap.final")
    numbers = re.search(
        r"for (\d+) days.* capped at (\d+) % Vmax.* nothing at or above (\d+) % Vmax.*"
        r"return (\d+) h after",
        alert.text,
    )
    assert numbers is not None, alert.text
    words, words_en = _said(lang, lambda: _FINAL(count).format(count=count, hours=hours[1]))
    away, _away_en = _said(lang, lambda: _AWAY_FINAL(count).format(count=count, hours=hours[1]))
    told, told_en = _said(
        lang,
        lambda: _CLINICIAN_FINAL(int(numbers[1])).format(
            count=numbers[1],
            percent=format_percent(float(numbers[2])),
            easy_percent=format_percent(float(numbers[3])),
            hours=numbers[4],
        ),
    )
    with use_language(lang):
        read = _athlete_reads(capped)
        clinician = _clinician_reads(alerted, "gap.final")
    assert words in read and away not in read, read
    assert clinician == told
    _athlete_clean(read, lang, capped, words_en)
    _clean([clinician], lang, alerted, told_en)


def _with_limits(modify: int, rest: int) -> Protocol:
    """The hamstring protocol with other fixed tightness limits (lighter day, rest day)."""
    morning_rules = HAM.rules.morning
    changed = morning_rules.model_copy(
        update={
            "modify_tightness_delta": morning_rules.modify_tightness_delta.model_copy(
                update={"value": modify}
            ),
            "rest_pain_test_min": morning_rules.rest_pain_test_min.model_copy(
                update={"value": rest}
            ),
        }
    )
    return HAM.model_copy(update={"rules": HAM.rules.model_copy(update={"morning": changed})})


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    ("tightness", "rule", "limit"),
    [
        (5, "morning.p3.tightness", 4),
        (3, "morning.p4.tightness", 2),
        (2, "morning.p4.tightness", 2),
    ],
)
def test_tightness_without_a_usual_level_says_the_limit_it_was_read_against(
    lang: str, tightness: int, rule: str, limit: int
) -> None:
    """A first morning's lighter or rest day says why: the limit that stands in while the
    athlete's usual tightness is not known, not "Tightness: 3/10." alone."""
    (out,) = _mornings(tightness)
    assert any(r.rule == rule for r in out.reasons)
    words, words_en = _said(lang, lambda: _(_TIGHTNESS[rule]).format(value=tightness, limit=limit))
    bare, _bare_en = _said(lang, lambda: _("Tightness: {value}/10.").format(value=tightness))
    with use_language(lang):
        read = _athlete_reads(out)
    assert words in read and bare not in read, read
    _athlete_clean(read, lang, out, words_en)


def test_the_tightness_limit_is_the_protocols() -> None:
    """A protocol with other limits (3/10 lightens, 5/10 rests) is told with its own."""
    p = _with_limits(3, 5)
    st = ProgrammeState(stage="H0", stage_entered=day(0), start=day(0), last_progress=day(0))
    said = []
    for n, value in ((1, 3), (2, 5)):
        record = DayRecord(date=day(n), morning=morning(tightness=value))
        out, st = decide_day(p, HAM_INJURY, BASELINE, st, record, [])
        with use_language("en"):
            said += _athlete_reads(out, p)
    assert (
        "Tightness 3/10: until I know what is usual for you, 3/10 or more means a lighter day."
        in said
    ), said
    assert (
        "Tightness 5/10: until I know what is usual for you, 5/10 or more means a rest day." in said
    ), said


@pytest.mark.parametrize("lang", LANGS)
def test_rest_days_at_the_first_stage_say_you_stay_not_that_you_go_back(lang: str) -> None:
    second = _mornings(5, 5)[1]
    assert second.stage_after == "H0"
    held = [r for r in second.reasons if r.rule == "morning.p3.repeat"]
    assert any(r.text.startswith("Already at the first stage") for r in held)
    stays, stays_en = _said(
        lang,
        lambda: ngettext(
            "{count} rest day in a row: you stay at this first stage for now.",
            "{count} rest days in a row: you stay at this first stage for now.",
            2,
        ).format(count=2),
    )
    back, _back_en = _said(
        lang,
        lambda: ngettext(
            "{count} rest day in a row: we go back one stage for a few days.",
            "{count} rest days in a row: we go back one stage for a few days.",
            2,
        ).format(count=2),
    )
    with use_language(lang):
        read = _athlete_reads(second)
    assert stays in read and back not in read, read
    _athlete_clean(read, lang, second, stays_en)
