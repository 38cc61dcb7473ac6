"""What the athlete reads in the morning, in the evening and in /status agrees with itself.

A reviewer reading the demo found four places where it did not:
- the plan said "Walking as tolerated: 10–20 min" (or "Bike or elliptical: 10–20 min") and the
  evening asked about "a 20–30 min brisk walk" (or "5 min on the bike at 150 W");
- the question counter's total grew as a branch opened: "(1/12)" then "(2/14)";
- /status said "Days at this stage: 2 (3 needed)" above "1 more day at this stage";
- the running line read "6–10 × 70 m, 50–65 % (70 m in 15.4–11.9 s)": times from slow to
  fast, and a percentage of nothing named on its line.
Through the real bot on the Bot API sandbox.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Awaitable, Callable

from bot.sandbox import SimUser
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

WorldFactory = Callable[[], Awaitable[World]]
COUNTER = re.compile(r"^\((\d+)/(\d+)\) ")


def _text(replies: list) -> str:  # type: ignore[type-arg]
    return "\n".join(m.text or "" for m in replies)


async def _linked(w: World) -> tuple[Phone, SimUser, int]:
    """Alex onboards on Monday 2 March (Berlin, baseline top speed 9.0 m/s), linked to Dr
    Kim."""
    doctor = w.sandbox.user(CLINICIAN_ID, "Kim")
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    person = w.person(1001)
    assert person is not None and person.id is not None
    return alex, doctor, person.id


async def _move_to(doctor: SimUser, athlete_id: int, stage: str) -> None:
    """Dr Kim moves Alex to ``stage`` (confirming a move of more than one stage)."""
    await doctor.send(f"/stage {athlete_id} {stage} scan reviewed")
    replies = await doctor.wait_reply()
    if any("✅ Change the stage" in m.button_labels for m in replies):
        await doctor.press("✅ Change the stage")
        await doctor.wait_reply()


def _next_morning(w: World) -> None:
    w.clock.advance(dt.timedelta(days=1))


async def _up_to_checks(alex: Phone) -> list[str]:
    """Report a completed, painless session up to the stage's checks; return every question
    asked from the first check on, answering each "Not done", up to the metrics."""
    await alex.say("/done")
    for label in ("All of it", "0", "No", "None of these ✅", "1", "No", "8", "4", "45", "0"):
        await alex.tap(label)
    asked: list[str] = []
    while "Any numbers from today" not in alex.last:
        asked.append(alex.last.split("\n\n")[-1])  # after the echo of the answer before
        await alex.tap("Not done")
    return asked


def _question(asked: list[str], word: str) -> str:
    found = [q for q in asked if word in q]
    assert len(found) == 1, asked
    return found[0]


# 1. The evening asks about the session the plan prescribed -------------------------------


async def test_the_evening_asks_about_the_walk_and_the_ride_the_plan_prescribed(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    _next_morning(w)
    plan = _text(await alex.morning())  # stage 1 of 8
    assert "• Walking as tolerated: 10–20 min" in plan, plan
    walk = _question(await _up_to_checks(alex), "walk")
    # Every duration the question names is one today's plan gave; it does not ask about a
    # brisk walk after a plan of walking as tolerated.
    for minutes in re.findall(r"\d+(?:–\d+)? min", walk):
        assert minutes in plan, (walk, plan)
    assert "brisk" not in walk.lower(), walk
    assert "Worst pain while walking today? (0 = none, 10 = worst imaginable)" in walk, walk

    await _move_to(doctor, athlete_id, "H1")
    _next_morning(w)
    plan = _text(await alex.morning())  # stage 2 of 8: a brisk walk and the bike
    assert "• Bike or elliptical: 10–20 min" in plan, plan
    assert "• Brisk walk: 10–30 min" in plan, plan
    asked = await _up_to_checks(alex)
    bike = _question(asked, "bike")
    walk = _question(asked, "walking")
    # The question is about today's ride; the stage's 150 W test is said as what counts, not
    # as a ride the plan never gave.
    assert COUNTER.sub("", bike).startswith(
        "Worst pain on the bike today? (0 = none, 10 = worst imaginable)"
    ), bike
    assert "during 5 min on the bike" not in bike, bike
    # Any walk's pain is asked (walking pain steps the athlete back); the stage's test, a
    # 20–30 min brisk walk within the plan's 10–30 min, is said as what moving up needs.
    assert COUNTER.sub("", walk).startswith(
        "Worst pain while walking today? (0 = none, 10 = worst imaginable)"
    ), walk
    assert "To move up, this stage needs a 20–30 min brisk walk at 0–1/10." in walk, walk


# 2. The counter's total never grows -------------------------------------------------------


async def test_the_question_counter_never_goes_backwards_when_a_branch_opens(
    world: WorldFactory,
) -> None:
    """ "Part of it" opens how much and why, pain above 0 opens where: they share the number
    of the question that opened them, and the total stays what the first question said."""
    w = await world()
    alex, _doctor, _athlete_id = await _linked(w)
    _next_morning(w)
    await alex.morning()
    await alex.say("/done")
    shown = [alex.last]
    for label in ("Part of it", "50%", "Weather or time", "2", "The injured spot", "No"):
        await alex.tap(label)
        shown.append(alex.last)
    for label in ("None of these ✅", "1", "No", "8", "4", "45", "0"):
        await alex.tap(label)
        shown.append(alex.last)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
        shown.append(alex.last)
    counters = []
    for text in shown:
        # An answered question's echo ("✓ Completed: Part of it") comes before the next one.
        match = COUNTER.search(text.split("\n\n")[-1])
        assert match is not None, text
        counters.append((int(match[1]), int(match[2])))
    totals = {total for _n, total in counters}
    assert len(totals) == 1, counters
    numbers = [n for n, _total in counters]
    assert numbers[0] == 1 and numbers[-1] == counters[0][1], counters
    assert all(0 <= b - a <= 1 for a, b in itertools.pairwise(numbers)), counters
    # The follow-ups of "Part of it" and of the pain share their opener's number.
    assert [n for n, _ in counters[:6]] == [1, 1, 1, 2, 2, 3], counters
    assert shown[4].split("\n\n")[-1].startswith("(2/"), shown[4]  # where was the pain


# 3. /status counts the days once, as the morning does -------------------------------------


async def test_status_says_the_days_left_once_and_the_day_it_is_met(world: WorldFactory) -> None:
    """Stage 3 of 8 needs 3 days, from Monday: on Wednesday /status says "1 more day at this
    stage" (as the morning and the evening say it) once, with no other count beside it, and
    that moving up can come tomorrow; on Thursday the days are met, as it said."""
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    await _move_to(doctor, athlete_id, "H2")  # Monday
    _next_morning(w)
    _next_morning(w)  # Wednesday
    await alex.morning()
    status = _text(await alex.say("/status"))
    days = [line for line in status.splitlines() if "day" in line and "this stage" in line]
    assert days == ["⬜ 1 more day at this stage: you can move up tomorrow at the earliest"], status
    assert "needed)" not in status, status  # no second count beside it
    assert "At this stage since Mon 2 Mar." in status.splitlines(), status
    _next_morning(w)  # Thursday: as said
    await alex.morning(pain_test="0", tightness="0")
    status = _text(await alex.say("/status"))
    assert "✅ Days at this stage" in status.splitlines(), status


async def test_status_names_the_day_when_more_days_are_left(world: WorldFactory) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    await _move_to(doctor, athlete_id, "H2")  # Monday 2 March, 3 days needed
    status = _text(await alex.say("/status"))
    assert "At this stage since today." in status.splitlines(), status
    assert (
        "⬜ 3 more days at this stage: you can move up on Thu 5 Mar at the earliest"
        in status.splitlines()
    ), status
    assert "Days at this stage:" not in status, status


# 4. The running line reads in order, the % says of what -----------------------------------


async def test_the_running_line_says_of_what_and_times_run_fast_to_slow(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, doctor, athlete_id = await _linked(w)
    await _move_to(doctor, athlete_id, "H2")
    _next_morning(w)
    plan = _text(await alex.morning())
    line = next((x for x in plan.splitlines() if x.startswith("• Run-throughs")), "")
    match = re.search(
        r"6–10 × 70 m at 50–65 % of your top speed, each in (\d+\.\d)–(\d+\.\d) s, "
        r"recovery: walk back$",
        line,
    )
    assert match is not None, plan
    fastest, slowest = float(match[1]), float(match[2])
    # 70 m at 65 % and at 50 % of 9.0 m/s: about 12.0 s and 15.6 s.
    assert (fastest, slowest) == (12.0, 15.6), line
    assert "% =" not in plan, plan  # the percentage is said with its line
    assert "Stay at or above these times." in plan.splitlines(), plan
