"""Attack on the athlete's chat, third round, through the real bot.

A warning sign reported with /problem is pre-ticked on the next check-in: left untouched and
never confirmed (the check-in cancelled, or abandoned and swept), it is no new report, since
the athlete said nothing that day (the first report already stopped running and reached the
clinician). Confirmed, it is today's.

A question's buttons carry the tag of the layout their step number was counted in: a button
left on screen from before a resync is refused, never read against the question now open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.services.athlete.abandoned import AbandonedSweeper, sweep_abandoned
from bot.services.athlete.keyboards import CALLBACK_PATTERN, Press, pack, unpack
from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.escalation import alert_notifier
from bot.services.questionnaires import QUESTIONNAIRES
from bot.store.db import make_engine, session_scope
from bot.store.models import AlertRecord, MorningCheckinRecord, QuestionnaireProgress
from tests.athlete.both.test_status_and_plan_today import _at_h2
from tests.athlete.conftest import Phone, World
from tests.store.conftest import db_url, pg_databases, pg_migrated, sqlite_template

__all__ = ["db_url", "pg_databases", "pg_migrated", "sqlite_template"]

Factory = Callable[[], Awaitable[World]]
SWELLING = "New swelling at the injury"
NUMBNESS = "Numbness, tingling or weakness in leg/foot"
NO_RUNNING = "⛔ No running until your clinician has reviewed you."
NOTIFY = alert_notifier(CallbackSigner(b"attack-chat3-test-secret-0123456789"), ())
UPDATED = "Sprintback was updated while you were answering, so I haven't used that reply."
GONE_ASKED = "Has it gone completely?"
EXPIRED = "This question has expired"


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    """Override: an engine on an empty, migrated database, SQLite then PostgreSQL."""
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


def _flags_by_day(w: World) -> dict[dt.date, list[str]]:
    rows = w.read(lambda s: s.exec(select(MorningCheckinRecord)).all())
    return {r.local_date: list(r.answers.get("red_flags") or []) for r in rows}


def _alerts(w: World) -> int:
    return len(w.read(lambda s: s.exec(select(AlertRecord)).all()))


async def _swelling_reported_yesterday(w: World) -> Phone:
    """An athlete at H2 who reported swelling with /problem after yesterday's check-in; it is
    the next morning and the check-in is open, the sign pre-ticked."""
    alex, _doctor, _id = await _at_h2(w)
    w.clock.advance(dt.timedelta(days=1))
    await alex.morning()
    await alex.say("/problem")
    await alex.say("my hamstring is swollen")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap("▫️ " + SWELLING)
    assert "⛔" in _text(await alex.tap("Done"))
    w.clock.advance(dt.timedelta(days=1))
    asked = (await alex.say("/checkin"))[-1]
    assert "☑️ " + SWELLING in asked.button_labels, asked.buttons  # pre-ticked
    return alex


# 1. An untouched pre-tick is no report --------------------------------------------------------


async def test_cancel_with_the_pre_tick_untouched_reports_nothing_new(world: Factory) -> None:
    w = await world()
    alex = await _swelling_reported_yesterday(w)
    today = w.clock.now().date()
    flags, alerts = _flags_by_day(w), _alerts(w)
    said = _text(await alex.say("/cancel"))
    assert "already need a look" not in said and "⛔" not in said, said
    assert today not in _flags_by_day(w) and _flags_by_day(w) == flags  # nothing said today
    assert _alerts(w) == alerts  # no new alert for a report the athlete never gave
    # The earlier report and its stop stand.
    status = _text(await alex.say("/status"))
    assert status.startswith(NO_RUNNING), status
    # Resumed later that day, the sign is still shown ticked and still the athlete's to confirm.
    asked = (await alex.say("/checkin"))[-1]
    assert "☑️ " + SWELLING in asked.button_labels, asked.buttons
    said = _text(await alex.tap("Done"))
    assert "⛔" in said, said
    assert _flags_by_day(w)[today] == ["swelling"]


async def test_the_sweep_leaves_an_untouched_pre_tick_alone(world: Factory) -> None:
    w = await world()
    alex = await _swelling_reported_yesterday(w)
    await w.deliver()  # what was queued before (the clinician's stage move)
    flags, alerts, told = _flags_by_day(w), _alerts(w), len(alex.user.bot_messages)
    w.clock.advance(dt.timedelta(hours=3))
    result = sweep_abandoned(AbandonedSweeper(w.engine), w.clock.now(), NOTIFY)
    assert result.evaluated == 0 and result.harmless == 1, result
    assert _flags_by_day(w) == flags and _alerts(w) == alerts
    await w.deliver()
    assert len(alex.user.bot_messages) == told, [m.text for m in alex.user.bot_messages[told:]]


async def test_another_questionnaire_closes_an_untouched_pre_tick_quietly(
    world: Factory,
) -> None:
    w = await world()
    alex = await _swelling_reported_yesterday(w)
    flags, alerts = _flags_by_day(w), _alerts(w)
    said = _text(await alex.say("/pause"))
    assert "unfinished" not in said, said
    assert _flags_by_day(w) == flags and _alerts(w) == alerts


async def test_a_sign_ticked_beside_the_pre_tick_is_the_only_report(world: Factory) -> None:
    w = await world()
    alex = await _swelling_reported_yesterday(w)
    today = w.clock.now().date()
    alerts = _alerts(w)
    await alex.tap("▫️ " + NUMBNESS)  # the athlete's own tick: a report, even unconfirmed
    said = _text(await alex.say("/cancel"))
    assert "already need a look" in said, said
    assert _flags_by_day(w)[today] == ["numbness"]
    assert _alerts(w) > alerts


async def test_a_pre_tick_unticked_and_ticked_again_is_the_athletes(world: Factory) -> None:
    w = await world()
    alex = await _swelling_reported_yesterday(w)
    today = w.clock.now().date()
    await alex.tap("☑️ " + SWELLING)
    await alex.tap("▫️ " + SWELLING)
    w.clock.advance(dt.timedelta(hours=3))
    assert sweep_abandoned(AbandonedSweeper(w.engine), w.clock.now(), NOTIFY).evaluated == 1
    assert _flags_by_day(w)[today] == ["swelling"]


async def test_a_confirmed_pre_tick_is_todays_report(world: Factory) -> None:
    w = await world()
    alex = await _swelling_reported_yesterday(w)
    today = w.clock.now().date()
    alerts = _alerts(w)
    said = _text(await alex.tap("Done"))
    assert "⛔" in said, said
    assert _flags_by_day(w)[today] == ["swelling"]
    assert _alerts(w) > alerts


async def test_still_there_is_todays_report(world: Factory) -> None:
    w = await world()
    alex = await _swelling_reported_yesterday(w)
    today = w.clock.now().date()
    await alex.tap("☑️ " + SWELLING)
    await alex.tap("None of these ✅")
    said = _text(await alex.tap("No, still there"))
    assert "⛔" in said, said
    assert _flags_by_day(w)[today] == ["swelling"]


# 2. Buttons carry their layout -----------------------------------------------------------------


def _old_morning_tag() -> str:
    """The tag of the morning check-in's layout before "Has it gone completely?" was
    inserted after the warning signs (pain at rest was question 1)."""
    keys = [q.key for q in QUESTIONNAIRES["morning"].questions if q.key != "signs_gone"]
    return hashlib.sha256("\n".join(["morning", *keys]).encode()).hexdigest()[:4]


def _open(w: World) -> QuestionnaireProgress:
    progress: QuestionnaireProgress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.status == "open")
        ).one()
    )
    return progress


def _as_old_layout(w: World, answers: dict[str, Any], step: int) -> int:
    """Make the open check-in look as the old layout left it (question ``step`` open and
    shown, another layout recorded); return its id."""
    with session_scope(w.engine) as session:
        progress = session.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.status == "open")
        ).one()
        progress.answers = answers
        progress.step = step
        progress.shown_step = step
        progress.layout = "0ld1a40u7000"
        session.add(progress)
        assert progress.id is not None
        return progress.id


async def test_question_buttons_carry_the_layout_tag(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    asked = (await alex.say("/checkin"))[-1]
    tag = QUESTIONNAIRES["morning"].layout[:4]
    assert asked.callback_data and all(d.endswith(":" + tag) for d in asked.callback_data)
    assert all(len(d.encode()) <= 64 for d in asked.callback_data)


async def test_an_old_button_after_a_typed_resync_is_refused(world: Factory) -> None:
    """A sign reported with /problem; the check-in begun in the old layout, "None of these"
    tapped, pain at rest shown as question 1 with its buttons. The athlete types "1": the
    check-in is resynced and asks "Has it gone completely?", now question 1. The old pain
    "1" still on screen must not answer it "No, still there"."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/problem")
    await alex.say("my hamstring is swollen")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap("▫️ " + SWELLING)
    await alex.tap("Done")
    w.clock.advance(dt.timedelta(days=1))
    await alex.say("/checkin")
    before: dict[str, Any] = {"red_flags": []}
    progress_id = _as_old_layout(w, before, step=1)
    old_question = alex.user.last_bot_message  # pain at rest, in the old layout

    said = _text(await alex.say("1"))
    assert UPDATED in said and GONE_ASKED in said, said
    assert _open(w).step == QUESTIONNAIRES["morning"].index_of("signs_gone")

    alerts = _alerts(w)
    await alex.user.press_data(f"q:{progress_id}:1:1:{_old_morning_tag()}", old_question)
    replies = await alex.user.wait_reply()
    notice = alex.user.last_callback_answer
    assert notice is not None and EXPIRED in (notice.text or ""), notice
    assert [m.message_id for m in replies] == [old_question.message_id]  # asked there again
    assert UPDATED in (replies[0].text or "") and GONE_ASKED in (replies[0].text or "")
    progress = _open(w)
    assert progress.answers == before and "signs_gone" not in progress.answers
    assert _alerts(w) == alerts

    await alex.tap("Yes, all gone", replies[0])
    assert _open(w).answers == {**before, "signs_gone": True}


async def test_a_button_from_before_tags_still_works(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    progress = _open(w)
    step = QUESTIONNAIRES["morning"].index_of("pain_rest")
    await alex.user.press_data(f"q:{progress.id}:{step}:2", alex.user.last_bot_message)
    await alex.user.wait_reply()
    assert _open(w).answers == {"red_flags": [], "pain_rest": 2}


def test_tagged_button_data_round_trips_within_telegrams_limit() -> None:
    longest = pack(2**63 - 1, 999, "t999", "abcd")
    assert len(longest.encode()) <= 64 and re.fullmatch(CALLBACK_PATTERN, longest)
    assert unpack(longest) == Press(2**63 - 1, 999, "toggle", 999, layout="abcd")
    assert unpack("q:12:3:7") == Press(12, 3, "answer", 7)  # from before tags
    for crafted in ("q:12:3:7:ABCD", "q:12:3:7:abc", "q:12:3:7:abcde", "q:12:3:7:"):
        assert unpack(crafted) is None and not re.fullmatch(CALLBACK_PATTERN, crafted)
