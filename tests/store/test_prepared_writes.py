"""Rows written with prepared statements behave like ORM writes when a savepoint rolls back.

The answer path runs the engine inside a savepoint so that a failing run keeps the athlete's
answer and still alerts the clinician. What the failed run wrote must vanish from the session
too: a message it queued must not block the clinician's alert queued next, and a snapshot it
saved must read as the stored one again.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.store import db, repo
from bot.store.models import Decision, Outbox, Programme
from tests.store.factories import DAY0, T0, person


def _programme(s: Session, athlete_id: int) -> Programme:
    return repo.start_programme(
        s,
        athlete_id=athlete_id,
        protocol_name="hamstring",
        protocol_version=1,
        first_stage="H0",
        start_date=DAY0,
        now=T0,
        state_json="before",
    )


def test_a_rolled_back_savepoint_leaves_no_ghost_rows_in_the_session(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
        assert athlete.id is not None
        programme = _programme(s, athlete.id)
        assert programme.id is not None
        with pytest.raises(RuntimeError), s.begin_nested():  # a failing engine run
            repo.save_programme_state(s, programme_id=programme.id, state_json="during", now=T0)
            repo.record_decision(
                s,
                athlete_id=athlete.id,
                local_date=DAY0,
                kind="daily",
                outcome="hold",
                decision={"reasons": []},
                protocol_name="hamstring",
                protocol_version=1,
                now=T0,
            )
            repo.enqueue_message(
                s, chat_id=1, text="chart", kind="progress_chart", now=T0, dedupe_key="c"
            )
            raise RuntimeError("the engine run failed")
        assert programme.state_json == "before"  # read back, not the rolled-back value
        # The clinician's alert queued after the failure is stored (no clash with the ghost).
        alert = repo.enqueue_message(
            s, chat_id=2, text="please review", kind="clinician_alert", now=T0, dedupe_key="a"
        )
        assert alert.id is not None
    with db.session_scope(engine, read_only=True) as s:
        assert [o.text for o in s.exec(select(Outbox))] == ["please review"]
        assert s.exec(select(Decision)).all() == []
        stored = s.get(Programme, programme.id)
        assert stored is not None and stored.state_json == "before"


def test_rows_written_in_a_committed_savepoint_stay(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s)
        assert athlete.id is not None
        programme = _programme(s, athlete.id)
        assert programme.id is not None
        with s.begin_nested():
            repo.save_programme_state(s, programme_id=programme.id, state_json="after", now=T0)
            repo.enqueue_message(s, chat_id=1, text="go", kind="verdict", now=T0, dedupe_key="g")
        assert programme.state_json == "after"
    with db.session_scope(engine, read_only=True) as s:
        assert [o.text for o in s.exec(select(Outbox))] == ["go"]
        stored = s.get(Programme, programme.id)
        assert stored is not None and stored.state_json == "after"
