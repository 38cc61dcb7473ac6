"""The post-session questionnaire (reference §4.2, S1–S12; keys from the data dictionary)."""

from __future__ import annotations

from typing import Any

from bot.services import texts
from bot.services.questionnaires.answers import assumed_of
from bot.services.questionnaires.common import SCALE_0_10, answered, choices, scale, yes_no
from bot.services.questionnaires.metrics_parser import SPECS, cross_checks
from bot.services.questionnaires.model import (
    Answers,
    Option,
    Prompt,
    Question,
    QuestionContext,
    Questionnaire,
)
from bot.services.questionnaires.morning import stage_number
from bot.services.questionnaires.summary import describe_metrics
from bot.support.i18n import L_, capitalised
from bot.wording import item_wording
from engine.models import SESSION_RED_FLAGS

STEPS_MODE = "steps"
FINISH = "finish"
METRIC_PREFIX = "m_"
CHECK_PREFIX = "check_"

STEP_METRICS_COMMON = ("vmax_ms", "split_10m_s", "split_20m_s", "split_30m_s", "hv_reps")
STEP_METRICS_BY_INJURY = {
    "hamstring": (
        "strength_lsi_pct",
        "nordic_n",
        "slhb_reps_injured",
        "slhb_reps_uninjured",
        "hop_lsi_pct",
    ),
    "calf": ("heel_raise_reps_injured", "heel_raise_reps_uninjured", "hop_lsi_pct", "rsi_lsi_pct"),
}
STEP_METRICS = tuple(
    dict.fromkeys(
        STEP_METRICS_COMMON + tuple(k for v in STEP_METRICS_BY_INJURY.values() for k in v)
    )
)

BOOL_CHECKS = ("limp", "knee_extension_full", "full_training")
PCT_CHECKS = ("slr_lsi_pct", "aket_lsi_pct", "dorsiflexion_asym_pct")
PAIN_CHECKS = (
    "walk_pain",
    "single_leg_squat_pain",
    "bike_pain",
    "aket_pain",
    "double_heel_raise_pain",
    "jump_pain",
    "hop_pain",
    "palpation_pain",
    "cod_pain",
)
CHECK_KEYS = PAIN_CHECKS + BOOL_CHECKS + PCT_CHECKS


def collected_metrics(answers: Answers) -> dict[str, Any]:
    """Return the metrics given so far, from the one-line entry or the step-by-step items."""
    given = answers.get("metrics")
    if isinstance(given, dict):
        return dict(given)
    if given == STEPS_MODE:
        return {
            key: answers[METRIC_PREFIX + key]
            for key in STEP_METRICS
            if isinstance(answers.get(METRIC_PREFIX + key), int | float)
            and not isinstance(answers.get(METRIC_PREFIX + key), bool)
        }
    return {}


def collected_checks(answers: Answers) -> dict[str, Any]:
    """Return the functional checks answered (skipped ones are left out)."""
    return {
        key: answers[CHECK_PREFIX + key]
        for key in CHECK_KEYS
        if answers.get(CHECK_PREFIX + key) is not None
    }


def _metric_applies(key: str) -> Any:
    def condition(answers: Answers, ctx: QuestionContext) -> bool:
        if answers.get("metrics") != STEPS_MODE:
            return False
        wanted = STEP_METRICS_COMMON + STEP_METRICS_BY_INJURY.get(ctx.injury or "", ())
        if key not in wanted:
            return False
        return all(answers.get(METRIC_PREFIX + k) != FINISH for k in STEP_METRICS)

    return condition


def _metric_question(key: str) -> Question:
    spec = SPECS[key]

    def prompt(ctx: QuestionContext, answers: Answers) -> str:
        label = spec.shown
        return texts.ASK_METRIC_STEP.format(
            label=label[:1].upper() + label[1:], unit=spec.shown_unit
        )

    return Question(
        key=METRIC_PREFIX + key,
        kind="number",
        prompt=prompt,
        options=(Option(texts.SKIP, None), Option(texts.FINISH_METRICS, FINISH)),
        minimum=spec.minimum,
        maximum=spec.maximum,
        integer=spec.integer,
        unit=f" {spec.unit}",
        label=spec.label,
        when=_metric_applies(key),
        metric=key,
        substep=True,
    )


