"""The post-session prompt follows the plan the athlete was given that morning.

A session report with tests and no run (heel raises, a hop test) on a day whose plan had a
run may have come with a run by feel: the engine keeps the rest after a run, and the next
morning's plan reads "no training today" (calf: never running on consecutive days). The
scheduler read only reports with high-speed numbers as runs, so at the usual session end of
that rest day it still asked "How did today's session go?". It now follows the plan the
athlete read: no session in it, no post-session prompt; a plan with a session keeps its
prompt, and a day without a check-in still asks whether they trained anyway.

Through the real bot (every handler module) on the Bot API sandbox, with the scheduler's
tick on the test clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.sandbox import SimUser
from bot.scheduling.registry import registry_of
from bot.scheduling.tick import Scheduler, run_tick
from bot.store.models import ScheduledPrompt
from tests.athlete.conftest import CLINICIAN_ID, Phone, World, db, services, world

__all__ = ["db", "services", "world"]  # the athlete flow's fixtures, used here

Factory = Callable[[], Awaitable[World]]
ASKED = "How did today's session go?"
ASKED_ANYWAY = "Did you train anyway?"  # the question on a day without a check-in
BERLIN_MORNING = dt.time(6, 31)  # 07:31 in Berlin (check-in at 07:30), UTC
BERLIN_EVENING = dt.time(17, 1)  # 18:01 in Berlin (usual session end 18:00), UTC
TUESDAY = dt.date(2026, 3, 3)


def at(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=dt.UTC)


async def _calf_athlete_at_c3(w: World) -> tuple[Phone, Scheduler]:
    """Alex (calf, Berlin, check-in 07:30), linked to Dr Kim, who moves them to stage 4 of 8
    (easy run-throughs: never running on consecutive days) on Monday 2 March."""
    doctor: SimUser = w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"), injury="Calf")
    person = w.person(1001)
    assert person is not None and person.id is not None
    await doctor.send(f"/stage {person.id} C3 scan reviewed")
    replies = await doctor.wait_reply()
    if any("✅ Change the stage" in m.button_labels for m in replies):
        await doctor.press("✅ Change the stage")
        await doctor.wait_reply()
    scheduler = Scheduler(
        engine=w.engine, clock=w.clock, senders=registry_of(w.running.application.bot_data)
    )
    await run_tick(scheduler)  # plans Tuesday's prompts
    return alex, scheduler


async def _morning(w: World, alex: Phone, scheduler: Scheduler, day: dt.date) -> str:
    """The morning prompt of ``day`` goes out; Alex answers the check-in: the day's plan."""
    w.clock.set(at(day, BERLIN_MORNING))
    await run_tick(scheduler)  # the morning prompt (and the next day planned)
    await w.deliver()
    return "\n".join(m.text or "" for m in await alex.morning())


async def _evening_prompts(w: World, alex: Phone, scheduler: Scheduler, day: dt.date) -> list[str]:
    """The ticks of ``day``'s evening: what the bot sent Alex then."""
    before = len(alex.user.bot_messages)
    w.clock.set(at(day, BERLIN_EVENING))
    await run_tick(scheduler)
    await w.deliver()
    return [m.text or "" for m in alex.user.bot_messages[before:]]


async def _tests_only_report(alex: Phone) -> str:
    """A painless session report with heel raises and a hop test, and no run."""
    await alex.say("/done")
    for label in ("All of it", "0", "No", "None of these ✅", "1", "No", "8", "4", "45", "0"):
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.say("heel 28/30 hop 95")
    if "Yes, save" in alex.user.last_bot_message.button_labels:
        await alex.tap("Yes, save")
    return alex.last


def _post_session_status(w: World, day: dt.date) -> list[str]:
    rows: list[str] = w.read(
        lambda s: [
            p.status
            for p in s.exec(
                select(ScheduledPrompt).where(
                    ScheduledPrompt.kind == "post_session", ScheduledPrompt.local_date == day
                )
            ).all()
        ]
    )
    return rows


async def test_no_post_session_prompt_on_the_rest_day_after_a_tests_only_report(
    world: Factory,
) -> None:
    w = await world()
    alex, scheduler = await _calf_athlete_at_c3(w)
    plan = await _morning(w, alex, scheduler, TUESDAY)
    assert "run" in plan.lower(), plan  # Tuesday's plan has a run
    saved = await _tests_only_report(alex)
    assert "Session saved" in saved and "No run was logged" in saved, saved
    wednesday = TUESDAY + dt.timedelta(days=1)
    plan = await _morning(w, alex, scheduler, wednesday)
    assert "No running today" in plan and "• No training today." in plan, plan
    sent = await _evening_prompts(w, alex, scheduler, wednesday)
    assert not any(ASKED in t or ASKED_ANYWAY in t for t in sent), sent
    assert _post_session_status(w, wednesday) in ([], ["cancelled"])


async def test_a_day_whose_plan_has_a_session_still_gets_its_prompt(world: Factory) -> None:
    """Guard: Tuesday's plan has a run and nothing was reported: the prompt comes."""
    w = await world()
    alex, scheduler = await _calf_athlete_at_c3(w)
    plan = await _morning(w, alex, scheduler, TUESDAY)
    assert "run" in plan.lower(), plan
    sent = await _evening_prompts(w, alex, scheduler, TUESDAY)
    assert any(ASKED in t for t in sent), sent


async def test_a_day_without_a_check_in_still_asks_if_they_trained(world: Factory) -> None:
    """Guard: no check-in, so no plan was given: the prompt asks whether they trained anyway
    (a session done all the same is still reported)."""
    w = await world()
    alex, scheduler = await _calf_athlete_at_c3(w)
    w.clock.set(at(TUESDAY, BERLIN_MORNING))
    await run_tick(scheduler)
    await w.deliver()
    sent = await _evening_prompts(w, alex, scheduler, TUESDAY)
    assert any(ASKED_ANYWAY in t or ASKED in t for t in sent), sent
