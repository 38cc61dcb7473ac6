"""Onboarding and /settings attacked as a confused newcomer and a hostile one would, on a phone:
every answer kept, every refusal says what is expected, nobody left stuck."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable

import pytest

from bot.sandbox import TranscriptMessage
from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo import clinicians_of, latest_injury
from tests.athlete.conftest import Phone, World

WorldFactory = Callable[[], Awaitable[World]]


def _said(replies: list[TranscriptMessage]) -> str:
    return "\n".join(m.text or "" for m in replies)


async def _half_checked_in(w: World, sam: Phone) -> None:
    """Onboarded in Berlin on 2 March; on 3 March at 07:00 there (before the 07:30 prompt)
    Sam starts the check-in and answers two questions."""
    await sam.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC))
    await sam.say("/checkin")
    await sam.tap("None of these ✅")
    await sam.tap("0")  # pain at rest


@pytest.mark.parametrize(
    ("setting", "answer"),
    [
        ("Time zone", "Tokyo"),  # 15:00 there: 07:30 has passed
        ("Check-in time", "06:30"),  # already passed in Berlin
    ],
)
async def test_a_setting_changed_mid_check_in_says_once_how_to_finish_today(
    world: WorldFactory, setting: str, answer: str
) -> None:
    """The confirmation said both "That time has passed today, so your first check-in at it
    is tomorrow. To check in today, send /checkin." and "Your check-in is paused: send
    /checkin to finish it.": two instructions for one thing, the first as if no check-in
    had been started. Only the paused check-in is spoken of."""
    w = await world()
    sam = w.phone(3001, "Sam")
    await _half_checked_in(w, sam)
    await sam.say("/settings")
    await sam.tap(setting)
    said = _said(await sam.say(answer))
    assert "Saved." in said, said
    assert "Your check-in is on hold: send /checkin to finish it." in said, said
    assert "is paused" not in said and said.count("/checkin to finish it") == 1, said
    assert "That time has passed today" not in said, said
    replies = await sam.say("/checkin")  # and it does carry on where Sam stopped
    assert "I kept the answers you gave" in _said(replies), _said(replies)


async def test_a_passed_time_without_a_check_in_still_says_when_the_next_comes(
    world: WorldFactory,
) -> None:
    """Nothing started today: a check-in time already passed is still explained."""
    w = await world()
    sam = w.phone(3002, "Sam")
    await sam.onboard()
    w.clock.set(dt.datetime(2026, 3, 3, 6, 0, tzinfo=dt.UTC))  # 07:00 in Berlin
    await sam.say("/settings")
    await sam.tap("Check-in time")
    said = _said(await sam.say("06:30"))
    assert "That time has passed today" in said and "paused" not in said, said


async def test_back_to_the_injury_asks_the_muscle_again_and_keeps_the_rest(
    world: WorldFactory,
) -> None:
    """Calf tapped by mistake, a calf muscle picked, then back twice to Hamstring: the muscle
    is asked again from the hamstring list, and nothing of the calf answers is recorded."""
    w = await world()
    sam = w.phone(3003, "Sam")
    await sam.say("/start")
    await sam.tap("I agree")
    await sam.tap("Calf")
    await sam.tap("Soleus (deep)")
    await sam.tap("◀ Back")  # the muscle again
    await sam.tap("◀ Back")  # the injury again
    replies = await sam.tap("Hamstring")
    assert "Biceps femoris (outer)" in replies[-1].button_labels, sam.user.format_transcript()
    assert "Soleus (deep)" not in replies[-1].button_labels
    for label in ("Biceps femoris (outer)", "Right", "Not graded / don't know", "Yesterday"):
        await sam.tap(label)
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Europe", "Berlin", "07:30"):
        await sam.tap(label)
    summary = sam.last
    assert "right hamstring (biceps femoris)" in summary and "soleus" not in summary, summary
    assert "Grade: not known" in summary, summary
    await sam.tap("✅ Confirm")
    person = w.person(3003)
    assert person is not None and person.id is not None
    athlete_id = person.id
    injury = w.read(lambda s: latest_injury(s, athlete_id=athlete_id))
    assert (injury.injury, injury.muscle, injury.side, injury.grade) == (
        "hamstring",
        "biceps_femoris",
        "right",
        None,
    )


async def test_consent_refused_from_the_summary_then_given_with_the_same_link(
    world: WorldFactory,
) -> None:
    """Sam answered everything, went back to the first question and refused: nothing is
    kept and the invitation still works, so agreeing later links the clinician."""
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = w.phone(3004, "Sam")
    await sam.say(f"/start {code}")
    for label in ("I agree", "I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await sam.tap(label)
    for label in ("Sprinting / running fast", "Rugby", "Skip", "Europe", "Berlin", "07:30"):
        await sam.tap(label)
    while "Do you agree that Sprintback stores" not in sam.last:
        await sam.tap("◀ Back")
    replies = await sam.tap("I don't agree")
    assert f"send /start {code}" in _said(replies), _said(replies)
    assert w.person(3004) is None
    await sam.onboard(code=code)
    person = w.person(3004)
    assert person is not None and person.id is not None
    athlete_id = person.id
    linked = w.read(lambda s: [c.display_name for c in clinicians_of(s, athlete_id=athlete_id)])
    assert linked == ["Dr Kim"]


async def test_start_and_delete_mid_onboarding_never_strand_the_newcomer(
    world: WorldFactory,
) -> None:
    """/start again carries on at the open question with the answers kept; /delete removes
    the unfinished sign-up at once and /start begins afresh."""
    w = await world()
    sam = w.phone(3005, "Sam")
    await sam.say("/start")
    await sam.tap("I agree")
    await sam.tap("Calf")
    replies = await sam.say("/start")
    assert "Which muscle" in (replies[-1].text or ""), _said(replies)
    assert "Soleus (deep)" in replies[-1].button_labels  # still the calf's muscles
    replies = await sam.say("/delete")
    assert "nothing about you is stored" in _said(replies), _said(replies)
    assert w.person(3005) is None
    replies = await sam.say("/start")
    assert "(1/13) First, your consent." in (replies[-1].text or ""), _said(replies)


async def test_a_command_mid_set_up_says_why_and_shows_where_we_were(
    world: WorldFactory,
) -> None:
    """/settings or /timezone half-way through the set-up said only "Let's set you up first:
    send /start." while the open question had scrolled out of sight; now it says why and
    asks that question again, and the set-up carries on."""
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = w.phone(3010, "Sam")
    welcome = _said(await sam.say(f"/start {code}"))
    # Before consent, nothing says the clinician already follows Sam.
    assert "if you agree to share your answers with them" in welcome, welcome
    for label in ("I agree", "I agree", "Hamstring"):
        await sam.tap(label)
    for command in ("/settings", "/timezone"):
        replies = await sam.say(command)
        assert replies[0].text == "That works once you are set up. Let's finish that first:"
        assert "Biceps femoris (outer)" in replies[-1].button_labels, _said(replies)
    replies = await sam.tap("Biceps femoris (outer)")  # and the set-up goes on from there
    assert "Right" in replies[-1].button_labels, sam.last
    stranger = w.phone(3011, "Kim")
    assert _said(await stranger.say("/settings")) == "Let's set you up first: send /start."


async def test_a_baseline_typed_in_km_h_reads_as_a_rounded_speed(world: WorldFactory) -> None:
    w = await world()
    sam = w.phone(3012, "Sam")
    await sam.say("/start")
    for label in ("I agree", "Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await sam.tap(label)
    for label in ("Sprinting / running fast", "Rugby"):
        await sam.tap(label)
    await sam.say("speed 35 km/h")
    for label in ("Europe", "Berlin", "07:30"):
        await sam.tap(label)
    assert "9.72 m/s" in sam.last and "9.722" not in sam.last, sam.last


async def test_on_the_default_check_in_time_a_move_east_after_it_still_says_so(
    world: WorldFactory,
) -> None:
    """An athlete who never chose a check-in time (07:00 by default) flies east after it:
    the line saying today's time has passed was missing for them."""
    w = await world()
    sam = w.phone(3013, "Sam")
    await sam.onboard()
    person = w.person(3013)
    assert person is not None and person.id is not None
    with session_scope(w.engine) as session:
        stored = session.get(Person, person.id)
        assert stored is not None
        stored.checkin_time = None
        session.add(stored)
    w.clock.set(dt.datetime(2026, 3, 3, 5, 30, tzinfo=dt.UTC))  # 06:30 in Berlin
    await sam.say("/settings")
    await sam.tap("Time zone")
    said = _said(await sam.say("Tokyo"))  # 14:30 there: 07:00 has passed
    assert "That time has passed today" in said, said
