"""A warning sign recorded by a scheduled prompt reaches the clinician at once, and once.

Alex ticks "Felt a pop" on the /problem screen and walks away without pressing Done. The
next morning's check-in prompt opens the check-in, which closes the /problem screen and
records the pop: running stops, Alex reads the stop first. Dr Kim must be alerted with that
same prompt (queued in its transaction, the outbox sender kicked), not a minute later by the
escalation job's backup check; and that check must not alert a second time. Through the real
Application and the Bot API sandbox, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest
from sqlmodel import select

from bot.delivery.sender import OutboxSender
from bot.handlers.context import SENDER_KEY
from bot.handlers.jobs import ESCALATION_JOB, build_scheduler
from bot.sandbox import SimUser
from bot.scheduling.tick import run_tick
from bot.store.models import ALERT_KIND, Outbox
from tests.athlete.both.test_close_records_a_sign import _pop_ticked_not_confirmed
from tests.athlete.both.test_status_and_plan_today import _linked
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]
FIRST_CHECKIN_QUESTION = "Since yesterday, have you had any of these?"
FIRST_SESSION_QUESTION = "How did today's session go? Did you complete it?"


def _alerts_to(clinician: SimUser) -> list[str]:
    """The alert cards about the pop that reached the clinician's chat, in order (not the
    athlete's note passed on, which quotes the alert)."""
    return [
        text
        for text in (m.text or "" for m in clinician.bot_messages)
        if "pop" in text and "wrote to you" not in text
    ]


async def _kicked_drains(w: World) -> None:
    """Wait for the outbox drains the kicks started (``kick_sender``)."""
    kicks = w.running.application.bot_data.get("sprintback.kicks", set())
    while kicks:
        for task in list(kicks):
            await task


async def _morning_prompt_over_a_pop(w: World, alex: Phone) -> str:
    """The pop is ticked at 06:50 on Tuesday; the morning prompt (07:30 in Berlin) opens the
    check-in. Returns the first question the prompt asks."""
    w.clock.set(dt.datetime(2026, 3, 3, 5, 50, tzinfo=dt.UTC))  # Tuesday 06:50 in Berlin
    await _pop_ticked_not_confirmed(w, alex)
    w.clock.set(dt.datetime(2026, 3, 3, 6, 31, tzinfo=dt.UTC))  # the morning prompt is due
    return FIRST_CHECKIN_QUESTION


async def _session_prompt_over_a_pop(w: World, alex: Phone) -> str:
    """Alex checks in on Tuesday morning, ticks the pop at 17:50; the post-session prompt
    (18:00 in Berlin) opens the session report. Returns the first question it asks."""
    w.clock.set(dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC))  # Tuesday 07:00 in Berlin
    await alex.morning()
    w.clock.set(dt.datetime(2026, 3, 3, 16, 50, tzinfo=dt.UTC))  # 17:50 in Berlin
    await _pop_ticked_not_confirmed(w, alex)
    w.clock.set(dt.datetime(2026, 3, 3, 17, 1, tzinfo=dt.UTC))  # the session prompt is due
    return FIRST_SESSION_QUESTION


@pytest.mark.parametrize(
    "prompt_over_a_pop",
    [_morning_prompt_over_a_pop, _session_prompt_over_a_pop],
    ids=["morning", "post_session"],
)
async def test_a_pop_recorded_by_a_prompt_alerts_the_clinician_with_the_prompt(
    world: WorldFactory, prompt_over_a_pop: Callable[[World, Phone], Awaitable[str]]
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)  # Monday 08:00 in Berlin, check-in at 07:30
    first_question = await prompt_over_a_pop(w, alex)
    assert _alerts_to(doctor) == []
    application = w.running.application
    # The process's outbox sender, as ``install_scheduling`` puts it there: the tick's kick
    # drains it at once.
    application.bot_data[SENDER_KEY] = OutboxSender(
        bot=application.bot,
        engine=w.engine,
        clock=w.clock,
        admin_telegram_ids=w.services.settings.admin_telegram_ids,
    )
    scheduler = build_scheduler(application, w.services)

    await run_tick(scheduler)
    await _kicked_drains(w)

    # Alex reads the stop before the prompt's first question.
    said = [m.text or "" for m in alex.user.bot_messages]
    stop = max(i for i, t in enumerate(said) if "⛔" in t and "Stop training" in t)
    assert any(first_question in t for t in said[stop + 1 :]), said
    # Dr Kim has the alert already: no backup check has run.
    [alert] = _alerts_to(doctor)
    assert "Alex" in alert, alert
    queued = w.read(
        lambda s: list(
            s.exec(select(Outbox).where(Outbox.kind == ALERT_KIND, Outbox.athlete_id == athlete_id))
        )
    )
    assert [row.created_at for row in queued] == [w.clock.now()], queued

    # A minute later the escalation job's backup check finds the alert covered: no second one.
    w.clock.advance(dt.timedelta(minutes=1))
    assert application.job_queue is not None
    [job] = application.job_queue.get_jobs_by_name(ESCALATION_JOB)
    await job.run(application)
    await _kicked_drains(w)
    await w.deliver()
    assert len(_alerts_to(doctor)) == 1, _alerts_to(doctor)


async def test_missed_check_ins_reach_the_clinician_once_as_a_card(world: WorldFactory) -> None:
    """Alex answers neither Tuesday's nor Wednesday's check-in. Thursday's morning prompt
    judges the streak: Dr Kim got it as a plain message at once and, a minute later, again as
    the escalation job's card (it counted only cards as covering an alert). Now it comes
    once, as the card every alert gets, with its buttons."""
    w = await world()
    _, doctor, _ = await _linked(w)
    application = w.running.application
    application.bot_data[SENDER_KEY] = OutboxSender(
        bot=application.bot,
        engine=w.engine,
        clock=w.clock,
        admin_telegram_ids=w.services.settings.admin_telegram_ids,
    )
    scheduler = build_scheduler(application, w.services)
    for day in (3, 4, 5):  # the morning prompts of Tuesday, Wednesday and Thursday
        w.clock.set(dt.datetime(2026, 3, day, 6, 31, tzinfo=dt.UTC))
        await run_tick(scheduler)
        await _kicked_drains(w)
    w.clock.advance(dt.timedelta(minutes=1))
    assert application.job_queue is not None
    [job] = application.job_queue.get_jobs_by_name(ESCALATION_JOB)
    await job.run(application)
    await _kicked_drains(w)
    await w.deliver()
    missed = [m for m in doctor.bot_messages if "missed 2 morning check-ins" in (m.text or "")]
    assert len(missed) == 1, [m.text for m in doctor.bot_messages]
    assert "within 24 h" in (missed[0].text or "")
    assert missed[0].button_labels, missed[0]  # a card Dr Kim can act on
