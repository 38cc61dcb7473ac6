"""Declarative building blocks of a questionnaire: questions, options, answer kinds.

A questionnaire is an ordered tuple of questions. Each question names the data-dictionary key
its answer is stored under, how it is answered (a button, a number typed, ...), and when it
applies. Nothing here talks to Telegram or the database.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.support.i18n import LazyText, Text, text

AnswerKind = Literal[
    "single",  # one tap on one of the options
    "multi",  # toggle several options, then "Done"; a "None of these" button answers []
    "scale10",  # 0..10 button grid (two rows)
    "hooper",  # 1..7 buttons with the anchor words on the ends
    "number",  # a typed number within bounds; options are shortcut buttons
    "date",  # a typed date (or a shortcut button such as "Today")
    "time",  # a typed local time HH:MM (or a shortcut button)
    "text",  # free text (or a suggestion button)
    "metrics",  # a typed line of sprint metrics, parsed by questionnaires.metrics_parser
    "timezone",  # a city button, a typed IANA name or city, or a shared location
]

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class QuestionContext:
    """What the questions may depend on besides earlier answers."""

    injury: str | None = None  # "hamstring" | "calf"
    stage: str | None = None  # current protocol stage id, e.g. "H2"
    today: dt.date | None = None  # the athlete's local date
    now: dt.datetime | None = None  # the moment of the answer (UTC)
    zone: str | None = None  # the athlete's stored time zone (none until onboarding ends)
    stage_checks: tuple[str, ...] = ()  # functional-check keys the current stage asks for
    has_clinician: bool = False
    baseline: Mapping[str, Any] | None = None  # the athlete's stored baseline metrics
    # The protocol's pain at rest that stops the morning check-in (a tier-3 red flag).
    stop_pain_rest_min: float | None = None
    # Morning only: warning signs reported with /problem since the last finished check-in
    # (data-dictionary keys): pre-ticked, named, and "None of these" is asked to confirm.
    reported_signs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Option:
    """One button: what the athlete sees and the value stored when it is pressed."""

    label: Text  # a catalogue text (``L_``) is shown in the reader's language
    value: Any

    @property
    def shown(self) -> str:
        """Return the label as the button shows it now, in the current language."""
        return text(self.label)


# A prompt is a text (a catalogue message marked with ``L_`` is translated when the question
# is shown, in the reader's language) or a function of the context and the answers so far.
Prompt = str | LazyText | Callable[[QuestionContext, Answers], str]
Options = tuple[Option, ...] | Callable[[QuestionContext, Answers], tuple[Option, ...]]
Condition = Callable[[Answers, QuestionContext], bool]


@dataclass(frozen=True)
class Question:
    """One item of a questionnaire.

    ``key`` is where the answer is stored. ``when`` says whether the item applies given the
    answers so far; ``resets`` maps an answer value to the keys that value clears again
    (e.g. "No, type the metrics again" clears the metrics).
    """

    key: str
    kind: AnswerKind
    prompt: Prompt
    options: Options = ()
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False
    unit: str = ""
    label: Text = ""  # short name used in corrections and summaries
    when: Condition | None = None
    resets: Mapping[Any, tuple[str, ...]] = field(default_factory=dict)
    none_label: Text = ""  # multi only: the one-tap "none" button
    metric: str = ""  # number only: a Metrics key whose own bounds and units apply
    # Counts in the "n/total" indicator even while ``when`` does not hold, so the total
    # does not grow when an earlier answer turns the item on (e.g. the city after a region).
    counted: Condition | None = None
    # A follow-up of an earlier question that only its answer opens (the metrics typed step by
    # step, "Is that right?", "Why did you stop?" after "Part of it"): it shares the number of
    # the question before it, so the total never changes mid-way. An item whose answer may open
    # later must be a substep or ``counted`` from the start: a total that grows reads as going
    # backwards.
    substep: bool = False
    # The key whose answer this question asks again (the injury date, once it turns out to be
    # after the athlete's today): a new answer to that key drops this one.
    corrects: str = ""

    @property
    def shown_label(self) -> str:
        """Return the short name of the item in the current language."""
        return text(self.label)

    def render_prompt(self, ctx: QuestionContext, answers: Answers) -> str:
        """Return the prompt text for this athlete and these answers."""
        return self.prompt(ctx, answers) if callable(self.prompt) else text(self.prompt)

    def render_options(self, ctx: QuestionContext, answers: Answers) -> tuple[Option, ...]:
        """Return the buttons for this athlete and these answers."""
        return self.options(ctx, answers) if callable(self.options) else self.options

    def applies(self, answers: Answers, ctx: QuestionContext) -> bool:
        """Whether this item is asked, given the answers so far."""
        return self.when is None or self.when(answers, ctx)

    def counts(self, answers: Answers, ctx: QuestionContext) -> bool:
        """Whether this item has a number in the "n/total" indicator: answered, asked, or
        counted from the start (see ``counted``)."""
        if self.substep:
            return False
        return (
            self.key in answers
            or self.applies(answers, ctx)
            or (self.counted is not None and self.counted(answers, ctx))
        )


def _layout_item(question: Question) -> str:
    """A question's part of its questionnaire's layout: its key, and the values of its fixed
    buttons in order (buttons built per athlete are named by the function that builds them,
    unless it says which values it gives: ``values``)."""
    options = question.options
    if callable(options):
        values = getattr(options, "values", None)  # fixed values, labels built when shown
        if values is not None:
            return f"{question.key} {list(values)!r}"
        return f"{question.key} {getattr(options, '__qualname__', '')}"
    if not options:
        return question.key
    return f"{question.key} {[option.value for option in options]!r}"


@dataclass(frozen=True)
class Questionnaire:
    """An ordered set of questions; ``stop_when`` ends it early (e.g. a red flag)."""

    name: str
    questions: tuple[Question, ...]
    stop_when: Condition | None = None

    @functools.cached_property
    def layout(self) -> str:
        """A short fingerprint of the questions' keys in order, and of each fixed set of
        buttons' values in order (12 hex digits).

        An open questionnaire records it when it begins: its step numbers and the buttons'
        option numbers (the callback data) mean something only in that layout. A deploy that
        adds, removes or reorders questions, or the options of a question's fixed buttons,
        changes it, and an answer to a questionnaire begun in another layout is not applied
        before the questionnaire is resynced by key (an old "1" on a scale whose options
        moved would otherwise be stored as another value).
        """
        items = "\n".join(_layout_item(question) for question in self.questions)
        return hashlib.sha256(f"{self.name}\n{items}".encode()).hexdigest()[:12]

    def index_of(self, key: str) -> int:
        """Return the position of the question stored under ``key``."""
        for i, question in enumerate(self.questions):
            if question.key == key:
                return i
        raise KeyError(key)

    def question(self, key: str) -> Question:
        """Return the question stored under ``key``."""
        return self.questions[self.index_of(key)]
