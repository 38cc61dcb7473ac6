"""Small helpers for scheduling tests: people, a fast-forwarding driver, outbox readers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.scheduling.tick import Scheduler, TickResult, run_tick
from bot.store.db import session_scope
from bot.store.models import Outbox, ScheduledPrompt
from bot.store.repo.links import link_athlete
from bot.store.repo.people import create_person
from bot.store.repo.programme import start_programme

T0 = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)


def add_person(
    engine: Engine,
    tg_id: int,
    *,
    role: str = "athlete",
    tz: str = "Europe/London",
    checkin: str | None = None,
    session_end: str | None = None,
    programme: bool = False,
    clinician_id: int | None = None,
    name: str = "",
) -> int:
    """Create a person with a chat (chat id = Telegram id) and return their id."""
    with session_scope(engine) as session:
        person = create_person(
            session,
            role=role,  # type: ignore[arg-type]
            telegram_user_id=tg_id,
            now=T0,
            chat_id=tg_id,
            display_name=name or f"P{tg_id}",
            timezone=tz,
            checkin_time=checkin,
            session_end_time=session_end,
        )
        assert person.id is not None
        if programme:
            start_programme(
                session,
                athlete_id=person.id,
                protocol_name="hamstring",
                protocol_version=1,
                first_stage="H2",
                start_date=T0.date(),
                now=T0,
            )
        if clinician_id is not None:
            link_athlete(session, athlete_id=person.id, clinician_id=clinician_id, now=T0)
        return person.id


def next_due(engine: Engine) -> dt.datetime | None:
    """Return the earliest pending prompt's due time, or None."""
    with session_scope(engine, read_only=True) as session:
        due: dt.datetime | None = session.exec(
            select(func.min(ScheduledPrompt.due_at)).where(ScheduledPrompt.status == "pending")
        ).one()
    if due is not None and due.tzinfo is None:
        due = due.replace(tzinfo=dt.UTC)
    return due


async def run_until(scheduler: Scheduler, clock: FakeClock, until: dt.datetime) -> TickResult:
    """Tick at every due instant up to ``until`` (as a punctual scheduler would); sum results."""
    total = TickResult()
    await _add(total, scheduler)
    while True:
        due = next_due(scheduler.engine)
        if due is None or due > until:
            break
        clock.set(max(due, clock.now()))
        await _add(total, scheduler)
    clock.set(until)
    await _add(total, scheduler)
    return total


async def _add(total: TickResult, scheduler: Scheduler) -> None:
    total.add(await run_tick(scheduler))


def outbox(engine: Engine, chat_id: int | None = None) -> list[Outbox]:
    """Return the queued messages (optionally to one chat), oldest first."""
    with session_scope(engine, read_only=True) as session:
        query = select(Outbox).order_by(col(Outbox.created_at), col(Outbox.id))
        if chat_id is not None:
            query = query.where(Outbox.chat_id == chat_id)
        return list(session.exec(query))


def prompts(engine: Engine, athlete_id: int) -> list[ScheduledPrompt]:
    """Return the athlete's prompt rows by due time."""
    with session_scope(engine, read_only=True) as session:
        return list(
            session.exec(
                select(ScheduledPrompt)
                .where(ScheduledPrompt.athlete_id == athlete_id)
                .order_by(col(ScheduledPrompt.due_at))
            )
        )
