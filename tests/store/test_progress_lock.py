"""Answering locks the questionnaire row and reads it as another process left it."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import Engine, update
from sqlalchemy.engine import make_url

from bot.services.athlete.questionnaire import _locked
from bot.store import db, repo
from bot.store.models import QuestionnaireProgress
from tests.store.factories import DAY0, T0, person


def test_the_locked_row_is_the_one_another_process_just_committed(
    engine: Engine, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE: there is no row lock")
    with db.session_scope(engine) as s:
        athlete = person(s)
        started = repo.start_questionnaire(
            s, athlete_id=athlete.id, kind="morning", local_date=DAY0, now=T0
        )
        progress_id = started.id
    later = T0.replace(minute=45)
    with db.session_scope(engine) as s:
        progress = repo.get_questionnaire(s, progress_id=progress_id)
        assert progress is not None and progress.step == 0
        # Meanwhile another process answers the first question and shows the second.
        with db.session_scope(engine) as other:
            other.execute(
                update(QuestionnaireProgress)
                .where(QuestionnaireProgress.id == progress_id)  # type: ignore[arg-type]
                .values(
                    answers={"red_flags": []}, step=1, message_id=77, shown_step=1, updated_at=later
                )
            )
        locked = _locked(s, progress)
        assert (locked.step, locked.answers, locked.message_id, locked.shown_step) == (
            1,
            {"red_flags": []},
            77,
            1,
        )
        assert locked.updated_at == later and locked.status == "open"
        assert not s.dirty  # taken as stored, nothing to write back
        # The row is held until this transaction ends: another process cannot take it.
        url = make_url(engine.url.render_as_string(hide_password=False))
        with (
            psycopg.connect(
                url.set(drivername="postgresql").render_as_string(hide_password=False)
            ) as holder,
            pytest.raises(psycopg.errors.LockNotAvailable),
        ):
            holder.execute(
                "SELECT id FROM questionnaire_progress WHERE id = %s FOR UPDATE NOWAIT",
                (progress_id,),
            )
    # Closed by another process meanwhile: the status says so (the caller looks again).
    with db.session_scope(engine) as s:
        progress = repo.get_questionnaire(s, progress_id=progress_id)
        assert progress is not None
        with db.session_scope(engine) as other:
            repo.finish_questionnaire(other, progress_id=progress_id, now=later, status="cancelled")
        assert _locked(s, progress).status == "cancelled"
