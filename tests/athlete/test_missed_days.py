"""Missed check-ins reach the clinician once, while they are being missed.

The scheduler alerts the linked clinician when an athlete misses two mornings in a row. The
engine sees missed days only when it next runs (usually when the athlete is back), and its own
"no check-in for 3 days" alert would then repeat that news late; it is kept only when the
scheduler did not report the absence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.scheduling.registry import registry_of
from bot.scheduling.tick import MISSED_DAYS_RULE, Scheduler
from bot.store.db import session_scope
from bot.store.models import AlertRecord
from tests.athlete.conftest import CLINICIAN_ID, Phone, World
from tests.scheduling.helpers import run_until

JO = 4201
LATE_NEWS = "No check-in for 3 days"


async def _away_for_four_days(
    world: Callable[[], Awaitable[World]], *, scheduler_running: bool
) -> tuple[World, Phone, SimUser]:
    """Onboard Jo (linked to a clinician), let four mornings pass unanswered, then have Jo
    check in again and deliver everything queued."""
    w = await world()
    doctor = w.sandbox.user(CLINICIAN_ID, "Kim")
    jo = w.phone(JO, "Jo")
    await jo.onboard(code=w.clinician_invite())
    back = w.clock.now() + dt.timedelta(days=5)
    if scheduler_running:
        senders = registry_of(w.running.application.bot_data)
        scheduler = Scheduler(engine=w.engine, clock=w.clock, senders=senders)
        await run_until(scheduler, w.clock, back)
        await w.deliver()
    else:
        w.clock.set(back)
    await jo.morning()
    await w.deliver()
    return w, jo, doctor


def _alert_rules(w: World) -> list[str]:
    with session_scope(w.engine, read_only=True) as session:
        return [r.rule for r in session.exec(select(AlertRecord).order_by(AlertRecord.id))]  # type: ignore[arg-type]


def _texts(user: SimUser) -> str:
    return "\n".join(m.text or "" for m in user.bot_messages)


async def test_an_absence_the_scheduler_reported_is_not_reported_again_on_return(
    world: Callable[[], Awaitable[World]],
) -> None:
    w, jo, doctor = await _away_for_four_days(world, scheduler_running=True)
    assert "Jo has missed 2 morning check-ins in a row" in _texts(doctor)
    assert LATE_NEWS not in _texts(doctor)
    assert "escalate.missed" not in _alert_rules(w)
    assert "Today's session" in jo.last  # the check-in itself went through


async def test_without_the_scheduler_the_engine_still_reports_the_absence(
    world: Callable[[], Awaitable[World]],
) -> None:
    w, _, doctor = await _away_for_four_days(world, scheduler_running=False)
    assert MISSED_DAYS_RULE not in _alert_rules(w)
    assert "escalate.missed" in _alert_rules(w)
    assert LATE_NEWS in _texts(doctor)
