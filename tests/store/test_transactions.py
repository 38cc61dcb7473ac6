"""Writes that belong together commit together; redelivered updates are ignored."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from bot.store import db, repo
from bot.store.models import AuditLog, Decision, InboxUpdate, MorningCheckinRecord, Outbox
from tests.store.factories import DAY0, MORNING, T0, person


def _handle_morning_update(
    s: Session, *, update_id: int, athlete_id: int, chat_id: int, fail_at: str | None
) -> bool:
    """What the bot does for one check-in answer: mark, store, decide, queue messages."""
    if not repo.mark_update_processed(s, update_id=update_id, now=T0):
        return False
    repo.upsert_morning_checkin(
        s,
        athlete_id=athlete_id,
        local_date=DAY0,
        answers=MORNING,
        answered_at=T0,
        utc_offset_minutes=60,
    )
    if fail_at == "decision":
        # A database error half-way: the decision names an athlete that does not exist.
        athlete_id = 987_654
    repo.record_decision(
        s,
        athlete_id=athlete_id,
        local_date=DAY0,
        kind="morning",
        outcome="go",
        decision={"verdict": "go", "reasons": [{"rule": "M1", "text": "no pain"}]},
        protocol_name="hamstring",
        protocol_version=1,
        now=T0,
    )
    s.flush()
    repo.enqueue_message(s, chat_id=chat_id, text="Go!", kind="verdict", now=T0)
    if fail_at == "after_messages":
        raise RuntimeError("sending crashed before commit")
    return True


def _counts(engine: Engine) -> dict[str, int]:
    with db.session_scope(engine, read_only=True) as s:
        return {
            model.__tablename__: s.exec(select(func.count()).select_from(model)).one()  # type: ignore[attr-defined]
            for model in (InboxUpdate, MorningCheckinRecord, Decision, Outbox)
        }


@pytest.mark.parametrize("fail_at", ["decision", "after_messages"])
def test_a_failure_half_way_leaves_nothing_behind(engine: Engine, fail_at: str) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
    with pytest.raises(Exception), db.session_scope(engine) as s:  # noqa: B017 (either error)
        _handle_morning_update(
            s, update_id=1, athlete_id=athlete.id, chat_id=athlete.chat_id, fail_at=fail_at
        )
    assert _counts(engine) == {
        "inbox_update": 0,
        "morning_checkin": 0,
        "decision": 0,
        "outbox": 0,
    }
    # Telegram redelivers the update; this time it goes through, once.
    with db.session_scope(engine) as s:
        assert _handle_morning_update(
            s, update_id=1, athlete_id=athlete.id, chat_id=athlete.chat_id, fail_at=None
        )
    assert _counts(engine) == {
        "inbox_update": 1,
        "morning_checkin": 1,
        "decision": 1,
        "outbox": 1,
    }


def test_a_redelivered_update_is_ignored(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
    for _ in range(3):
        with db.session_scope(engine) as s:
            _handle_morning_update(
                s, update_id=2**40, athlete_id=athlete.id, chat_id=athlete.chat_id, fail_at=None
            )
    assert _counts(engine)["outbox"] == 1
    with db.session_scope(engine) as s:
        assert repo.mark_update_processed(s, update_id=2**40, now=T0) is False
        assert repo.mark_update_processed(s, update_id=2**40 + 1, now=T0) is True


def test_old_update_ids_can_be_pruned(engine: Engine) -> None:
    import datetime as dt

    from bot.store.repo.inbox import mark_done

    with db.session_scope(engine) as s:
        repo.mark_update_processed(s, update_id=1, now=T0)
        repo.mark_update_processed(s, update_id=2, now=T0 + dt.timedelta(days=2))
        mark_done(s, update_ids=[1, 2], now=T0, worker="w")
    with db.session_scope(engine) as s:
        assert repo.prune_done(s, before=T0 + dt.timedelta(days=1)) == 1
    with db.session_scope(engine) as s:
        assert repo.mark_update_processed(s, update_id=2, now=T0) is False


def test_a_corrected_answer_replaces_the_row_and_keeps_the_old_one_in_the_audit(
    engine: Engine,
) -> None:
    import datetime as dt

    with db.session_scope(engine) as s:
        athlete = person(s)
        repo.upsert_morning_checkin(
            s,
            athlete_id=athlete.id,
            local_date=DAY0,
            answers=MORNING,
            answered_at=T0,
            utc_offset_minutes=60,
        )
    corrected = MORNING.model_copy(update={"pain_test": 4})
    later = T0 + dt.timedelta(minutes=5)
    with db.session_scope(engine) as s:
        row = repo.upsert_morning_checkin(
            s,
            athlete_id=athlete.id,
            local_date=DAY0,
            answers=corrected,
            answered_at=later,
            utc_offset_minutes=60,
        )
        assert row.answered_at == later
    with db.session_scope(engine, read_only=True) as s:
        assert repo.get_morning_checkin(s, athlete_id=athlete.id, local_date=DAY0) == corrected
        assert len(s.exec(select(MorningCheckinRecord)).all()) == 1
        entries = s.exec(select(AuditLog).where(AuditLog.action == "correct_answer")).all()
    assert len(entries) == 1
    assert entries[0].detail["previous"]["pain_test"] == 1
    assert entries[0].detail["previous_answered_at"] == T0.isoformat()
