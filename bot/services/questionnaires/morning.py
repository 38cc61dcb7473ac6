"""The morning readiness check-in (reference §4.1, M0–M9; keys from the data dictionary)."""

from __future__ import annotations

import re

from bot.services import texts
from bot.services.questionnaires.common import choices, hooper_options, scale
from bot.services.questionnaires.model import (
    Answers,
    Option,
    Question,
    QuestionContext,
    Questionnaire,
)
from bot.services.questionnaires.steps import DRAFT_PREFIX
from bot.support.formats import format_and_list, format_decimal
from bot.support.i18n import L_, Text, capitalised, ngettext, text
from engine.models import RED_FLAGS

# The test gets harder from stage 3 of either protocol (H3 / C3), per the reference.
_LATE_STAGE_FROM = 3


def stage_number(stage: str | None) -> int | None:
    """Return the number inside a stage id such as "H3" (None if there is none)."""
    if not stage:
        return None
    match = re.search(r"\d+", stage)
    return int(match.group()) if match else None


def provocation_test(injury: str | None, stage: str | None) -> str:
    """Return exactly what the athlete does for the daily provocation test (M2)."""
    number = stage_number(stage)
    late = number is not None and number >= _LATE_STAGE_FROM
    if injury == "calf":
        return text(texts.PROVOCATION_CALF_LATE if late else texts.PROVOCATION_CALF)
    return text(texts.PROVOCATION_HAMSTRING_LATE if late else texts.PROVOCATION_HAMSTRING)


def _pain_test_prompt(ctx: QuestionContext, answers: Answers) -> str:
    return texts.ASK_PAIN_TEST.format(test=provocation_test(ctx.injury, ctx.stage))


def _tightness_prompt(ctx: QuestionContext, answers: Answers) -> str:
    return text(texts.ASK_TIGHTNESS_CALF if ctx.injury == "calf" else texts.ASK_TIGHTNESS_HAMSTRING)


# "None of these" after a sign reported with /problem since the last check-in: confirmed gone,
# or still there (then the reported signs are today's answer: see ``reported_flags``).
SIGNS_GONE_KEY = "signs_gone"
STILL = "still"
# The signs pre-ticked from that report which the athlete has not touched since (kept with the
# draft, never stored in the check-in): shown ticked, they are no answer of the athlete's
# until Done confirms them, so a check-in cancelled or abandoned with them untouched reports
# nothing new (``bot.services.athlete.questionnaire._with_ticked``).
PRETICKED_KEY = DRAFT_PREFIX + "preticked:red_flags"


def _signs_named(ctx: QuestionContext) -> str:
    return format_and_list([text(texts.RED_FLAG_LABELS[s]) for s in ctx.reported_signs])


def _red_flags_prompt(ctx: QuestionContext, answers: Answers) -> str:
    """The warning-sign question; after a sign reported with /problem since the last check-in,
    led by what was reported (it is pre-ticked: ``bot.services.athlete.questionnaire.begin``)."""
    asked = text(texts.ASK_RED_FLAGS)
    if not ctx.reported_signs:
        return asked
    reported = ngettext(
        "Since your last check-in you reported: {signs}. It is ticked below: tap Done if it is "
        "still there, or untick it if it has gone.",
        "Since your last check-in you reported: {signs}. They are ticked below: tap Done if "
        "they are still there, or untick any that have gone.",
        len(ctx.reported_signs),
    )
    return f"{reported.format(signs=_signs_named(ctx))}\n\n{asked}"


def _signs_gone_prompt(ctx: QuestionContext, answers: Answers) -> str:
    asked = ngettext(
        "Since your last check-in you reported: {signs}. Has it gone completely?",
        "Since your last check-in you reported: {signs}. Have they all gone completely?",
        len(ctx.reported_signs),
    )
    return asked.format(signs=_signs_named(ctx))


