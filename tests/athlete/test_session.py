"""The post-session questionnaire through the sandbox: S-items, metrics, decision."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.store.models import AlertRecord, Decision, SessionReportRecord
from tests.athlete.conftest import Phone, World


async def _s_items(alex: Phone, *, pain: str = "1", sharp: str = "No") -> None:
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap(pain)
    if pain != "0":
        await alex.tap("The injured spot")
    await alex.tap(sharp)
    if sharp == "Yes":
        return
    await alex.tap("1")  # tightness
    await alex.tap("No")  # held back
    await alex.tap("8")  # confidence
    await alex.tap("4")  # RPE
    await alex.tap("45")  # minutes
    await alex.tap("Skip")  # pain 1 h after


async def test_session_report_with_a_metrics_line_is_echoed_confirmed_and_decided(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="vmax 9.0")
    await alex.morning()
    await _s_items(alex)
    # H0 asks the stage's functional checks before the metrics
    while "Any numbers from today" not in alex.last:
        await alex.tap("0") if "(0–10)" in alex.last else await alex.tap("Yes")
    replies = await alex.say("10m 1.2 vmax 40")
    problems = replies[0].text or ""
    assert "10 m split 1.2 s looks wrong" in problems and "40 m/s" in problems
    assert "Any numbers from today" in (replies[-1].text or "")
    replies = await alex.say("10m=1,92 30m 4.3 vmax 31 km/h hop 92%")
    echo = replies[-1].text or ""
    assert "I understood" in echo and "10 m split: 1.92 s" in echo and "8.611 m/s" in echo
    assert "hop test symmetry (LSI): 92 %" in echo
    await alex.tap("No, type again")
    assert "Any numbers from today" in alex.last
    await alex.say("10m 1.92 vmax 8.6")
    replies = await alex.tap("Yes, save")
    decision_text = replies[-1].text or ""
    assert "session saved" in decision_text and "What's next:" in decision_text
    assert any(t in decision_text for t in ("Hold", "Progress", "Step back"))
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["completion"] == "full" and report.answers["minutes"] == 45
    assert report.answers["metrics"] == {"vmax_ms": 8.6, "split_10m_s": 1.92, "top_pct_vmax": 95.6}
    assert report.answers["checks"]  # the stage's checks were stored with the report
    daily = w.read(lambda s: s.exec(select(Decision).where(Decision.kind == "daily")).one())
    assert daily.outcome in ("hold", "progress", "step_back")
    assert daily.decision["reasons"] and daily.protocol_name == "hamstring"


async def test_step_by_step_metrics(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    await _s_items(alex, pain="0")
    while "Any numbers from today" not in alex.last:
        await alex.tap("Not done")
    await alex.tap("Step by step")
    assert "Top speed (Vmax) (m/s)" in alex.last
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
    await _s_items(alex, pain="6", sharp="Yes")
    text = alex.last
    assert "⛔ Stop" in text and "assessment today" in text
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert "same_day" in [a.severity for a in alerts]
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["sharp_pain"] is True and report.answers["pain_max"] == 6
