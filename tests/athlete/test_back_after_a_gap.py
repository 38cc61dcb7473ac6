"""Back after days away: the athlete reads in plain words why the stage restarts or steps back
(engine.programme._after_gap, protocol note 21), never the engine's rule id. Through the real
bot on the Bot API sandbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

from tests.athlete.conftest import World
from tests.athlete.test_plan_and_questions_agree import _linked, _move_to, _text

WorldFactory = Callable[[], Awaitable[World]]


async def _back_after(w: World, stage: str, days: int) -> str:
    alex, doctor, athlete_id = await _linked(w)
    await _move_to(doctor, athlete_id, stage)
    w.clock.advance(dt.timedelta(days=1))
    await alex.morning()
    w.clock.advance(dt.timedelta(days=days))
    return _text(await alex.morning())


async def test_nine_days_away_restarts_the_stage_in_plain_words(world: WorldFactory) -> None:
    back = await _back_after(await world(), "H3", 10)
    assert "Welcome back: after 9 days away from the plan, what this stage needs" in back, back
    assert "Stage 4 of 8" in back and "gap." not in back, back


async def test_a_week_away_at_the_max_sprint_stage_steps_back(world: WorldFactory) -> None:
    back = await _back_after(await world(), "H5", 9)
    assert "Back one stage" in back and "Stage 5 of 8" in back, back
    assert "Welcome back: after 8 days away from the plan, fitness has faded" in back, back
    assert "gap." not in back, back
