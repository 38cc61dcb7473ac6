"""Regression guards for the safety review's bot findings: answers after local midnight, a
failed engine run, pain at rest at the stop threshold, clinician commands in groups, alert
messages at the same instant, /timezone for athletes."""

from __future__ import annotations

import contextlib

import pytest
from sqlmodel import select

from bot.store.models import AlertRecord
from tests.safety.test_bot_safety import WorldFactory, onboarded

GROUP = -1001234567


async def test_a_failed_engine_run_keeps_the_last_answer(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rule 3: an answer is stored the moment it is given, even if the engine run it triggers
    fails (a bug, a protocol that no longer loads). The athlete is told "your answers so far
    are saved"; the last answer and the completed check-in must really be there."""
    from bot import athlete_service
    from bot.store.models import MorningCheckinRecord, QuestionnaireProgress

    w = await world()
    alex, _ = await onboarded(w)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("engine failure for the test")

    monkeypatch.setattr(athlete_service, "run_today", broken)
    replies = await alex.morning(sleep_hours="7.5")
    assert "saved" in (replies[-1].text or "")
    progress = w.read(
        lambda s: s.exec(
            select(QuestionnaireProgress).where(QuestionnaireProgress.kind == "morning")
        ).one()
    )
    assert progress.answers.get("sleep_hours") == 7.5, progress.answers
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).all())
    assert len(stored) == 1


async def test_a_red_flag_is_kept_and_escalated_even_if_the_engine_run_fails(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rules 1 and 3 together: the red-flag answer completes the check-in at once; if the
    engine run then fails, the answer must still be stored and the clinician still alerted."""
    from bot import athlete_service
    from bot.store.models import MorningCheckinRecord

    w = await world()
    alex, _ = await onboarded(w)

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("engine failure for the test")

    monkeypatch.setattr(athlete_service, "run_today", broken)
    await alex.say("/checkin")
    await alex.tap("▫️ Felt a pop or sudden sharp pain")
    await alex.tap("Done")
    stored = w.read(lambda s: s.exec(select(MorningCheckinRecord)).all())
    assert len(stored) == 1 and stored[0].answers["red_flags"] == ["pop"]
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert alerts, "the red flag never reached the clinician"


async def test_sharp_pain_answered_after_local_midnight_still_reaches_the_clinician(
    world: WorldFactory,
) -> None:
    """Rules 1 and 3: an evening session's questionnaire answered just after local midnight.
    Pressing "Yes" to sharp pain / a pop must be stored and escalated, not refused as an
    expired button (press() refuses day-bound questionnaires of an earlier local date)."""
    import datetime as dt

    from bot.store.models import SessionReportRecord

    w = await world()
    alex, _ = await onboarded(w)
    w.clock.set(dt.datetime(2026, 3, 2, 22, 40, tzinfo=dt.UTC))  # 23:40 in Berlin
    await alex.morning()
    await alex.say("/done")
    await alex.tap("All of it")
    await alex.tap("6")
    await alex.tap("The injured spot")
    w.clock.set(dt.datetime(2026, 3, 2, 23, 5, tzinfo=dt.UTC))  # 00:05 in Berlin
    await alex.user.press("Yes")  # sharp pain, a pop or a grab
    with contextlib.suppress(AssertionError):  # no message: the press was answered "expired"
        await alex.user.wait_reply(timeout=3)
    notice = alex.user.last_callback_answer
    reports = w.read(lambda s: s.exec(select(SessionReportRecord)).all())
    assert [r.answers.get("sharp_pain") for r in reports] == [True], notice
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert any(a.severity == "same_day" for a in alerts), notice


async def test_pain_at_rest_4_stops_the_check_in_and_reaches_the_clinician(
    world: WorldFactory,
) -> None:
    """Pain at rest ≥ 4 is a tier-3 red flag (reference §5, protocol stop_pain_rest_min): the
    check-in must stop at once, like a ticked red flag, so a /cancel cannot swallow it."""
    w = await world()
    alex, _ = await onboarded(w)
    await alex.say("/checkin")
    await alex.tap("None of these ✅")
    replies = await alex.tap("6")
    await alex.say("/cancel")
    alerts = w.read(lambda s: s.exec(select(AlertRecord)).all())
    assert [a.severity for a in alerts] == ["within_24h"], [r.text for r in replies]
