"""Staff steps waiting for their second part: one per person and kind, taken once, refused
once too old, and gone with the athlete they are about."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.store import db, repo
from bot.store.models import PendingStep
from bot.store.repo import pending_steps as steps
from bot.store.repo._common import StoreError
from tests.store.factories import T0, person

LEE = 2001


def _put(engine: Engine, kind: str, payload: dict[str, object], at: dt.datetime) -> None:
    with db.session_scope(engine) as s:
        steps.put_step(s, telegram_user_id=LEE, kind=kind, payload=payload, now=at)


def test_a_new_step_replaces_the_old_one_of_its_kind_only(engine: Engine) -> None:
    _put(engine, steps.INPUT, {"action": "message", "athlete_id": 1}, T0)
    _put(engine, steps.CONFIRM, {"action": "review"}, T0)
    _put(engine, steps.INPUT, {"action": "decline", "athlete_id": 2}, T0)
    with db.session_scope(engine, read_only=True) as s:
        waiting = steps.get_step(s, telegram_user_id=LEE, kind=steps.INPUT, now=T0)
        confirming = steps.get_step(s, telegram_user_id=LEE, kind=steps.CONFIRM, now=T0)
        other = steps.get_step(s, telegram_user_id=LEE + 1, kind=steps.INPUT, now=T0)
    assert waiting is not None and waiting.payload == {"action": "decline", "athlete_id": 2}
    assert confirming is not None and confirming.payload == {"action": "review"}
    assert other is None


def test_a_step_is_taken_once_even_by_two_replicas_at_once(engine: Engine) -> None:
    _put(engine, steps.INPUT, {"action": "message", "athlete_id": 1}, T0)
    taken: list[object] = []
    start = threading.Barrier(2)

    def take() -> None:
        start.wait()
        with db.session_scope(engine) as s:
            taken.append(steps.take_step(s, telegram_user_id=LEE, kind=steps.INPUT, now=T0))

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    found = [t for t in taken if t is not None]
    assert len(found) == 1 and len(taken) == 2


@pytest.mark.parametrize(
    ("kind", "age", "expired"),
    [
        (steps.INPUT, dt.timedelta(hours=12), False),
        (steps.INPUT, dt.timedelta(hours=12, seconds=1), True),
        (steps.CONFIRM, dt.timedelta(hours=13), True),
        (steps.DRAFT, dt.timedelta(days=6), False),
        (steps.DRAFT, dt.timedelta(days=7, minutes=1), True),
    ],
)
def test_a_step_past_its_age_comes_back_expired(
    engine: Engine, kind: str, age: dt.timedelta, expired: bool
) -> None:
    _put(engine, kind, {"name": "hamstring"}, T0)
    with db.session_scope(engine) as s:
        step = steps.take_step(s, telegram_user_id=LEE, kind=kind, now=T0 + age)
    assert step is not None and step.expired is expired
    assert step.created_at == T0


def test_housekeeping_removes_only_expired_steps(engine: Engine) -> None:
    _put(engine, steps.INPUT, {"action": "message"}, T0)
    _put(engine, steps.DRAFT, {"name": "hamstring"}, T0)
    with db.session_scope(engine) as s:
        assert steps.drop_expired_steps(s, now=T0 + dt.timedelta(days=1)) == 1
    with db.session_scope(engine, read_only=True) as s:
        assert [row.kind for row in s.exec(select(PendingStep))] == [steps.DRAFT]


def test_deleting_an_athlete_deletes_the_notes_waiting_about_them(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s, "athlete", name="Ben")
        assert athlete.id is not None
        steps.put_step(
            s,
            telegram_user_id=LEE,
            kind=steps.CONFIRM,
            payload={"action": "review", "note": "Ben: numbness settled"},
            now=T0,
            athlete_id=athlete.id,
        )
    with db.session_scope(engine) as s:
        deleted = repo.delete_athlete(s, athlete_id=athlete.id, actor_id=None, now=T0)
    assert deleted["pending_step"] == 1
    with db.session_scope(engine, read_only=True) as s:
        assert s.exec(select(PendingStep)).all() == []


def test_an_unknown_kind_is_refused_with_the_kinds_expected(engine: Engine) -> None:
    with db.session_scope(engine) as s, pytest.raises(StoreError, match="input, confirm, draft"):
        steps.put_step(s, telegram_user_id=LEE, kind="note", payload={}, now=T0)


def test_a_note_waiting_about_an_athlete_goes_with_the_link_and_stays_out_of_exports(
    engine: Engine,
) -> None:
    with db.session_scope(engine) as s:
        athlete = person(s, "athlete", name="Ben")
        clinician = person(s, "clinician", name="Lee")
        assert athlete.id is not None and clinician.id is not None
        repo.link_athlete(s, athlete_id=athlete.id, clinician_id=clinician.id, now=T0)
        steps.put_step(
            s,
            telegram_user_id=clinician.telegram_user_id,
            kind=steps.CONFIRM,
            payload={"action": "review", "note": "suspect nerve involvement"},
            now=T0,
            athlete_id=athlete.id,
        )
    with db.session_scope(engine, read_only=True) as s:
        exported = repo.export_athlete(s, athlete_id=athlete.id)
    assert "pending_step" not in exported
    assert "suspect nerve involvement" not in repo.export_json(exported)
    with db.session_scope(engine) as s:
        assert repo.unlink_athlete(s, athlete_id=athlete.id, clinician_id=clinician.id)
    with db.session_scope(engine, read_only=True) as s:
        assert s.exec(select(PendingStep)).all() == []
