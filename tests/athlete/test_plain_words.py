"""Issue 15, athlete points 1–9, through the Bot API sandbox: what the athlete reads."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.store.models import AlertRecord, MorningCheckinRecord, Outbox, SessionReportRecord
from bot.store.repo import latest_baseline
from tests.athlete.conftest import CLINICIAN_ID, Phone, World

Factory = Callable[[], Awaitable[World]]

DICTIONARY_KEY = re.compile(r"\b(?:morning|session|metrics|checks|derived)\.[a-z0-9_]+")
BARE_STAGE_ID = re.compile(r"\b[HC][0-7]\b")
RECORD_WORDS = re.compile(r"\bMet:|\bNot yet:|\bTrue\b|\bFalse\b|\bNone\b|\bLSI\b|\bRPE\b")


def _screens(alex: Phone) -> list[str]:
    return [m.text or "" for m in alex.user.bot_messages]


async def _session_to_metrics(alex: Phone) -> None:
    """Answer a stage-1 session report by buttons up to the metrics line."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("0")
    await alex.tap("No")
    await alex.tap("None of these ✅")
    await alex.tap("1")  # tightness
    await alex.tap("No")  # held back
    await alex.tap("8")  # confidence
    await alex.tap("4")  # how hard
    await alex.tap("45")  # minutes
    await alex.tap("Skip")  # pain an hour after
    while "Any numbers from today" not in alex.last:
        await alex.tap("0") if "10 = worst imaginable" in alex.last else await alex.tap("Not done")


# 1 -------------------------------------------------------------------------------------------


async def test_1_no_internal_name_on_any_athlete_screen(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite())
    await alex.morning()
    await alex.tap("Why?")
    for command in ("/status", "/plan", "/history", "/help"):
        await alex.say(command)
    await _session_to_metrics(alex)
    await alex.tap("No numbers today")
    leaks = [
        (found.group(0), text)
        for text in _screens(alex)
        for pattern in (DICTIONARY_KEY, BARE_STAGE_ID, RECORD_WORDS)
        if (found := pattern.search(text))
    ]
    assert not leaks, leaks[:3]
    status = next(t for t in _screens(alex) if t.startswith("Stage 1 of 8 · protect and walk"))
    assert "walking pain 2/10 or less" in status


# 2 -------------------------------------------------------------------------------------------


