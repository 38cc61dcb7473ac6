"""The post-session questionnaire through the sandbox: S-items, metrics, decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import Session, select

from bot.services.questionnaires.session import METRIC_PREFIX
from bot.store.db import session_scope
from bot.store.models import (
    AlertRecord,
    Decision,
    QuestionnaireProgress,
    SessionReportRecord,
)
from tests.athlete.conftest import Phone, World


async def s_items(alex: Phone, *, pain: str = "1", sharp: str = "No") -> None:
    """Answer the session report's S-items by buttons, up to the stage's checks."""
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap(pain)
    if pain != "0":
        await alex.tap("The injured spot")
    await alex.tap(sharp)
    if sharp == "Yes":
        return
    await alex.tap("None of these ✅")  # no new swelling, bruising, pop or numbness
    await alex.tap("1")  # tightness
    await alex.tap("No")  # held back
    await alex.tap("8")  # confidence
    await alex.tap("4")  # RPE
    await alex.tap("45")  # minutes
    await alex.tap("Skip")  # pain 1 h after


async def step_by_step(alex: Phone, *, pain: str) -> None:
    """Answer the session report up to its metrics, then choose to type them one by one."""
    await s_items(alex, pain=pain)
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.tap("Step by step")


async def test_step_by_step_metrics(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    assert "Top speed (m/s)" in alex.last
    replies = await alex.say("13")
    assert "12.5" in (replies[0].text or "") and "Top speed" in (replies[-1].text or "")
    await alex.say("8,9")
    await alex.tap("Skip")
    await alex.say("3.1")
    await alex.tap("That's all")
    assert "20 m split: 3.1 s" in alex.last and "8.9 m/s" in alex.last
    await alex.tap("Yes, save")
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["metrics"] == {"vmax_ms": 8.9, "split_20m_s": 3.1}


async def test_sharp_pain_stops_the_session_report_and_alerts(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await s_items(alex, pain="6", sharp="Yes")
    text = alex.last
    assert "⛔ Stop" in text and "assessment today" in text
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert "same_day" in [a.severity for a in alerts]
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["sharp_pain"] is True and report.answers["pain_max"] == 6


async def test_a_negative_zero_top_speed_is_refused_and_the_report_still_saves(
    world: Callable[[], Awaitable[World]],
) -> None:
    """ "-0" is no top speed: it is refused with what is expected (it was stored, and then
    every later questionnaire failed on it), and the report saves with the next answer."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    for typed in ("-0", "−0,0"):
        replies = await alex.say(typed)
        assert "as a number in m/s" in (replies[0].text or ""), replies[0].text
    await alex.say("8.9")
    await alex.tap("That's all")
    replies = await alex.tap("Yes, save")
    assert not any("went wrong" in (m.text or "") for m in replies)
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["metrics"] == {"vmax_ms": 8.9}


async def test_an_answer_the_engine_refuses_never_blocks_the_report_or_its_pain_alert(
    world: Callable[[], Awaitable[World]],
) -> None:
    """A stored metric the engine's model refuses (written by an older version, or a parser
    gap) is left out when the report is saved: the pain of 6/10 in the same report still
    reaches the engine, which judges it a red session, and the athlete can go on (before,
    saving failed and every later /cancel, /checkin or /done failed on the same answer)."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="6")
    await alex.say("8.9")

    def corrupt(session: Session) -> None:
        progress = session.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.status == "open")
        ).one()
        progress.answers = {**progress.answers, f"{METRIC_PREFIX}vmax_ms": -0.0}
        session.add(progress)

    with session_scope(w.engine) as session:
        corrupt(session)
    await alex.tap("That's all")
    replies = await alex.tap("Yes, save")
    assert not any("went wrong" in (m.text or "") for m in replies), alex.last
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["pain_max"] == 6 and "vmax_ms" not in report.answers["metrics"]
    rules = w.read(
        lambda s: [r.get("rule") for d in s.exec(select(Decision)) for r in d.decision["reasons"]]
    )
    assert "session.red" in rules, rules
    replies = await alex.say("/checkin")
    assert not any("went wrong" in (m.text or "") for m in replies)


async def test_a_hamstring_athlete_can_record_the_hop_test_step_by_step(
    world: Callable[[], Awaitable[World]],
) -> None:
    """The hop test (LSI) is one of the hamstring exit criteria of the max-speed stage, so the
    step-by-step entry asks for it, after the bridge tests."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await step_by_step(alex, pain="0")
    for _ in range(12):
        if "hop" in alex.last.lower():
            break
        await alex.tap("Skip")
    assert "hop" in alex.last.lower(), alex.last
    await alex.say("92")  # the last one: the summary comes at once
    assert "hop distance compared with your other leg: 92 %" in alex.last
    await alex.tap("Yes, save")
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["metrics"] == {"hop_lsi_pct": 92.0}
