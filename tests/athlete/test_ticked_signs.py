"""A warning sign the athlete ticked is never lost, and what they wrote is never cut or read
against the wrong button: through the sandbox (the real Application over HTTP), asserting what
the athlete and the clinician see and what is stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select

from bot.services.athlete.abandoned import AbandonedSweeper, sweep_abandoned
from bot.services.callback_auth import CallbackSigner
from bot.services.clinician.escalation import alert_notifier
from bot.store.models import AlertRecord, MorningCheckinRecord, Outbox, SessionReportRecord
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

Factory = Callable[[], Awaitable[World]]
NUMBNESS = "▫️ Numbness, tingling or weakness in leg/foot"
SWELLING = "▫️ New swelling at the injury"
NOTIFY = alert_notifier(CallbackSigner(b"ticked-signs-test-secret-0123456789"), ())


async def _linked(w: World) -> Phone:
    w.sandbox.user(CLINICIAN_ID, "Kim")  # the clinician's chat, to read what reaches them
    alex = w.phone(1001, "Alex")
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    return alex


def _checkins(w: World) -> list[dict[str, Any]]:
    return w.read(lambda s: [r.answers for r in s.exec(select(MorningCheckinRecord)).all()])


def _alerts(w: World) -> list[str]:
    return w.read(lambda s: [a.severity for a in s.exec(select(AlertRecord)).all()])


def _to_clinician(w: World) -> list[str]:
    rows = w.read(lambda s: s.exec(select(Outbox).where(Outbox.chat_id == CLINICIAN_ID)).all())
    return [r.text for r in rows]


async def _clinician_reads(w: World) -> str:
    await w.deliver()
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    return "\n".join(m.text or "" for m in clinician.bot_messages)


# F1: typing "no" after ticking a sign ------------------------------------------------------


async def test_typed_none_after_a_tick_is_refused_and_the_tick_kept(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/checkin")
    await alex.tap(NUMBNESS)
    replies = await alex.say("no")
    assert "You ticked: Numbness" in (replies[0].text or ""), [m.text for m in replies]
    assert "☑️ Numbness, tingling or weakness in leg/foot" in replies[-1].button_labels
    assert _checkins(w) == [] and _alerts(w) == []  # nothing stored as "none"
    replies = await alex.say("none")  # asked again: refused again
    assert "You ticked: Numbness" in (replies[0].text or "")
    replies = await alex.tap("Done")
    assert "Stop" in (replies[-1].text or "")
    assert [c["red_flags"] for c in _checkins(w)] == [["numbness"]]
    assert _alerts(w) and "reported numbness" in await _clinician_reads(w)


async def test_a_sign_typed_after_a_tick_never_replaces_it(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/checkin")
    await alex.tap(SWELLING)
    replies = await alex.say("numbness")  # typed signs are not read: the buttons are asked
    assert "☑️ New swelling at the injury" in replies[-1].button_labels
    await alex.tap(NUMBNESS)
    await alex.tap("Done")
    assert [c["red_flags"] for c in _checkins(w)] == [["swelling", "numbness"]]


async def test_typed_none_after_a_tick_in_the_session_report_and_problem(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/done")
    for label in ("All of it", "1", "The injured spot", "No"):
        await alex.tap(label)
    await alex.tap(SWELLING)
    replies = await alex.say("nothing")
    assert "You ticked: New swelling" in (replies[0].text or ""), [m.text for m in replies]
    await alex.tap("Done")
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["red_flags"] == ["swelling"]

    await alex.say("/problem")
    await alex.say("the calf feels hot")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap("▫️ Calf warm, red or swollen")
    replies = await alex.say("none")
    assert "You ticked: Calf warm" in (replies[0].text or "")
    await alex.tap("Done")
    assert "calf_warm_red" in _checkins(w)[0]["red_flags"]


# F2: a ticked sign left unconfirmed ---------------------------------------------------------


async def test_cancel_after_a_tick_reports_the_sign(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/checkin")
    await alex.tap(NUMBNESS)
    replies = await alex.say("/cancel")
    assert "already need a look" in (replies[0].text or ""), [m.text for m in replies]
    assert "Stop" in (replies[-1].text or "")
    assert [c["red_flags"] for c in _checkins(w)] == [["numbness"]]
    assert _alerts(w) and "reported numbness" in await _clinician_reads(w)


async def test_a_tick_left_for_hours_is_reported_by_the_sweep(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/checkin")
    await alex.tap(NUMBNESS)
    w.clock.advance(dt.timedelta(hours=3))
    result = sweep_abandoned(AbandonedSweeper(w.engine), w.clock.now(), NOTIFY)
    assert result.evaluated == 1
    assert [c["red_flags"] for c in _checkins(w)] == [["numbness"]]
    assert _alerts(w) and "reported numbness" in await _clinician_reads(w)
    # What to do first, then where it came from, without blame.
    told = alex.last
    assert told.startswith("⛔") and told.endswith(
        "(This comes from your unfinished morning check-in: some of its answers needed acting "
        "on, so they were saved and used.)"
    ), told


async def test_a_tick_left_in_problem_is_reported_by_the_sweep(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("my leg went numb")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(NUMBNESS)
    w.clock.advance(dt.timedelta(hours=3))
    assert sweep_abandoned(AbandonedSweeper(w.engine), w.clock.now(), NOTIFY).evaluated == 1
    assert [c["red_flags"] for c in _checkins(w)] == [["numbness"]]
    assert "reported numbness" in await _clinician_reads(w)


async def test_ticks_left_behind_by_back_and_all_fine_are_not_a_report(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("my calf is a bit tight")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(NUMBNESS)
    await alex.tap("◀ Back")  # back to what to do with it
    replies = await alex.tap("All fine, thanks")
    assert "No training" not in "\n".join(m.text or "" for m in replies)
    assert _checkins(w) == [] and _alerts(w) == []
    assert _to_clinician(w) == []  # nothing forwarded: the athlete chose "All fine"


async def test_problem_opened_with_a_tick_pending_reports_the_sign(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/checkin")
    await alex.tap(NUMBNESS)
    await alex.say("/problem")
    assert [c["red_flags"] for c in _checkins(w)] == [["numbness"]]
    assert _alerts(w) and "reported numbness" in await _clinician_reads(w)


async def test_checkin_opened_with_a_problem_tick_pending_keeps_the_sign(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("it swelled up")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(SWELLING)
    await alex.say("/checkin")  # the /problem screen is closed: its tick is reported
    assert [c["red_flags"] for c in _checkins(w)] == [["swelling"]]
    assert _alerts(w)
    # Going on with the check-in afterwards never takes the sign away (the check-in shows it
    # ticked; unticked, "None of these" is asked to confirm: tests/athlete/test_attack_chat2).
    await alex.tap("☑️ New swelling at the injury")
    await alex.tap("None of these ✅")
    await alex.tap("Yes, all gone")
    for value in ("0", "1", "1", "8", "2", "2", "2", "2"):
        await alex.tap(value)
    await alex.say("7.5")
    assert [c["red_flags"] for c in _checkins(w)] == [["swelling"]]


# F3: the /problem offer's buttons never change meaning --------------------------------------


async def test_an_old_offer_pressed_after_linking_means_what_it_said(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    code = w.clinician_invite("Dr Kim")
    offer = (await alex.say("knee is a bit stiff today, nothing serious"))[-1]
    assert offer.button_labels[:2] == ["🚩 Check for warning signs", "All fine, thanks"]
    await alex.say(f"/link {code}")
    await alex.tap("✅ Share")
    replies = await alex.tap("All fine, thanks", offer)
    assert not any("Sent to" in (m.text or "") for m in replies), [m.text for m in replies]
    assert not any(t and "knee is a bit stiff" in t for t in _to_clinician(w))
    offer = (await alex.say("the knee again"))[-1]  # a fresh offer has the clinician's button
    assert offer.button_labels[:3] == [
        "🚩 Check for warning signs",
        "All fine, thanks",
        "💬 Tell my clinician",
    ]


# F4: notes are never cut ---------------------------------------------------------------------


async def test_a_long_message_reaches_the_clinician_whole(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    # 4,088 characters (within Telegram's 4,096): forwarded with its heading, it is sent to
    # the clinician in two parts, every word kept; the second names Alex (it cannot pass for
    # another athlete's message, whatever the note says).
    note = " ".join(f"word{n}" for n in range(600))[:4080] + " THE END"
    await alex.say(note)
    replies = await alex.tap("💬 Tell my clinician")
    assert "Sent to Dr Kim" in (replies[-1].text or "")
    parts = _to_clinician(w)
    assert len(parts) == 2, [len(p) for p in parts]
    assert parts[1].startswith("(Alex, continued 2/2)\n\n")
    read = (await _clinician_reads(w)).replace("(Alex, continued 2/2)", "")
    assert "word0 " in read and "THE END" in read
    assert "".join(read.split()).count("".join(note.split())) == 1  # every word, in order


async def test_problem_takes_a_normal_description(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/problem")
    note = (
        "Sharp twinge high in the back of the thigh on the third rep of the 30 m build-up; "
        "walked it off but it still feels tight going down stairs this evening. "
    ) * 4
    replies = await alex.say(note)
    assert "Tell my clinician" in " ".join(replies[-1].button_labels), [m.text for m in replies]
    await alex.tap("💬 Tell my clinician")
    assert "".join(note.split()) in "".join((await _clinician_reads(w)).split())


# F6: a warning sign reported with /problem keeps the check-in's answers ---------------------


async def test_problem_sign_keeps_the_half_done_checkins_answers(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("3")  # pain at rest
    await alex.tap("5")  # pain in the test
    await alex.say("/problem")
    await alex.say("it swelled up")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(SWELLING)
    await alex.tap("Done")
    [stored] = _checkins(w)
    assert stored["red_flags"] == ["swelling"]
    assert (stored["pain_rest"], stored["pain_test"]) == (3, 5)


# Prose typed at a question: not an answer, but never brushed off ----------------------------


async def test_a_sentence_typed_at_a_question_points_to_problem(world: Factory) -> None:
    w = await world()
    alex = await _linked(w)
    await alex.say("/checkin")
    await alex.tap("None of these ✅")  # now at pain at rest
    replies = await alex.say("I felt a pop last night and my foot is numb")
    said = "\n".join(m.text or "" for m in replies)
    assert "/problem" in said and "warning signs" in said, said
    assert "(2/10)" in (replies[-1].text or "")  # the question is asked again, nothing stored
    mistyped = "\n".join(m.text or "" for m in await alex.say("eleven"))
    assert "/problem" not in mistyped  # a mistyped answer just gets the usual correction


async def test_two_reported_signs_are_spoken_of_as_two(world: Factory) -> None:
    """Two signs reported with /problem: the next check-in says "They are ticked below" and,
    after "None of these", asks whether they have all gone, never "it"."""
    w = await world()
    alex = await _linked(w)
    await alex.morning()
    await alex.say("/problem")
    await alex.say("it swelled up and my foot tingles")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap(SWELLING)
    await alex.tap(NUMBNESS)
    await alex.tap("Done")
    w.clock.advance(dt.timedelta(days=1))
    replies = await alex.say("/checkin")
    asked = "\n".join(r.text or "" for r in replies)
    assert "They are ticked below: tap Done if they are still there" in asked, asked
    assert "It is ticked below" not in asked
    await alex.tap("☑️ New swelling at the injury")
    await alex.tap("☑️ Numbness, tingling or weakness in leg/foot")
    replies = await alex.tap("None of these ✅")
    gone = replies[-1].text or ""
    assert "Have they all gone completely?" in gone, gone
    assert [
        label
        for label in replies[-1].button_labels
        if label in ("Yes, all gone", "No, still there")
    ] == ["Yes, all gone", "No, still there"]
