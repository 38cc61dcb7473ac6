"""Finding 6: nothing about a person is stored before consent beyond what the invite flow
needs; a clinician invite works for anyone who has not onboarded as an athlete; /delete works
for someone who only sent /start."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.services import texts
from bot.store.db import session_scope
from bot.store.models import AuditLog, Person, QuestionnaireProgress
from tests.athlete.conftest import Phone
from tests.clinician.conftest import World
from tests.hardening.conftest import ADMIN, WorldFactory, audited, say


def _person(w: World, telegram_id: int) -> Person | None:
    with session_scope(w.engine, read_only=True) as session:
        return session.exec(select(Person).where(Person.telegram_user_id == telegram_id)).first()


def _rows(w: World, table: type, **where: int) -> int:
    with session_scope(w.engine, read_only=True) as session:
        query = select(table)
        for column, value in where.items():
            query = query.where(getattr(table, column) == value)
        return len(session.exec(query).all())


async def test_a_start_before_the_clinician_link_does_not_lock_anyone_out(
    world: WorldFactory,
) -> None:
    w = await world()
    kim = w.sandbox.user(2001, "Kim", last_name="Ode")
    assert "Sprintback" in await say(kim, "/start")
    early = _person(w, 2001)
    assert early is not None and early.role == "athlete"
    assert early.display_name == ""  # no name before consent
    assert _rows(w, QuestionnaireProgress, athlete_id=early.id or 0) == 1

    admin = w.sandbox.user(ADMIN, "Ada")
    code = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert code is not None
    assert "You are now a clinician" in await say(kim, f"/start {code.group(1)}")
    kim_row = _person(w, 2001)
    assert kim_row is not None and kim_row.role == "clinician"
    assert kim_row.id == early.id and kim_row.display_name == "Kim Ode"
    assert _rows(w, QuestionnaireProgress, athlete_id=early.id or 0) == 0
    [redeemed] = audited(w, "redeem_invite")
    assert redeemed.detail == {"kind": "clinician", "replaced": "unfinished athlete sign-up"}
    assert "Athlete invite" in await say(kim, "/invite")


async def test_delete_after_start_alone_removes_everything_and_strangers_store_nothing(
    world: WorldFactory,
) -> None:
    w = await world()
    sam = w.sandbox.user(3001, "Sam")
    await say(sam, "/start")
    sam_id = (_person(w, 3001) or Person()).id
    assert await say(sam, "/delete") == str(texts.SIGNUP_DELETED)
    assert _person(w, 3001) is None
    assert _rows(w, QuestionnaireProgress) == 0
    [deleted] = audited(w, "delete")
    assert deleted.athlete_id == sam_id

    stranger = w.sandbox.user(4242, "Mallory")
    assert await say(stranger, "/delete") == str(texts.NOTHING_STORED)
    assert "/start" in await say(stranger, "hello there")
    assert _person(w, 4242) is None
    with session_scope(w.engine, read_only=True) as session:
        entries = session.exec(select(AuditLog)).all()
    assert all(e.detail.get("telegram_id") != 4242 for e in entries)


async def test_the_name_is_stored_when_the_athlete_consents(world: WorldFactory) -> None:
    w = await world()
    alex = Phone(w.sandbox.user(1001, "Alex", last_name="Runner"), w)  # type: ignore[arg-type]
    await alex.onboard()
    person = _person(w, 1001)
    assert person is not None and person.display_name == "Alex Runner"