# Running starts at stage 3 of either protocol's 8 (H2 back to running, C3 run-throughs).
_FIRST_RUNNING = {"hamstring": 2, "calf": 3}


def _confidence_prompt(ctx: QuestionContext, answers: Answers) -> str:
    """Ask about the fastest runs only from the stage where running starts."""
    number = stage_number(ctx.stage)
    running = number is not None and number >= _FIRST_RUNNING.get(ctx.injury or "", 2)
    return str(texts.ASK_SESSION_CONFIDENCE if running else texts.ASK_SESSION_CONFIDENCE_NO_RUNNING)


def _check_applies(key: str) -> Any:
    def condition(answers: Answers, ctx: QuestionContext) -> bool:
        return key in ctx.stage_checks

    return condition


# Stages whose exit names the walk's dose (hamstring H1 exit (d): 20–30 min brisk walk).
_WALK_TEST_STAGES = {("hamstring", 1)}


def _walk_prompt(ctx: QuestionContext, answers: Answers) -> str:
    """Ask the pain of any walk today; at the stage whose exit is a timed brisk walk, say so."""
    prompt = str(texts.CHECK_PROMPTS["walk_pain"])
    if (ctx.injury, stage_number(ctx.stage)) in _WALK_TEST_STAGES:
        prompt += "\n" + str(texts.WALK_TEST_NOTE)
    return prompt


def _check_question(key: str) -> Question:
    prompt: Prompt = _walk_prompt if key == "walk_pain" else texts.CHECK_PROMPTS[key]
    not_done = Option(texts.NOT_DONE, None)
    when = _check_applies(key)
    # bot/wording: never the key itself; translated when shown, then capitalised (the
    # catalogue holds the lower-case label)
    label = capitalised(item_wording(f"checks.{key}").athlete)
    if key in BOOL_CHECKS:
        return Question(
            key=CHECK_PREFIX + key,
            kind="single",
            prompt=prompt,
            label=label,
            options=(Option(texts.YES, True), Option(texts.NO, False), not_done),
            when=when,
        )
    if key in PCT_CHECKS:
        return Question(
            key=CHECK_PREFIX + key,
            kind="number",
            prompt=prompt,
            label=label,
            options=(not_done,),
            minimum=0,
            maximum=130,
            unit=" %",
            when=when,
        )
    return Question(
        key=CHECK_PREFIX + key,
        kind="scale10",
        prompt=prompt,
        label=label,
        options=(*SCALE_0_10, not_done),
        minimum=0,
        maximum=10,
        integer=True,
        when=when,
    )


def _has_metrics(answers: Answers, ctx: QuestionContext) -> bool:
    return bool(collected_metrics(answers))


def _metrics_confirm_prompt(ctx: QuestionContext, answers: Answers) -> str:
    echo = str(texts.ASK_METRICS_CONFIRM).format(echo=describe_metrics(collected_metrics(answers)))
    lines = [*cross_checks(collected_metrics(answers)), *assumed_of(answers, "metrics")]
    return "\n".join([*lines, echo]) if lines else echo


_CONFIRM_OPTIONS = (Option(texts.YES_SAVE, True), Option(texts.NO_RETYPE, False))


