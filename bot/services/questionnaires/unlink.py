"""/unlink: an athlete stops sharing their data with one of their clinicians.

The clinicians linked when /unlink was sent are kept in the answers (``LINKS_KEY``), so a
button always means the clinician it showed, even if the links change meanwhile.
"""

from __future__ import annotations

from bot.services import texts
from bot.services.questionnaires.model import (
    Answers,
    Option,
    Question,
    QuestionContext,
    Questionnaire,
)
from bot.support.i18n import L_

LINKS_KEY = "_links"  # [[clinician id, name], ...] as linked when /unlink was sent


def links(answers: Answers) -> list[tuple[int, str]]:
    """Return the (clinician id, name) pairs /unlink offered."""
    stored = answers.get(LINKS_KEY)
    if not isinstance(stored, list):
        return []
    return [(int(pair[0]), str(pair[1])) for pair in stored if isinstance(pair, list | tuple)]


def chosen(answers: Answers) -> tuple[int, str] | None:
    """Return the clinician chosen: the one picked, or the only one linked."""
    offered = links(answers)
    if len(offered) == 1:
        return offered[0]
    picked = answers.get("clinician")
    return next((pair for pair in offered if pair[0] == picked), None)


def _clinicians(ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
    return tuple(Option(name, clinician_id) for clinician_id, name in links(answers))


def _several(answers: Answers, ctx: QuestionContext) -> bool:
    return len(links(answers)) > 1


def _confirm_prompt(ctx: QuestionContext, answers: Answers) -> str:
    pair = chosen(answers)
    return texts.ASK_UNLINK_CONFIRM.format(clinician=pair[1] if pair else "?")


def _declined(answers: Answers, ctx: QuestionContext) -> bool:
    return answers.get("confirm") is False


UNLINK = Questionnaire(
    name="unlink",
    stop_when=_declined,
    questions=(
        Question(
            key="clinician",
            kind="single",
            prompt=texts.ASK_UNLINK_WHICH,
            options=_clinicians,
            label=L_("Clinician"),
            when=_several,
        ),
        Question(
            key="confirm",
            kind="single",
            prompt=_confirm_prompt,
            options=(Option(texts.UNLINK_YES, True), Option(texts.UNLINK_NO, False)),
            label=L_("Stop sharing"),
        ),
    ),
)
