"""/problem, and any message typed outside a questionnaire (issue 15): what is wrong, then the
warning-sign screen or a note to the clinician. Never brushed off."""

from __future__ import annotations

from bot.services import texts
from bot.services.questionnaires.common import answered
from bot.services.questionnaires.model import (
    Answers,
    Option,
    Question,
    QuestionContext,
    Questionnaire,
)
from bot.services.questionnaires.morning import RED_FLAG_OPTIONS, has_red_flag
from bot.services.timezones import emergency_number
from bot.support.i18n import L_, capitalised
from bot.support.limits import NAME_LIMIT, TEXT_LIMIT

SCREEN = "screen"
TELL = "tell"
NOTHING = "nothing"
# What is wrong, in the athlete's words, never cut: short enough that the note forwarded to the
# clinician fits one Telegram message with its heading and the athlete's name (a name takes
# up to NAME_LIMIT characters, its number and the heading at most a few dozen more in any
# language). A longer note is refused with the limit, and the athlete types it again shorter.
# (A note typed outside any question can be longer: it is forwarded in labelled parts.)
NOTE_LIMIT = 3500
assert NOTE_LIMIT + NAME_LIMIT + 200 <= TEXT_LIMIT


def _actions(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    # A button carries its option's index: the option that depends on a linked clinician
    # comes after the ones always shown, so an index never changes meaning when the athlete
    # links (or unlinks) with the offer still on screen; a stale one is out of range.
    options = [
        Option(str(texts.PROBLEM_SCREEN), SCREEN),
        Option(str(texts.PROBLEM_NOTHING), NOTHING),
    ]
    if ctx.has_clinician:
        options.append(Option(str(texts.PROBLEM_TELL), TELL))
    return tuple(options)


def _action_prompt(ctx: QuestionContext, answers: Answers) -> str:
    # The warning-sign check first; then what not to wait with, and whom to call.
    if ctx.has_clinician:
        offer, who = texts.PROBLEM_OFFER, texts.YOUR_CLINICIAN
    else:
        offer, who = texts.PROBLEM_OFFER_NO_CLINICIAN, texts.YOUR_OWN_CLINICIAN
    worse = str(texts.PROBLEM_WORSE_FAST).format(who=who, number=emergency_number(ctx.zone))
    return f"{offer}\n\n{worse}"


PROBLEM = Questionnaire(
    name="problem",
    stop_when=has_red_flag,
    questions=(
        Question(
            key="note",
            kind="text",
            prompt=texts.ASK_PROBLEM,
            maximum=NOTE_LIMIT,
            label=L_("What is wrong"),
        ),
        Question(
            key="action",
            kind="single",
            prompt=_action_prompt,
            options=_actions,
            label=L_("What to do"),
        ),
        Question(
            key="red_flags",
            kind="multi",
            prompt=texts.ASK_PROBLEM_RED_FLAGS,
            options=RED_FLAG_OPTIONS,
            label=capitalised(L_("warning signs")),
            none_label=texts.NONE_OF_THESE,
            when=answered("action", SCREEN),
        ),
    ),
)


def _pause_prompt(ctx: QuestionContext, answers: Answers) -> str:
    # Nobody is told when no clinician is linked: the prompt does not promise it.
    if ctx.has_clinician:
        return str(texts.ASK_PAUSE_REASON)
    return str(texts.ASK_PAUSE_REASON_NO_CLINICIAN)


PAUSE_REASONS = {
    "ill": texts.PAUSE_ILL,
    "travel": texts.PAUSE_TRAVEL,
    "worse": texts.PAUSE_WORSE,
    "other": texts.PAUSE_OTHER,
}

PAUSE = Questionnaire(
    name="pause",
    questions=(
        Question(
            key="reason",
            kind="single",
            prompt=_pause_prompt,
            options=lambda ctx, answers: tuple(
                Option(str(label), value) for value, label in PAUSE_REASONS.items()
            ),
            label=L_("Reason"),
        ),
    ),
)