async def test_2_the_verdict_is_one_headline_three_reasons_the_session_and_why(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    replies = await alex.morning()
    verdict = replies[-1]
    text = verdict.text or ""
    lines = text.splitlines()
    assert lines[0] == "✅ Train as planned today."
    reasons = lines[1 : lines.index("")]
    assert 1 <= len(reasons) <= 3 and all(r.startswith("• ") for r in reasons)
    assert "Today's session · Stage 1 of 8 · protect and walk" in text
    assert len(text) < 600
    assert verdict.button_labels == ["Why?"]
    why = (await alex.tap("Why?"))[-1].text or ""
    assert why.startswith("Why (Mon 2 Mar):")
    assert "⬜ walking pain 2/10 or less (not reported yet)" in why
    assert "Your morning answers look good." in why


# 3 -------------------------------------------------------------------------------------------


async def test_3_a_red_flag_verdict_has_no_session_and_says_who_was_told(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("▫️ New swelling at the injury")
    replies = await alex.tap("Done")
    stop = replies[-1].text or ""
    # The stop holds until a clinician has reviewed, not just today.
    assert stop.startswith("⛔ No training until your clinician has reviewed you.")
    assert "Today's session" not in stop and "Train as planned" not in stop
    # No clinician: they read that nobody was alerted and to contact their own.
    assert "no clinician is linked to you in Sprintback, so no clinician has been alerted" in stop
    assert "they have been asked to" not in stop and "please see one within 24 hours" in stop
    # Read before any session: no "stop this session" in the morning.
    assert "No running today" in stop and "session" not in stop.lower(), stop


async def test_3_the_session_message_never_asks_for_what_was_just_reported(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    morning = (await alex.morning())[-1].text or ""
    assert "walking pain 2/10 or less" in morning  # still needed this morning
    await _session_to_metrics(alex)  # the brisk-walk check answered 0
    replies = await alex.tap("No numbers today")
    decision = replies[-1]
    assert "walking pain" not in (decision.text or "")
    why = (await alex.tap("Why?", decision))[-1].text or ""
    assert "✅ walking pain 2/10 or less (you said 0/10)" in why


# 4 -------------------------------------------------------------------------------------------


async def test_4_questions_fit_the_stage_and_scales_and_counter_are_clear(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    for value in ("0", "1", "1", "8"):
        await alex.tap(value)
    assert "1–7" in alex.last and "7 = very, very bad" in alex.last  # sleep: another scale
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("0")
    await alex.tap("No")
    await alex.tap("None of these ✅")
    await alex.tap("1")
    await alex.tap("No")
    confidence = alex.last
    assert "during the session" in confidence and "fastest" not in confidence  # walking stage
    for label in ("8", "4", "45", "Skip"):
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("0") if "10 = worst imaginable" in alex.last else await alex.tap("Not done")
    total = re.search(r"\((\d+)/(\d+)\) Any numbers", alex.last)
    assert total is not None and total.group(1) == total.group(2)
    confirm = (await alex.say("vmax 8.7"))[-1].text or ""
    assert confirm.startswith(f"({total.group(1)}/{total.group(2)}) I understood")


# 5 -------------------------------------------------------------------------------------------


async def test_5_back_changes_the_previous_answer(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("3")  # pain at rest: meant 1
    assert "◀ Back" in alex.user.last_bot_message.button_labels
    replies = await alex.tap("◀ Back")
    assert "Pain in the injured spot right now, at rest?" in (replies[-1].text or "")
    await alex.tap("1")
    progress = w.read(
        lambda s: s.exec(select(MorningCheckinRecord)).first()
    )  # nothing stored before the end
    assert progress is None
    for value in ("1", "1", "8", "2", "2", "2", "2"):
        await alex.tap(value)
    await alex.say("7.5")
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).one())
    assert stored.answers["pain_rest"] == 1


async def test_5_none_of_these_after_a_warning_sign_asks_first(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("▫️ New bruising")
    await alex.user.press("None of these ✅")
    for _ in range(50):
        answer = alex.user.last_callback_answer
        if answer is not None and answer.text:
            break
        await asyncio.sleep(0.05)
    assert answer is not None and answer.show_alert
    assert "You ticked: New bruising" in (answer.text or "")
    assert "☑️ New bruising" in alex.user.last_bot_message.button_labels  # still ticked
    replies = await alex.tap("Done")
    assert (replies[-1].text or "").startswith("⛔")


async def test_5_cancel_then_checkin_offers_to_start_over(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("1")
    await alex.say("/cancel")
    replies = await alex.say("/checkin")
    resumed = replies[-1]
    assert "I kept the answers" in (resumed.text or "")
    assert "↺ Start over" in resumed.button_labels, str(resumed.button_labels)
    replies = await alex.tap("↺ Start over")
    assert "Since yesterday, have you had any of these?" in (replies[-1].text or "")


async def test_5_typed_answers_are_understood_where_unambiguous(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.say("3/10")  # pain at rest
    await alex.say("three")  # test pain
    await alex.say("1")
    await alex.say("8")
    await alex.say("good")  # sleep quality: 3 on the 1–7 scale
    for value in ("2", "2", "2"):
        await alex.tap(value)
    await alex.say("7h30")
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).one()).answers
    assert (stored["pain_rest"], stored["pain_test"], stored["sleep_quality"]) == (3, 3, 3)
    assert stored["sleep_hours"] == 7.5


async def test_5_metrics_typos_and_km_h_are_asked_back(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await _session_to_metrics(alex)
    confirm = (await alex.say("vmx 8,7m/s 10m 1.82"))[-1].text or ""
    assert "Did you mean vmax 8.7 m/s?" in confirm
    assert "10 m split: 1.82 s" in confirm  # the valid value beside it is kept
    replies = await alex.tap("No, type again")
    assert "✓ No, type again" not in (replies[0].text or "")
    assert "Not saved" in (replies[0].text or "")
    confirm = (await alex.say("vmax 31"))[-1].text or ""
    assert "31 km/h = 8.6 m/s?" in confirm and "looks wrong" not in confirm
    await alex.tap("Yes, save")
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert round(report.answers["metrics"]["vmax_ms"], 1) == 8.6


# 6 -------------------------------------------------------------------------------------------


async def test_6_trouble_typed_outside_a_questionnaire_reaches_the_clinician(
    world: Factory,
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    replies = await alex.say("my leg hurts a lot, what should I do?")
    offer = replies[-1]
    assert "not waiting for an answer" not in (offer.text or "")
    # The typed words are the note: no "(2/2)" counting a question the athlete never saw.
    assert (offer.text or "").startswith("First, check your leg for warning signs now")
    assert {"🚩 Check for warning signs", "💬 Tell my clinician"} <= set(offer.button_labels)
    replies = await alex.tap("💬 Tell my clinician")
    assert "Sent to Dr Kim" in (replies[-1].text or "")
    rows = w.read(lambda s: s.exec(select(Outbox).where(Outbox.chat_id == CLINICIAN_ID)).all())
    assert [r.kind for r in rows] == ["athlete_note"], [(r.kind, r.text, r.status) for r in rows]
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await w.deliver()
    assert any(
        "my leg hurts a lot, what should I do?" in (m.text or "") for m in clinician.bot_messages
    )


async def test_6_problem_screens_for_warning_signs_at_any_time(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    await alex.morning()
    await alex.say("/problem")
    await alex.say("it swelled up after lunch")
    await alex.tap("🚩 Check for warning signs")
    await alex.tap("▫️ New swelling at the injury")
    replies = await alex.tap("Done")
    assert (replies[-1].text or "").startswith("⛔ No training until your clinician")
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).one()).answers
    assert stored["red_flags"] == ["swelling"] and stored["pain_rest"] == 0  # answers kept
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert alerts and all(a.severity != "info" for a in alerts)


# 7 -------------------------------------------------------------------------------------------


async def test_7_baseline_changes_only_what_was_typed(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="vmax 9.1 10m 1.78 30m 4.10")
    await alex.say("/baseline")
    replies = await alex.say("30m 4.05")
    text = replies[-1].text or ""
    assert "30 m split: 4.05 s (was 4.1 s)" in text
    assert "Kept as before:" in text and "10 m split: 1.78 s" in text and "9.1 m/s" in text
    person = w.person(1001)
    assert person is not None
    baseline = w.read(lambda s: latest_baseline(s, athlete_id=person.id))
    assert (baseline.vmax_ms, baseline.split_10m_s, baseline.split_30m_s) == (9.1, 1.78, 4.05)


# 8 -------------------------------------------------------------------------------------------


async def test_8_a_declined_consent_can_be_given_later_with_the_same_link(
    world: Factory,
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    sam = w.phone(1002, "Sam")
    await sam.say(f"/start {code}")
    await sam.tap("I agree")
    replies = await sam.tap("I don't agree")
    declined = replies[-1].text or ""
    assert f"/start {code}" in declined and "still valid" in declined
    await sam.onboard(code=code)
    assert any("linked with Dr Kim" in t for t in _screens(sam))


async def test_8_without_a_clinician_no_text_speaks_of_one(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    replies = await alex.say("/start")
    consent = replies[-1].text or ""
    assert "clinician" not in consent.split("First, your consent.")[1]
    await alex.tap("I agree")
    assert "Which muscle group" in alex.last  # no question about sharing with a clinician


# 9 -------------------------------------------------------------------------------------------


async def test_9_menus_tell_the_truth(world: Factory) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(code=w.clinician_invite("Dr Kim"))
    help_text = (await alex.say("/help"))[-1].text or ""
    listed = re.findall(r"^/(\w+) – ", help_text, flags=re.MULTILINE)
    # Every menu entry, in the menu's order (/help adds the few the menu leaves out).
    in_menu = [c for c in listed if c in alex.user.commands]
    assert in_menu == alex.user.commands and "progress" in listed and "problem" in listed
    await alex.morning()
    resumed_after = None
    replies = await alex.say("/pause")
    assert "Why are you pausing? Your clinician will be told." in (replies[-1].text or "")
    assert "Ill" in replies[-1].button_labels
    await alex.tap("Travelling")
    plan = (await alex.say("/plan"))[-1].text or ""
    assert "paused" in plan and "/resume" in plan and "nothing to show" not in plan
    resumed_after = (await alex.say("/resume"))[-1].text or ""
    assert "Start with a /checkin" not in resumed_after and "/plan" in resumed_after
    notes = w.read(lambda s: s.exec(select(Outbox).where(Outbox.chat_id == CLINICIAN_ID)).all())
    texts = [n.text for n in notes]
    assert any("paused their programme (travelling)" in t for t in texts)
    assert any("resumed their programme" in t for t in texts)
