"""Sprint times that do not add up, typed to the bot after /done, at onboarding or with
/baseline: "10m 1.82 20m 2.3" (10 m in 0.48 s) or a top speed slower than the times allow was
saved and could meet "10 m and 20 m times ≤ 105 % of your best". Now it is refused with what
is wrong and what is expected, nothing answered before is lost, and the athlete types again."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select

from bot.store.models import SessionReportRecord
from bot.store.repo import latest_baseline
from tests.athlete.conftest import Phone, World
from tests.athlete.test_metric_typing import _athlete_in
from tests.athlete.test_session import s_items, step_by_step

WorldFactory = Callable[[], Awaitable[World]]
TOO_FAST = (
    "Your 10 m time (1.82 s) and 20 m time (2.3 s) are only 0.48 s apart: nobody runs those "
    "10 m that fast (it takes at least 0.80 s). Please check both times."
)


def _report(w: World) -> dict[str, Any]:
    answers: dict[str, Any] = w.read(lambda s: s.exec(select(SessionReportRecord)).one()).answers
    return answers


def _reports(w: World) -> int:
    return len(w.read(lambda s: s.exec(select(SessionReportRecord)).all()))


async def _said(phone: Phone, typed: str) -> str:
    return "\n".join(m.text or "" for m in await phone.say(typed))


async def _to_metrics(alex: Phone) -> None:
    await s_items(alex, pain="0")
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")


async def test_times_that_do_not_add_up_in_one_line_are_refused_and_typed_again(
    world: WorldFactory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await _to_metrics(alex)
    said = await _said(alex, "10m 1.82 20m 2.3")
    assert said.startswith("I couldn't use that:") and TOO_FAST in said, said
    assert "Please type the line again" in said, said
    said = await _said(alex, "10m 1.82 30m 4.11 vmax 7")
    assert (
        "Your top speed (7 m/s) is slower than your average speed between 10 m and 30 m "
        "(8.7 m/s, from your 10 m time of 1.82 s and 30 m time of 4.11 s). Your top speed must "
        "be faster: please check it and those times." in said
    ), said
    assert _reports(w) == 0  # nothing stored yet, nothing answered lost
    await alex.say("10m 1.82 30m 4.11 vmax 8.7")
    assert "Is that right?" in alex.last, alex.last
    await alex.tap("Yes, save")
    report = _report(w)
    assert report["metrics"] == {"split_10m_s": 1.82, "split_30m_s": 4.11, "vmax_ms": 8.7}
    assert report["pain_max"] == 0 and report["minutes"] == 45 and report["rpe"] == 4


async def test_a_time_contradicting_the_top_speed_typed_before_can_be_skipped_and_retyped(
    world: WorldFactory,
) -> None:
    """Step by step the top speed comes first: when a time then contradicts it, the mistake
    may be in the top speed, which cannot be typed at this question: the athlete is told how
    to type them all again."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    await alex.say("6")  # top speed, meant 8.6
    said = await _said(alex, "1.5")  # 10 m: 6.7 m/s on average from a standing start
    assert (
        "Your top speed (6 m/s) is slower than your average speed over 10 m from the start "
        "(6.7 m/s, from your 10 m time of 1.5 s). Your top speed must be faster: please check "
        "both." in said
    ), said
    assert "tap Skip here: you can type all the numbers again before saving" in said, said
    assert "10 m split (s)" in alex.last  # asked again
    await alex.tap("Skip")
    await alex.tap("That's all")
    await alex.tap("No, type again")
    assert "Any numbers from today" in alex.last, alex.last
    await alex.say("vmax 8.6 10m 1.5")
    await alex.tap("Yes, save")
    assert _report(w)["metrics"] == {"vmax_ms": 8.6, "split_10m_s": 1.5}


async def test_pre_injury_times_that_do_not_add_up_are_refused_at_onboarding(
    world: WorldFactory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.say("/start")
    await alex.tap("I agree")
    for label in ("Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await alex.tap(label)
    await alex.tap("Sprinting / running fast")
    await alex.tap("Rugby")
    said = await _said(alex, "vmax 9 10m 1.82 20m 2.3")
    assert TOO_FAST in said, said
    await alex.say("vmax 9 10m 1.82 20m 3.05")
    await alex.tap("Europe")
    await alex.tap("Berlin")
    await alex.tap("07:30")
    await alex.tap("✅ Confirm")
    person = w.person(1001)
    assert person is not None
    stored = w.read(lambda s: latest_baseline(s, athlete_id=person.id))
    assert stored is not None
    assert stored.model_dump(exclude_none=True) == {
        "vmax_ms": 9.0,
        "split_10m_s": 1.82,
        "split_20m_s": 3.05,
    }


async def test_a_baseline_top_speed_slower_than_the_saved_times_allow_is_refused(
    world: WorldFactory,
) -> None:
    """Saved 10 m 1.80 s and 30 m 4.05 s (20 m in 2.25 s, 8.9 m/s): /baseline "vmax 7" would
    make "95 % of your top speed" far easier to reach; it cannot be right with those times."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="vmax 9.0 10m 1.80 30m 4.05")
    said = await _said(alex, "/baseline vmax 7")
    assert said.startswith("Nothing was changed:"), said
    assert "Your top speed (7 m/s) is slower than your average speed between 10 m and 30 m" in said
    assert "(Saved before: 10 m split 1.8 s, 30 m split 4.05 s." in said, said
    person = w.person(1001)
    assert person is not None
    stored = w.read(lambda s: latest_baseline(s, athlete_id=person.id))
    assert stored is not None and stored.vmax_ms == 9.0


async def test_decimal_commas_keep_working_and_are_shown_back_with_commas(
    world: WorldFactory,
) -> None:
    w, ana = await _athlete_in(world, "de")
    said = await _said(ana.phone, "10m 1,82 20m 2,3")
    assert "1,82" in said and "0,48" in said and "0,80" in said and "1.82" not in said, said
    await ana.phone.say("10m 1,82 30m 4,11 vmax 8,7")
    await ana.tap("Yes, save")
    assert _report(w)["metrics"] == {"split_10m_s": 1.82, "split_30m_s": 4.11, "vmax_ms": 8.7}
