"""A check-in open across a deploy that changed its questions, through the real bot, on SQLite
and PostgreSQL: the open question and the buttons' step numbers are positions in the list of
questions, so an answer given in the old layout could be stored against another question.
Such an answer is not used: the check-in is resynced by key (nothing answered is lost), the
athlete is told and asked the right question, and answering goes on normally.

The old layout is the morning check-in before "Has it gone completely?" (signs_gone) was
inserted after the warning signs: pain at rest was question 1, pain during the test 2."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.services.athlete.keyboards import layout_tag
from bot.services.questionnaires import QUESTIONNAIRES
from bot.services.questionnaires.common import HooperOptions
from bot.store.db import make_engine, session_scope
from bot.store.models import QuestionnaireProgress
from tests.athlete.conftest import Phone, World
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
UPDATED = "Sprintback was updated while you were answering, so I haven't used that reply."
KEPT = "Your answers so far are kept. Please answer this one:"
PAIN_TEST = "during the test"
GONE_ASKED = "Has it gone completely?"


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _open(w: World) -> QuestionnaireProgress:
    progress: QuestionnaireProgress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.status == "open")
        ).one()
    )
    return progress


def _as_old_layout(w: World, answers: dict[str, Any], step: int) -> int:
    """Make the open check-in look as the old layout left it: question ``step`` open and
    shown, no layout recorded (begun before layouts were). Return its id."""
    with session_scope(w.engine) as session:
        progress = session.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.status == "open")
        ).one()
        progress.answers = answers
        progress.step = step
        progress.shown_step = step
        progress.layout = None
        session.add(progress)
        assert progress.id is not None
        return progress.id


async def _pain_at_rest_answered(alex: Phone) -> None:
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("0")  # pain at rest
    assert PAIN_TEST in alex.last, alex.last


def _resynced(w: World, answers: dict[str, Any], key: str) -> None:
    progress = _open(w)
    morning = QUESTIONNAIRES["morning"]
    assert progress.answers == answers
    assert progress.layout == morning.layout
    assert progress.step == morning.index_of(key)


async def test_a_typed_answer_in_the_old_layout_is_not_used(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await _pain_at_rest_answered(alex)
    before = {"red_flags": [], "pain_rest": 0}
    _as_old_layout(w, before, step=2)  # "Pain during the test?" shown at its old place

    said = "\n".join(m.text or "" for m in await alex.say("1"))
    assert UPDATED in said and KEPT in said and PAIN_TEST in said, said
    _resynced(w, before, "pain_test")

    await alex.say("1")  # answered again, now in the current layout: it counts
    progress = _open(w)
    assert progress.answers == {**before, "pain_test": 1}
    assert "ightness" in alex.last, alex.last


async def test_a_button_of_the_old_layout_is_not_used(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await _pain_at_rest_answered(alex)
    before = {"red_flags": [], "pain_rest": 0}
    progress_id = _as_old_layout(w, before, step=2)

    # The old keyboard's "1" for "Pain during the test?" (old question 2).
    await alex.user.press_data(f"q:{progress_id}:2:1", alex.user.last_bot_message)
    await alex.user.wait_reply()
    assert UPDATED in alex.last and KEPT in alex.last and PAIN_TEST in alex.last, alex.last
    _resynced(w, before, "pain_test")

    await alex.tap("1")
    assert _open(w).answers == {**before, "pain_test": 1}
    assert "ightness" in alex.last, alex.last


async def test_a_pain_button_is_never_taken_for_another_question(world: Factory) -> None:
    """The deploy's real case: a sign reported with /problem, then a check-in begun in the old
    layout, "None of these" tapped, pain at rest shown as question 1. The new question 1 is
    "Has it gone completely?": the old pain-at-rest "1" must not answer "No, still there"
    (nor a "0" "Yes, all gone")."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/problem")
    await alex.say("my hamstring is swollen")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap("▫️ New swelling at the injury")
    await alex.tap("Done")
    w.clock.advance(dt.timedelta(days=1))
    await alex.say("/checkin")
    before: dict[str, Any] = {"red_flags": []}
    progress_id = _as_old_layout(w, before, step=1)

    await alex.user.press_data(f"q:{progress_id}:1:1", alex.user.last_bot_message)
    await alex.user.wait_reply()
    assert UPDATED in alex.last and GONE_ASKED in alex.last, alex.last
    _resynced(w, before, "signs_gone")

    await alex.tap("Yes, all gone")
    progress = _open(w)
    assert progress.answers == {**before, "signs_gone": True}
    assert "Pain at rest" in alex.last or "at rest" in alex.last, alex.last


async def test_a_new_check_in_records_its_layout(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    assert _open(w).layout == QUESTIONNAIRES["morning"].layout
    await alex.tap("None of these ✅")
    assert _open(w).answers == {"red_flags": []}


async def test_a_scale_reordered_by_a_deploy_never_stores_an_old_button_as_another_value(
    world: Factory,
) -> None:
    """A deploy that keeps the questions but reorders a scale's buttons (here pain during the
    test, 10 first): an old button's option number would name another value. Its "0" (the
    first button, meaning 10 in the old order) is not stored as 0: the check-in is resynced
    and the question asked again."""
    w = await world()
    alex = w.phone(1001)
    await _pain_at_rest_answered(alex)
    before = {"red_flags": [], "pain_rest": 0}
    morning = QUESTIONNAIRES["morning"]
    pain_test = morning.question("pain_test")
    assert not callable(pain_test.options)
    old = dataclasses.replace(
        morning,
        questions=tuple(
            dataclasses.replace(q, options=tuple(reversed(pain_test.options)))
            if q.key == "pain_test"
            else q
            for q in morning.questions
        ),
    )
    assert old.layout != morning.layout, "a reordered scale must be another layout"
    step = morning.index_of("pain_test")
    with session_scope(w.engine) as session:
        progress = session.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.status == "open")
        ).one()
        progress.layout = old.layout
        session.add(progress)
        progress_id = progress.id

    # The old keyboard's first button ("10" in the old order), with the old layout's tag.
    old_tag = layout_tag(old.layout)
    await alex.user.press_data(f"q:{progress_id}:{step}:0:{old_tag}", alex.user.last_bot_message)
    await alex.user.wait_reply()
    assert UPDATED in alex.last and PAIN_TEST in alex.last, alex.last
    assert "pain_test" not in _open(w).answers
    _resynced(w, before, "pain_test")


def test_a_wellness_scale_reordered_is_another_layout_and_its_wording_is_not() -> None:
    """The wellness items' buttons are built when shown (their anchor words in the reader's
    language), but what they store is part of the layout: reversing the 1..7 values is
    another layout; new anchor words are not."""
    morning = QUESTIONNAIRES["morning"]
    fatigue = morning.question("fatigue")
    assert isinstance(fatigue.options, HooperOptions)

    def with_fatigue(options: HooperOptions) -> str:
        questions = tuple(
            dataclasses.replace(q, options=options) if q.key == "fatigue" else q
            for q in morning.questions
        )
        return dataclasses.replace(morning, questions=questions).layout

    reversed_values = tuple(reversed(fatigue.options.values))
    assert with_fatigue(dataclasses.replace(fatigue.options, values=reversed_values)) != (
        morning.layout
    )
    reworded = dataclasses.replace(fatigue.options, low="Fresh", high="Exhausted")
    assert with_fatigue(reworded) == morning.layout
