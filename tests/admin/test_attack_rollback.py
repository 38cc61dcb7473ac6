"""A rollback typed right after another admin published, and what an admin reads when a
rollback, a publish or a value is refused, through the real bot (SQLite and PostgreSQL).

Before: ``/protocol rollback hamstring 1`` typed a minute after Bo published v3 silently undid
v3 too, and neither admin was told; a rollback to a version without the stage an athlete is in
was told to "keep those stages" (a rollback's text cannot be edited), and one stage read as
"stages H8 are"; a value out of range read as pydantic's "Input should be greater than or
equal to 0"; a file of repeated aliases or nested too deep was told what was wrong, not what
is expected.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.handlers.errors import USER_MESSAGE
from bot.sandbox import SimUser
from bot.settings import Settings
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]
OTHER_ADMIN = 9001
REFUSED = "Not accepted; the active version is unchanged."


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    """The tests' settings with a second admin."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'sprintback-test.sqlite3'}",
        admin_telegram_ids=[ADMIN, OTHER_ADMIN],
    )


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def upload(user: SimUser, data: bytes, filename: str = "hamstring.yaml") -> str:
    await user.send_document(filename, data)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def publish(admin: SimUser) -> None:
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("is published" in (m.text or "") for m in ms))


async def confirm(admin: SimUser) -> str:
    """Press the rollback offer's Confirm; return what the bot then wrote."""
    await admin.press("✅ Confirm rollback")
    done = "is published again as"
    found = await admin.wait_until(lambda ms: any(done in (m.text or "") for m in ms))
    return "\n".join(m.text or "" for m in found if done in (m.text or ""))


def versions(w: World) -> list[int]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion).where(ProtocolVersion.name == "hamstring"))
        return sorted(r.version for r in rows)


def active_text(w: World) -> str:
    with session_scope(w.engine, read_only=True) as session:
        row = session.exec(
            select(ProtocolVersion).where(
                ProtocolVersion.name == "hamstring",
                ProtocolVersion.active == True,  # noqa: E712
            )
        ).one()
        return row.text


def with_h8(text: str) -> str:
    """The protocol with an extra stage H8 (a copy of H4) between H4 and H5."""
    data: dict[str, Any] = yaml.safe_load(text)
    h4 = next(s for s in data["stages"] if s["id"] == "H4")
    data["stages"].insert(5, {**copy.deepcopy(h4), "id": "H8", "name": "Extra HV block"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


async def test_a_rollback_names_what_it_undoes_and_tells_the_admin_whose_version_it_was(
    world: WorldFactory,
) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    bo = w.sandbox.user(OTHER_ADMIN, "Bo")
    assert "Draft of" in await say(ada, "/protocol set hamstring H3 min_days.value 8")
    await publish(ada)  # v2, Ada's
    w.clock.advance(dt.timedelta(minutes=30))
    assert "Draft of" in await say(bo, "/protocol set hamstring H2 min_days.value 9")
    await publish(bo)  # v3, Bo's, which Ada has not seen
    w.clock.advance(dt.timedelta(minutes=2))

    reply = await say(ada, "/protocol rollback hamstring 1")  # meant to undo her own v2
    assert (
        "This rollback undoes:\n"
        "• v3, published 2 minutes ago by Bo\n"
        "• v2, published 32 minutes ago by you\n"
        "Bo will be told.\n"
    ) in reply, reply
    assert versions(w) == [1, 2, 3]  # shown first: nothing is undone before Confirm
    reply = await confirm(ada)
    assert reply == (
        "hamstring: the text of v1 is published again as v4 (active). Athletes move to it at "
        "their next decision.\n"
        "Bo has been told."
    ), reply
    assert versions(w) == [1, 2, 3, 4]
    await w.deliver()
    told = [m.text or "" for m in bo.bot_messages]
    assert told[-1] == (
        "Ada rolled hamstring back to v1 (in force now as v4), which undoes your v3. "
        "/protocol diff hamstring 3 shows what was undone; /protocol rollback hamstring 3 "
        "brings it back."
    ), told

    # Bo brings his v3 back: that undoes Ada's v4, a rollback of her own (she is told too).
    reply = await say(bo, "/protocol rollback hamstring 3")
    assert "• v4, published just now by Ada" in reply and "Ada will be told." in reply, reply
    reply = await confirm(bo)
    assert "published again as v5" in reply and reply.endswith("Ada has been told."), reply


async def test_a_rollback_to_a_version_without_an_athletes_stage_says_the_way_out(
    world: WorldFactory,
) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")  # seeds v1
    assert "Draft of" in await upload(ada, with_h8(active_text(w)).encode())
    await publish(ada)  # v2 has H8
    w.add_athlete(3001, "Anna", stage="H8")
    reply = await say(ada, "/protocol rollback hamstring 1")
    assert reply == (
        REFUSED + "\nhamstring: 1 athlete is in H8, which v1 does not have: have the athlete's "
        "clinician move them with /stage first, or roll back to a version that has H8 "
        "(/protocol history hamstring)"
    ), reply
    assert versions(w) == [1, 2]

    # A draft without H8: one stage reads as one stage, and the way out is an edit.
    await upload(ada, _shipped().encode())
    report = await say(ada, "/protocol dryrun hamstring")
    assert (
        "⚠️ hamstring: 1 athlete is in H8, which the new text does not have: keep H8 in the "
        "text, or have the athlete's clinician move them with /stage first"
    ) in report, report
    assert "stages H8 are" not in report


def _shipped() -> str:
    from bot.services.protocol_files import PROTOCOL_DIR

    return (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")


async def test_out_of_range_and_malformed_values_say_what_is_expected(
    world: WorldFactory,
) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")
    cases = [
        ("H3 min_days.value -3", "stage 4 (H3), min_days.value: expected at least 0, not -3"),
        (
            "H3 min_days.value 1000",
            "stage 4 (H3), min_days.value: expected at most 365, not 1000",
        ),
        (
            "H3 session[0].distance_m 0",
            "stage 4 (H3), session 1, distance_m: expected more than 0, not 0",
        ),
        (
            "H3 exit_criteria[H3a].id " + "a" * 45,
            "id: expected a text of at most 40 characters, found 45",
        ),
        (
            "H3 id h3",
            "id: expected a stage id: a capital letter and 1 or 2 digits, e.g. H3, not 'h3'",
        ),
    ]
    for typed, expected in cases:
        reply = await say(ada, f"/protocol set hamstring {typed}")
        assert reply.startswith(REFUSED) and expected in reply, (typed, reply)
        assert "Input should" not in reply and "String should" not in reply, reply
    assert versions(w) == [1]
    assert all(m.text != USER_MESSAGE for m in ada.bot_messages)


async def test_alias_bombs_and_deep_files_are_told_what_is_expected(world: WorldFactory) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada")
    await say(ada, "/protocols")
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{k}: &{k} [{', '.join([f'*{p}'] * 9)}]\n".encode()
        for p, k in zip("abcde", "bcdef", strict=True)
    )
    reply = await upload(ada, bomb, "bomb.yaml")
    assert reply == (
        REFUSED + "\nbomb.yaml: it holds more than 20,000 values once its aliases are "
        "expanded: expected at most 20,000, so write the values out instead of repeating "
        "aliases"
    ), reply
    deep = ("a: " + "[" * 30 + "]" * 30 + "\n").encode()
    reply = await upload(ada, deep, "deep.yaml")
    assert reply == (
        REFUSED + "\ndeep.yaml: it nests more than 20 levels deep: expected at most 20 levels "
        "of lists and mappings inside one another"
    ), reply
    assert versions(w) == [1]
