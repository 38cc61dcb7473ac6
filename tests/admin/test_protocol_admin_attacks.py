"""The protocol-editing flow attacked as a hostile or careless admin would, and by two admins on
two replicas at once, through the real bot (SQLite and PostgreSQL):

- two publishes from the same active version: one is published, the other is told its draft
  is stale (on PostgreSQL the second used to be published too, silently undoing the first);
- a publish while another replica's decision moves an athlete into a stage the new text drops:
  the athlete is never left in a stage their version lacks;
- a hamstring text stored as the calf protocol (calf athletes are started on the protocol
  named ``calf``) or a text renamed with /protocol set is refused, naming what is expected;
- a whole number of hundreds or thousands of digits is refused in words, not with the
  generic error;
- a rollback to the text already in force changes nothing;
- a file with more than ten problems says how many more there are.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import yaml
from sqlmodel import Session, select

from bot.handlers.errors import USER_MESSAGE
from bot.sandbox import SimUser
from bot.services import protocol_admin as pa
from bot.services.protocol_files import PROTOCOL_DIR
from bot.store.db import retrying, session_scope
from bot.store.models import Programme, ProtocolVersion
from bot.store.repo.programme import lock_programme, move_stage
from bot.store.repo.protocols import publish_protocol_version
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]
SHIPPED = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")
RACE_WAIT = 1.5  # how long the other replica is given before this one goes on


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def upload(user: SimUser, text: str, filename: str = "hamstring.yaml") -> str:
    await user.send_document(filename, text.encode())
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


def versions(w: World, name: str = "hamstring") -> list[tuple[int, bool, str]]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion).where(ProtocolVersion.name == name))
        return sorted((r.version, r.active, r.note) for r in rows)


def no_generic_error(admin: SimUser) -> None:
    assert all(m.text != USER_MESSAGE for m in admin.bot_messages), admin.format_transcript()


def race_in_publish(monkeypatch: pytest.MonkeyPatch, other_replica: Callable[[], None]) -> None:
    """Run ``other_replica`` on its own thread (its own connection) once the bot's publish has
    read the running programmes, and give it :data:`RACE_WAIT` seconds before going on: as if
    another replica acted at that very moment."""
    real = pa._programmes_on
    started: list[threading.Thread] = []

    def racing(session: Session, name: str) -> list[Programme]:
        found = real(session, name)
        if not started:
            started.append(threading.Thread(target=other_replica, daemon=True))
            started[0].start()
            started[0].join(timeout=RACE_WAIT)
        return found

    monkeypatch.setattr(pa, "_programmes_on", racing)


async def test_two_admins_publishing_at_once_never_undo_each_other(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ada publishes her H3 edit while another admin, on another replica, publishes an H2 edit
    made from the same v1. Exactly one is published; the other is refused as stale. (On
    PostgreSQL both were published: v3 carried Ada's draft of v1 and silently undid v2.)"""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    now = w.clock.now()
    with session_scope(w.engine) as session:
        other = pa.draft_from_set(session, "hamstring", "H2", "min_days.value", "9", now)
    outcome: list[object] = []

    def publish_other() -> int:
        with session_scope(w.engine) as session:
            return pa.publish(session, other, None, now).version

    def other_admin_publishes() -> None:
        try:
            outcome.append(retrying(publish_other))  # as the bot does on a lock timeout
        except Exception as exc:  # what the other replica's admin would be told
            outcome.append(exc)

    race_in_publish(monkeypatch, other_admin_publishes)
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms), timeout=15)
    for _ in range(100):  # the other replica finishes once Ada's publish has committed
        if outcome:
            break
        await asyncio.sleep(0.1)
    assert [(v, a) for v, a, _n in versions(w)] == [(1, False), (2, True)], versions(w)
    assert "hamstring v2 is published and active" in (admin.last_bot_message.text or "")
    [refused] = outcome
    assert isinstance(refused, pa.StaleDraftError), refused
    assert "now at v2, the draft was made from v1" in str(refused)


