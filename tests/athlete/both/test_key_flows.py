"""The key athlete flows end to end, on SQLite and on PostgreSQL: onboarding, a check-in
with a red flag reaching the clinician, a session report with metrics, a restart mid-way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.store.models import (
    AlertRecord,
    Consent,
    Decision,
    Programme,
    QuestionnaireProgress,
    SessionReportRecord,
)
from bot.store.repo import latest_baseline, latest_injury
from tests.athlete.conftest import CLINICIAN_ID, World
from tests.athlete.test_session import s_items


def _morning_progress(w: World) -> QuestionnaireProgress:
    return w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
    )


async def test_full_onboarding(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    person = w.person(1001)
    assert person is not None and person.id is not None
    assert person.timezone == "Europe/Berlin" and person.checkin_time == "07:30"
    athlete_id = person.id
    consents = w.read(
        lambda s: [
            (c.kind, c.granted)
            for c in s.exec(select(Consent).where(Consent.person_id == athlete_id))
        ]
    )
    # No clinician invited them: only storing is consented to (sharing is asked on /link).
    assert sorted(consents) == [("store_health_data", True)]
    injury = w.read(lambda s: latest_injury(s, athlete_id=athlete_id))
    assert injury.injury == "hamstring" and injury.side == "left" and injury.grade == 1
    assert injury.mechanism == "sprint"
    baseline = w.read(lambda s: latest_baseline(s, athlete_id=athlete_id))
    assert baseline.vmax_ms == 9.0 and baseline.split_10m_s == 1.8
    programme = w.read(lambda s: s.exec(select(Programme)).one())
    assert programme.current_stage == "H0" and programme.protocol_name == "hamstring"
    assert "Stage 1 of 8 · protect and walk" in alex.last and "H0" not in alex.last
    assert "confirm the diagnosis" in alex.last


async def test_a_red_flag_stops_at_once_and_reaches_the_clinician(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await alex.say("/checkin")
    await alex.tap("▫️ Chest pain or breathlessness")
    replies = await alex.tap("Done")
    assert len(replies) == 2 and replies[0].edited
    text = replies[-1].text or ""
    # An emergency opens with the call to make, the number where they are.
    assert text.startswith("🚨 Call 112 now") and "Do not drive yourself" in text
    assert "112" in text  # Berlin: the local emergency number
    progress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
    )
    assert progress.status == "done" and progress.answers == {"red_flags": ["chest_breathless"]}
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert [a.severity for a in alerts] == ["emergency"]
    assert await w.deliver() >= 1
    received = [m.text or "" for m in clinician.bot_messages]
    assert any("chest pain or breathlessness" in t for t in received), received


async def test_session_report_with_a_metrics_line_is_echoed_confirmed_and_decided(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="vmax 9.0")
    await alex.morning()
    await s_items(alex)
    # H0 asks the stage's functional checks before the metrics
    while "Any numbers from today" not in alex.last:
        await alex.tap("0") if "10 = worst imaginable" in alex.last else await alex.tap("Yes")
    replies = await alex.say("10m 1.2 vmax 60")
    problems = replies[0].text or ""
    assert "10 m split 1.2 s looks wrong" in problems and "60 m/s" in problems
    assert "Any numbers from today" in (replies[-1].text or "")
    replies = await alex.say("10m=1,92 30m 4.3 vmax 31 km/h hop 92%")
    echo = replies[-1].text or ""
    assert "I understood" in echo and "10 m split: 1.92 s" in echo and "8.61 m/s" in echo
    assert "hop distance compared with your other leg: 92 %" in echo
    await alex.tap("No, type again")
    assert "Any numbers from today" in alex.last
    await alex.say("10m 1.92 vmax 8.6")
    replies = await alex.tap("Yes, save")
    decision_text = replies[-1].text or ""
    assert "Session saved" in decision_text and "Next:" in decision_text
    assert decision_text.splitlines()[0][0] in "✅⬆↩🟡"
    report = w.read(lambda s: s.exec(select(SessionReportRecord)).one())
    assert report.answers["completion"] == "full" and report.answers["minutes"] == 45
    assert report.answers["metrics"] == {"vmax_ms": 8.6, "split_10m_s": 1.92, "top_pct_vmax": 95.6}
    assert report.answers["checks"]  # the stage's checks were stored with the report
    daily = w.read(lambda s: s.exec(select(Decision).where(Decision.kind == "daily")).one())
    assert daily.outcome in ("hold", "progress", "step_back")
    assert daily.decision["reasons"] and daily.protocol_name == "hamstring"


async def test_a_restart_mid_questionnaire_resumes_where_it_stopped(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    await alex.tap("1")
    shown = alex.user.last_bot_message
    await w.telegram.restart()
    replies = await alex.tap("2", shown)  # the buttons shown before the restart still work
    assert "Tightness" in (replies[-1].text or "")
    assert _morning_progress(w).answers == {"red_flags": [], "pain_rest": 1, "pain_test": 2}
    await w.telegram.restart()
    replies = await alex.say("no idea")  # typed text reaches the same open question
    assert "0 to 10" in (replies[0].text or "") and "Tightness" in (replies[-1].text or "")
