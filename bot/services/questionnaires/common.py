"""Small builders shared by the questionnaire definitions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.services import texts
from bot.services.questionnaires.model import Answers, Option, Prompt, Question, QuestionContext
from bot.support.i18n import Text


def choices(labels: Mapping[Any, Text]) -> tuple[Option, ...]:
    """Return one option per (value, label) pair, in order."""
    return tuple(Option(label, value) for value, label in labels.items())


YES_NO = (Option(texts.YES, True), Option(texts.NO, False))
SCALE_0_10 = tuple(Option(str(n), n) for n in range(11))


HOOPER_VALUES = tuple(range(1, 8))


@dataclass(frozen=True)
class HooperOptions:
    """The 1..7 buttons, with the anchor words on the two ends, in the language of the moment
    they are shown. ``values`` is what they store, in order, whatever the language (part of
    the questionnaire's layout)."""

    low: Text
    high: Text
    values: tuple[int, ...] = HOOPER_VALUES

    def __call__(self, ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
        """Return the buttons as shown now."""
        return tuple(
            Option(f"{n} · {self.low}" if n == 1 else f"{n} · {self.high}" if n == 7 else str(n), n)
            for n in self.values
        )


def hooper_options(low: Text, high: Text) -> HooperOptions:
    """Return the 1..7 buttons of a wellness item anchored by ``low`` and ``high``."""
    return HooperOptions(low, high)


def scale(key: str, prompt: Prompt, label: Text, **kwargs: Any) -> Question:
    """A 0–10 item answered with one tap on the two-row grid (typing a number also works)."""
    return Question(
        key=key,
        kind="scale10",
        prompt=prompt,
        options=SCALE_0_10,
        minimum=0,
        maximum=10,
        integer=True,
        label=label,
        **kwargs,
    )


def yes_no(key: str, prompt: Prompt, label: Text, **kwargs: Any) -> Question:
    """A yes/no item (stored as a bool)."""
    return Question(key=key, kind="single", prompt=prompt, options=YES_NO, label=label, **kwargs)


def answered(key: str, *values: Any) -> Any:
    """A condition: the answer to ``key`` is one of ``values``."""

    def condition(answers: Answers, ctx: QuestionContext) -> bool:
        return key in answers and answers[key] in values

    return condition
