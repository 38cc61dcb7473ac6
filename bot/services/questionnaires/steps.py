"""The step machine: given the answers so far, which question comes next (or none).

Pure functions over plain dicts, so the same answers always lead to the same step, whether
they come from memory or from the database after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.services.questionnaires.model import Answers, Question, QuestionContext, Questionnaire

DRAFT_PREFIX = "_draft:"
RED_FLAGS_KEY = "red_flags"


@dataclass(frozen=True)
class Step:
    """The open question: its position in the questionnaire and the question itself."""

    index: int
    question: Question


def next_step(q: Questionnaire, answers: Answers, ctx: QuestionContext) -> Step | None:
    """Return the first applicable unanswered question, or None when the questionnaire is done.

    A question counts as answered when its key is present (a skipped optional item is stored
    as None). ``stop_when`` ends the questionnaire early, e.g. on a red flag.
    """
    if q.stop_when is not None and q.stop_when(answers, ctx):
        return None
    for index, question in enumerate(q.questions):
        if question.key in answers:
            continue
        if question.applies(answers, ctx):
            return Step(index, question)
    return None


def is_done(q: Questionnaire, answers: Answers, ctx: QuestionContext) -> bool:
    """Whether nothing is left to ask."""
    return next_step(q, answers, ctx) is None


def apply_answer(q: Questionnaire, answers: Answers, key: str, value: Any) -> dict[str, Any]:
    """Return the answers with ``key`` set to ``value`` (and any draft of it dropped).

    If the question says this value resets other items, those answers are removed again, so
    the step machine asks them anew; the value itself is not kept in that case.
    """
    corrections = {other.key for other in q.questions if other.corrects == key}
    updated = {k: v for k, v in answers.items() if k != DRAFT_PREFIX + key and k not in corrections}
    question = q.question(key)
    reset = _reset_keys(question, value)
    if reset is not None:
        for k in (*reset, key):
            updated.pop(k, None)
        return updated
    updated[key] = value
    return updated


def _reset_keys(question: Question, value: Any) -> tuple[str, ...] | None:
    for trigger, keys in question.resets.items():
        if type(trigger) is type(value) and trigger == value:
            return keys
    return None


def draft(answers: Answers, key: str) -> list[Any]:
    """Return the values toggled so far on a multi-select question (not yet submitted)."""
    value = answers.get(DRAFT_PREFIX + key, [])
    return list(value) if isinstance(value, list) else []


def toggle_draft(answers: Answers, key: str, value: Any) -> dict[str, Any]:
    """Return the answers with ``value`` toggled in the multi-select draft of ``key``."""
    current = draft(answers, key)
    if value in current:
        current.remove(value)
    else:
        current.append(value)
    updated = dict(answers)
    updated[DRAFT_PREFIX + key] = current
    return updated


def with_ticked_signs(answers: Answers) -> Answers:
    """Return the answers with the warning signs ticked but not confirmed with Done counted
    as reported (added to any confirmed ones, the draft dropped): a questionnaire closed
    another way (/cancel, another questionnaire, the abandoned-answers sweep) must not lose
    them. Returns ``answers`` itself when nothing is ticked."""
    ticked = draft(answers, RED_FLAGS_KEY)
    if not ticked:
        return answers
    confirmed = answers.get(RED_FLAGS_KEY)
    known = list(confirmed) if isinstance(confirmed, list) else []
    promoted = {k: v for k, v in answers.items() if k != DRAFT_PREFIX + RED_FLAGS_KEY}
    promoted[RED_FLAGS_KEY] = list(dict.fromkeys([*known, *ticked]))
    return promoted


def final_answers(answers: Answers) -> dict[str, Any]:
    """Return the answers without internal drafts."""
    return {k: v for k, v in answers.items() if not k.startswith(DRAFT_PREFIX)}


def position(q: Questionnaire, answers: Answers, ctx: QuestionContext) -> tuple[int, int]:
    """Return (number of the open question, total expected) for a "3 of 11" indicator.

    Items that are answered, asked, or ``counted`` from the start have a number; the open
    question's number is one more than the numbered items before it. An item that may turn
    on later (the city after the region) is ``counted`` from the start, so the total does
    not grow mid-way; an item skipped after all keeps its number.
    """
    step = next_step(q, answers, ctx)
    current = step.index if step is not None else len(q.questions)
    numbered = [i for i, question in enumerate(q.questions) if question.counts(answers, ctx)]
    before = sum(1 for i in numbered if i < current)
    if step is not None and step.question.substep:
        return max(before, 1), len(numbered)  # the number of the question it follows up
    return before + 1, len(numbered)


def previous_answered(q: Questionnaire, answers: Answers, before: int) -> str | None:
    """Return the key of the last question before position ``before`` that has an answer
    (what "◀ Back" reopens), or None."""
    for question in reversed(q.questions[:before]):
        if question.key in answers:
            return question.key
    return None


def go_back(answers: Answers, key: str) -> dict[str, Any]:
    """Return the answers without the answer to ``key`` (and its draft): it is asked again."""
    dropped = (key, DRAFT_PREFIX + key, "_assumed:" + key)
    return {k: v for k, v in answers.items() if k not in dropped}
