"""Regression guards for the safety review's bot findings: answers after local midnight, a
failed engine run, pain at rest at the stop threshold, clinician commands in groups, alert
messages at the same instant, /timezone for athletes."""

from __future__ import annotations

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