def _none_after_report(answers: Answers, ctx: QuestionContext) -> bool:
    """ "None of these" was tapped although a sign was reported since the last check-in."""
    return bool(ctx.reported_signs) and answers.get("red_flags") == []


def reported_flags(answers: Answers, ctx: QuestionContext) -> list[str]:
    """The warning signs the check-in reports: those answered, or, when the athlete said a
    sign reported since the last check-in is still there, that sign."""
    flags = answers.get("red_flags")
    given = list(flags) if isinstance(flags, list) else []
    if answers.get(SIGNS_GONE_KEY) == STILL:
        given = list(dict.fromkeys([*given, *ctx.reported_signs]))
    return given


def has_red_flag(answers: Answers, ctx: QuestionContext) -> bool:
    """A red flag was reported (or a sign reported since the last check-in is still there),
    or pain at rest at the protocol's stop threshold (a tier-3 red flag): the check-in stops
    at once, so no later /cancel can keep it from the engine."""
    flags = reported_flags(answers, ctx)
    if isinstance(flags, list) and len(flags) > 0:
        return True
    pain = answers.get("pain_rest")
    stop_at = ctx.stop_pain_rest_min
    return isinstance(pain, int | float) and stop_at is not None and pain >= stop_at


def _hooper(key: str, prompt: Text, low: Text, high: Text, label: Text) -> Question:
    return Question(
        key=key,
        kind="hooper",
        prompt=prompt,
        options=hooper_options(low, high),
        minimum=1,
        maximum=7,
        integer=True,
        label=label,
    )


_SLEEP_HOURS = (5, 6, 6.5, 7, 7.5, 8, 8.5, 9)


def _sleep_options(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    """The hours as the reader writes them ("6,5" in German); the values stay numbers."""
    return tuple(Option(format_decimal(h), h) for h in _SLEEP_HOURS)


RED_FLAG_OPTIONS: tuple[Option, ...] = choices(
    {flag: texts.RED_FLAG_LABELS[flag] for flag in RED_FLAGS}
)

MORNING = Questionnaire(
    name="morning",
    stop_when=has_red_flag,
    questions=(
        Question(
            key="red_flags",
            kind="multi",
            prompt=_red_flags_prompt,
            options=RED_FLAG_OPTIONS,
            label=capitalised(L_("warning signs")),
            none_label=texts.NONE_OF_THESE,
        ),
        Question(
            key=SIGNS_GONE_KEY,
            kind="single",
            prompt=_signs_gone_prompt,
            options=(Option(texts.SIGNS_GONE, True), Option(texts.SIGNS_STILL, STILL)),
            label=L_("Gone since your report"),
            when=_none_after_report,
            substep=True,
        ),
        scale("pain_rest", texts.ASK_PAIN_REST, L_("Pain at rest")),
        scale("pain_test", _pain_test_prompt, L_("Pain during the test")),
        scale("tightness", _tightness_prompt, L_("Tightness")),
        scale("confidence", texts.ASK_CONFIDENCE, L_("Confidence")),
        _hooper(
            "sleep_quality",
            texts.ASK_SLEEP_QUALITY,
            texts.HOOPER_LOW_GOOD,
            texts.HOOPER_HIGH_BAD,
            L_("Sleep quality"),
        ),
        _hooper("fatigue", texts.ASK_FATIGUE, texts.HOOPER_LOW, texts.HOOPER_HIGH, L_("Fatigue")),
        _hooper("stress", texts.ASK_STRESS, texts.HOOPER_LOW, texts.HOOPER_HIGH, L_("Stress")),
        _hooper(
            "soreness",
            texts.ASK_SORENESS,
            texts.HOOPER_LOW,
            texts.HOOPER_HIGH,
            L_("Muscle soreness"),
        ),
        Question(
            key="sleep_hours",
            kind="number",
            prompt=texts.ASK_SLEEP_HOURS,
            options=_sleep_options,
            minimum=0,
            maximum=16,
            unit=" h",
            label=L_("Hours slept"),
        ),
    ),
)
