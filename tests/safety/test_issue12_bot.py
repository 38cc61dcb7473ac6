"""Issue 12 through the real bot (Application on the Bot API sandbox): the post-session
red-flag question stops the report and reaches the clinician at once; a session against the
plan is explained to the athlete in plain words and reaches the clinician through the alert
path; a stop stays a stop on the next morning."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel import select

from bot.store.models import AlertRecord, SessionReportRecord
from tests.athlete.conftest import CLINICIAN_ID, World
from tests.safety.test_bot_safety import onboarded

WorldFactory = Callable[[], Awaitable[World]]
RULE_WORDS = ("session.flag", "session.against_plan", "rest.repeat", "gate.", "redflag.")


async def session_start(alex: Any, pain: str = "0") -> None:
    """Open the post-session questionnaire and answer up to the red-flag question."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap(pain)
    if pain != "0":
        await alex.tap("The injured spot")
    await alex.tap("No")  # no sharp pain


async def session_rest(alex: Any, metrics: str) -> str:
    """Answer the rest of a green session report with a metrics line; return the decision."""
    await alex.tap("None of these ✅")
    for label in ("0", "No", "8", "5", "45", "Skip"):  # tightness … pain 1 h after
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.say(metrics)
    replies = await alex.tap("Yes, save")
    return "\n".join(m.text or "" for m in replies)


def alerts(w: World, athlete_id: int) -> list[tuple[str, str]]:
    """(rule, severity) of every alert raised for the athlete, oldest first."""
    return list(
        w.read(
            lambda s: [
                (a.rule, a.severity)
                for a in s.exec(select(AlertRecord).where(AlertRecord.athlete_id == athlete_id))
            ]
        )
    )


async def test_a_session_red_flag_stops_the_report_and_reaches_the_clinician_at_once(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, athlete_id = await onboarded(w)
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await alex.morning(tightness="0", pain_test="0")
    await session_start(alex, pain="2")
    assert "Since the session started" in alex.last
    await alex.tap("▫️ New swelling at the injury")
    replies = await alex.tap("Done")
    text = "\n".join(m.text or "" for m in replies)
    assert "Stop" in text and "medical assessment today" in text  # the tier's instruction
    assert not any(word in text for word in RULE_WORDS)
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["red_flags"] == ["swelling"]  # the data-dictionary key
    assert alerts(w, athlete_id) == [("session.red_flag", "same_day")]
    assert await w.deliver() >= 1
    assert any(
        "swelling since the session started" in (m.text or "") for m in clinician.bot_messages
    )
    # The next morning is no "go": running waits for the clinician's review.
    w.clock.advance(dt.timedelta(days=1))
    replies = await alex.morning(tightness="0", pain_test="0")
    morning = replies[-1].text or ""
    assert "Rest today" in morning and "Go" not in morning.split("\n")[0]
    assert "until your clinician has reviewed you" in morning


async def test_a_run_above_the_days_cap_is_explained_and_reaches_the_clinician(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, athlete_id = await onboarded(w)
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await clinician.send(f"/stage {athlete_id} H2 scan reviewed, start running")
    await clinician.wait_reply()
    # Two stages and more at once are confirmed first (issue 15).
    await clinician.press("✅ Change the stage")
    await clinician.wait_reply()
    await alex.morning(tightness="0", pain_test="0")
    await session_start(alex)
    decision = await session_rest(alex, "vmax 9.1")  # 101 % of the baseline; H2 caps at 65 %
    assert "About this session" in decision
    # The percentage is written the locale's way (a no-break space before the sign).
    assert "above today's limit of 65\u00a0%" in decision and "clinician has been told" in decision
    assert not any(word in decision for word in RULE_WORDS)
    found = alerts(w, athlete_id)
    assert ("session.against_plan", "within_24h") in found, found
    assert await w.deliver() >= 1
    assert any("against the plan" in (m.text or "") for m in clinician.bot_messages)


async def test_repeated_runs_inside_the_rest_interval_alert_the_clinician(
    world: WorldFactory,
) -> None:
    w = await world()
    alex, athlete_id = await onboarded(w)
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await clinician.send(f"/stage {athlete_id} H4 cleared for high-speed running")
    await clinician.wait_reply()
    # Two stages and more at once are confirmed first (issue 15).
    await clinician.press("✅ Change the stage")
    await clinician.wait_reply()
    texts = []
    for _ in range(3):  # 90 % of Vmax on three days in a row (H4: ≥ 48 h between them)
        await alex.morning(tightness="0", pain_test="0")
        await session_start(alex)
        texts.append(await session_rest(alex, "vmax 8.1"))
        w.clock.advance(dt.timedelta(days=1))
    assert "About this session" not in texts[0]
    for text in texts[1:]:
        assert "this stage needs at least 48 h of rest in between" in text
        assert not any(word in text for word in RULE_WORDS)
    found = alerts(w, athlete_id)
    assert ("rest.repeat", "within_24h") in found, found
    assert await w.deliver() >= 1
    assert any("inside a rest interval" in (m.text or "") for m in clinician.bot_messages)


async def test_pain_away_from_the_injury_stops_running_and_reaches_the_clinician(
    world: WorldFactory,
) -> None:
    """Reference §5 tier 3: pain in another place than the injury (a referred or neural
    source) stops the stage until the clinician has seen it; it used to count as a green
    session."""
    w = await world()
    alex, athlete_id = await onboarded(w)
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await alex.morning(tightness="0", pain_test="0")
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("2")
    await alex.tap("Low back / buttock")
    await alex.tap("No")  # no sharp pain
    await alex.tap("None of these ✅")
    for label in ("0", "No", "8", "5", "45", "Skip"):  # tightness … pain 1 h after
        await alex.tap(label)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    replies = await alex.tap("No numbers today")
    text = "\n".join(m.text or "" for m in replies)
    assert "⛔" in text and "until your clinician has reviewed you" in text, text
    assert not any(word in text for word in RULE_WORDS)
    assert ("session.pain_location", "within_24h") in alerts(w, athlete_id)
    assert await w.deliver() >= 1
    assert any("low back or buttock" in (m.text or "") for m in clinician.bot_messages)
    w.clock.advance(dt.timedelta(days=1))
    replies = await alex.morning(tightness="0", pain_test="0")
    assert "until your clinician has reviewed you" in (replies[-1].text or "")