def _metrics_confirm_options(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    """Offer to save the metrics only when they agree with each other. Each value typed step
    by step is checked against the others already; metrics that still contradict each other
    (typed before that check existed) can only be typed again, never saved."""
    if cross_checks(collected_metrics(answers)):
        return _CONFIRM_OPTIONS[1:]
    return _CONFIRM_OPTIONS


def _some_pain(answers: Answers, ctx: QuestionContext) -> bool:
    pain = answers.get("pain_max")
    return isinstance(pain, int) and pain >= 1


def red_flag_reported(answers: Answers, ctx: QuestionContext) -> bool:
    """Sharp pain, a pop or a grab (S6), or new swelling, bruising, a pop or numbness since the
    session started (S6b): a red flag, so the questionnaire stops at once."""
    flags = answers.get("red_flags")
    return answers.get("sharp_pain") is True or (isinstance(flags, list) and len(flags) > 0)


SESSION_RED_FLAG_OPTIONS: tuple[Option, ...] = choices(
    {flag: texts.SESSION_RED_FLAG_LABELS[flag] for flag in SESSION_RED_FLAGS}
)


_METRIC_KEYS = ("metrics", *(METRIC_PREFIX + k for k in STEP_METRICS))

# The follow-ups an answer opens (how much was done and why, after "Part of it" or "Stopped
# early"; where the pain was, after pain above 0) are substeps: they share the number of the
# question that opened them, so the "n/total" counter never grows mid-way ("(1/12)" then
# "(2/14)" read as going backwards).
SESSION = Questionnaire(
    name="session",
    stop_when=red_flag_reported,
    questions=(
        Question(
            key="completion",
            kind="single",
            prompt=texts.ASK_COMPLETION,
            options=choices(texts.COMPLETION_LABELS),
            label=L_("Completed"),
        ),
        Question(
            key="completed_pct",
            kind="number",
            prompt=texts.ASK_COMPLETED_PCT,
            options=tuple(Option(f"{p}%", p) for p in range(10, 100, 10)),
            minimum=0,
            maximum=100,
            integer=True,
            unit=" %",
            label=L_("Share of reps done"),
            when=answered("completion", "partial", "stopped"),
            substep=True,
        ),
        Question(
            key="stop_reason",
            kind="single",
            prompt=texts.ASK_STOP_REASON,
            options=choices(texts.STOP_REASON_LABELS),
            label=L_("Reason"),
            when=answered("completion", "partial", "stopped"),
            substep=True,
        ),
        scale("pain_max", texts.ASK_PAIN_MAX, L_("Worst pain")),
        Question(
            key="pain_location",
            kind="single",
            prompt=texts.ASK_PAIN_LOCATION,
            options=choices(texts.PAIN_LOCATION_LABELS),
            label=L_("Pain location"),
            when=_some_pain,
            substep=True,
        ),
        yes_no("sharp_pain", texts.ASK_SHARP_PAIN, L_("Sharp pain / pop")),
        Question(
            key="red_flags",
            kind="multi",
            prompt=texts.ASK_SESSION_RED_FLAGS,
            options=SESSION_RED_FLAG_OPTIONS,
            label=capitalised(L_("warning signs")),
            none_label=texts.NONE_OF_THESE,
        ),
        scale("tightness", texts.ASK_SESSION_TIGHTNESS, L_("Tightness")),
        yes_no("held_back", texts.ASK_HELD_BACK, L_("Held back")),
        scale("confidence", _confidence_prompt, L_("Confidence")),
        scale("rpe", texts.ASK_RPE, L_("How hard it felt")),
        Question(
            key="minutes",
            kind="number",
            prompt=texts.ASK_MINUTES,
            options=tuple(Option(str(m), m) for m in (20, 30, 40, 45, 60, 75, 90, 120)),
            minimum=1,
            maximum=300,
            integer=True,
            unit=" min",
            label=L_("Minutes"),
        ),
        Question(
            key="pain_1h",
            kind="scale10",
            prompt=texts.ASK_PAIN_1H,
            options=(*SCALE_0_10, Option(texts.SKIP, None)),
            minimum=0,
            maximum=10,
            integer=True,
            label=L_("Pain 1 h after"),
        ),
        *(_check_question(key) for key in CHECK_KEYS),
        Question(
            key="metrics",
            kind="metrics",
            prompt=texts.ASK_METRICS,
            options=(Option(texts.STEP_BY_STEP, STEPS_MODE), Option(texts.NO_NUMBERS, {})),
            label=L_("Metrics"),
        ),
        *(_metric_question(key) for key in STEP_METRICS),
        Question(
            key="metrics_confirm",
            kind="single",
            prompt=_metrics_confirm_prompt,
            options=_metrics_confirm_options,
            label=L_("Metrics confirmed"),
            when=_has_metrics,
            substep=True,
            resets={False: _METRIC_KEYS},
        ),
    ),
)


# The follow-up asked about an hour after a session report whose pain an hour after was
# skipped (bot.services.athlete.followup): one question, one tap, stored into that day's
# session report under the same key.
FOLLOWUP = Questionnaire(
    name="followup",
    questions=(scale("pain_1h", texts.ASK_FOLLOWUP_PAIN_1H, L_("Pain 1 h after")),),
)