def _with_h8(text: str) -> str:
    """The protocol with an extra stage H8 (a copy of H4) between H4 and H5."""
    data = yaml.safe_load(text)
    h4 = next(s for s in data["stages"] if s["id"] == "H4")
    data["stages"].insert(5, {**copy.deepcopy(h4), "id": "H8", "name": "Extra HV block"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


async def test_a_publish_never_strands_an_athlete_another_replica_moves_meanwhile(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v2 has an extra stage H8 after H4; Ada publishes a text without it while, on another
    replica, a decision moves Anna from H4 to the next stage of her version. Anna must end in
    a stage of the version she is on (on PostgreSQL she was left in H8 on a version without
    H8, where no decision could find her stage)."""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")  # seeds v1
    with session_scope(w.engine) as session:
        publish_protocol_version(
            session,
            name="hamstring",
            text=_with_h8(SHIPPED),
            author_id=None,
            now=w.clock.now(),
            note="with H8",
        )
    anna = w.add_athlete(3001, "Anna", stage="H4")
    assert "Not accepted" not in await upload(admin, SHIPPED)  # a draft without H8
    now = w.clock.now()

    def move_anna() -> None:
        # As a decision does: lock the programme, read its version, move to the next stage.
        with session_scope(w.engine) as session:
            programme = lock_programme(session, athlete_id=anna)
            assert programme is not None and programme.id is not None
            protocol = pa.programme_protocol(session, programme, now)
            assert protocol is not None
            after = protocol.next_stage(programme.current_stage)
            assert after is not None
            move_stage(session, programme_id=programme.id, to_stage=after, now=now, reason="met")

    def decision_moves_anna() -> None:
        retrying(move_anna)  # as a decision does on a lock timeout

    race_in_publish(monkeypatch, decision_moves_anna)
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("ublished" in (m.text or "") for m in ms), timeout=15)
    for _ in range(100):
        with session_scope(w.engine, read_only=True) as session:
            programme = session.exec(select(Programme).where(Programme.athlete_id == anna)).one()
        if programme.current_stage != "H4":
            break
        await asyncio.sleep(0.1)
    with session_scope(w.engine, read_only=True) as session:
        protocol = pa.programme_protocol(session, programme, now)
    assert protocol is not None
    assert programme.current_stage in {s.id for s in protocol.stages}, (
        programme.current_stage,
        programme.protocol_version,
    )
    # The decision waited for the publish, then read the new version: H4 leads to H5 there.
    assert (programme.current_stage, programme.protocol_version) == ("H5", 3)


async def test_a_text_cannot_serve_another_injury_or_take_another_name(
    world: WorldFactory,
) -> None:
    """Athletes are started on the protocol named after their injury: the hamstring file
    uploaded as ``calf`` would have taken calf athletes through hamstring stages."""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    reply = await upload(admin, SHIPPED.replace("name: hamstring", "name: calf", 1), "calf.yaml")
    assert "Not accepted; the active version is unchanged." in reply, reply
    assert (
        "calf: athletes with a calf injury are started on the protocol named calf, but this "
        "text is for a hamstring injury: expected injury: calf" in reply
    ), reply

    # The calf text made a hamstring text: why comes first, before each calf floor it fails.
    reply = await say(admin, "/protocol set calf - injury hamstring")
    assert reply.splitlines()[1] == (
        "calf: athletes with a calf injury are started on the protocol named calf, but this "
        "text is for a hamstring injury: expected injury: calf (or give the text a name of "
        "its own)"
    ), reply
    calf = (PROTOCOL_DIR / "calf.yaml").read_text(encoding="utf-8")
    reply = await upload(admin, calf.replace("injury: calf", "injury: hamstring", 1), "c.yaml")
    assert reply.splitlines()[1].startswith("calf: athletes with a calf injury"), reply

    reply = await say(admin, "/protocol set hamstring - name calf")
    assert "Not accepted" in reply, reply
    assert "a protocol cannot be renamed: expected name: hamstring" in reply, reply

    # A name of its own is a new protocol nobody is started on: that is allowed.
    reply = await upload(admin, SHIPPED.replace("name: hamstring", "name: hamstring_b", 1))
    assert "Draft of hamstring_b" in reply, reply
    assert all("✅ Publish" not in m.button_labels for m in admin.bot_messages[:-1])
    assert [v for v, _a, _n in versions(w, "calf")] == [1]
    assert [v for v, _a, _n in versions(w)] == [1]
    no_generic_error(admin)


async def test_a_number_of_hundreds_of_digits_is_refused_in_words(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    reply = await say(admin, "/protocol set hamstring H3 min_days.value " + "9" * 400)
    assert "Not accepted; the active version is unchanged." in reply, reply
    assert "a whole number of 400 characters: expected at most 15" in reply, reply

    huge = SHIPPED.replace(
        'min_days: {value: 4, evidence: U, source: "Reference §2.2 H3"}',
        "min_days: {value: " + "9" * 5000 + ', evidence: U, source: "Reference §2.2 H3"}',
    )
    assert huge != SHIPPED
    reply = await upload(admin, huge)
    assert "Not accepted" in reply and "a whole number of 5,000 characters" in reply, reply
    assert [v for v, _a, _n in versions(w)] == [1]
    no_generic_error(admin)


async def test_a_rollback_to_the_text_in_force_changes_nothing(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("v2 is published" in (m.text or "") for m in ms))
    assert "Roll hamstring back to v1?" in await say(admin, "/protocol rollback hamstring 1")
    await admin.press("✅ Confirm rollback")
    await admin.wait_until(lambda ms: any("published again as v3" in (m.text or "") for m in ms))

    # A second admin rolls back to v1 too, a moment later: nothing is left to undo.
    reply = await say(admin, "/protocol rollback hamstring 1")
    assert "Not accepted; the active version is unchanged." in reply, reply
    assert "hamstring: the text of v1 is already in force, as v3" in reply, reply
    assert [(v, a) for v, a, _n in versions(w)] == [(1, False), (2, False), (3, True)]


async def test_a_file_with_many_problems_says_how_many_more(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    data: dict[str, Any] = yaml.safe_load(SHIPPED)
    for stage in data["stages"]:  # 8 stages, 2 problems each
        stage["min_days"]["value"] = "four"
        stage["min_sessions"]["value"] = "two"
    reply = await upload(admin, yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert "Not accepted" in reply, reply
    problems = [line for line in reply.splitlines() if line.startswith("hamstring.yaml: ")]
    assert len(problems) == 10, reply
    assert reply.splitlines()[-1] == "… and 6 more", reply


async def test_a_difference_too_long_for_a_message_comes_whole_as_a_file(
    world: WorldFactory,
) -> None:
    """A draft whose difference runs past what one message shows used to end "… (truncated)"
    above the Publish button: the admin could publish changes they never saw."""
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    data: dict[str, Any] = yaml.safe_load(SHIPPED)
    lines = [f"Edit {n}: a note on the change made to the protocol today." for n in range(120)]
    data["notes"] = data["notes"] + "\n" + "\n".join(lines) + "\nLAST EDIT OF THE DRAFT."
    await admin.send_document("hamstring.yaml", yaml.safe_dump(data, allow_unicode=True).encode())
    found = await admin.wait_until(lambda ms: any("Draft of" in (m.text or "") for m in ms))
    reply = "\n".join(m.text or "" for m in found)
    assert "… (truncated)" in reply, reply
    assert "The whole difference follows as a file." in reply, reply
    draft = next(m for m in found if "Draft of" in (m.text or ""))
    assert "✅ Publish" in str(draft.inline_keyboard), draft  # the start of it carries Publish
    await admin.wait_until(lambda ms: bool(admin.documents))
    files = [f for f in admin.documents if (f.filename or "").endswith(".diff")]
    assert [f.filename for f in files] == ["hamstring-draft-from-v1.diff"], files
    whole = files[0].data.decode()
    assert "LAST EDIT OF THE DRAFT." in whole and "Edit 119" in whole, whole[-300:]
