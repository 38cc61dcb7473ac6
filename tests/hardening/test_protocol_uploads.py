"""Findings 8 (crafted YAML and names), 9 (uploads that could freeze the bot), 10 (path
traversal) and 14 (refused uploads audited), through the real bot.

- An alias bomb of honest size, a file nested 50,000 deep and a 20 MB file that claims to be
  1 kB are refused with the limit stated, audited, and nothing is drafted or published.
- The upload is handled in the background: another clinician is answered meanwhile.
- Protocol names match a strict pattern; ``/protocol show ../../x`` reads nothing outside
  ``protocols/`` and stores nothing.
- Uploads from athletes and strangers are refused and audited.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlmodel import select

from bot.handlers.admin import MAX_UPLOAD_BYTES
from bot.handlers.errors import USER_MESSAGE
from bot.sandbox import SimUser
from bot.services import protocol_admin as pa
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import make_clinician
from tests.hardening.conftest import ADMIN, WorldFactory, audited, refusals, say

SHIPPED = (pa.PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")


def _versions(w: World) -> list[tuple[str, int]]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion)).all()
        return sorted((r.name, r.version) for r in rows)


async def _upload(admin: SimUser, name: str, data: bytes, **kwargs: int) -> str:
    await admin.send_document(name, data, **kwargs)
    messages = await admin.wait_reply(timeout=20)
    return "\n".join(m.text or "" for m in messages)


def _no_draft(admin: SimUser) -> None:
    assert all("✅ Publish" not in m.button_labels for m in admin.bot_messages)
    assert all(m.text != USER_MESSAGE for m in admin.bot_messages), admin.format_transcript()


async def test_crafted_protocol_files_are_refused_with_the_limit_stated(
    world: WorldFactory,
) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    before = _versions(w)

    bomb = "x: &x [1, 2, 3, 4, 5, 6]\ny: [" + ", ".join(["*x"] * 20_000) + "]\n"
    assert len(bomb) < MAX_UPLOAD_BYTES
    reply = await _upload(admin, "hamstring.yaml", bomb.encode())
    assert "Not accepted" in reply and "20,000 values" in reply

    deep = "[" * 50_000 + "]" * 50_000
    reply = await _upload(admin, "hamstring.yaml", deep.encode())
    assert "Not accepted" in reply and "nesting depth" in reply

    huge = SHIPPED.encode() + b"#" * 20_000_000
    reply = await _upload(admin, "hamstring.yaml", huge, reported_size=1_000)
    assert f"must be under {MAX_UPLOAD_BYTES // 1000} kB" in reply

    evil = SHIPPED.replace("name: hamstring", 'name: "evil<b>&"', 1)
    reply = await _upload(admin, "evil.yaml", evil.encode())
    assert "Not accepted" in reply and str(pa.NAME_RULE) in reply
    assert "Not a protocol name" in await say(admin, "/protocol show evil<b>&")

    _no_draft(admin)
    assert _versions(w) == before
    refused = audited(w, "protocol_edit_refused")
    assert len(refused) == 4
    [read] = [e.detail for e in refused if e.detail.get("reason") == "too large (read)"]
    assert MAX_UPLOAD_BYTES < read["bytes"] < 2_000_000  # the download stopped early
    assert refusals(w, "/protocol show")


async def test_an_upload_is_handled_in_the_background(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another clinician is answered while an admin's file is still being parsed."""
    w = await world()
    lee = await make_clinician(w, 2001, "Lee")
    admin = w.sandbox.user(ADMIN, "Ada")
    parsing = threading.Event()
    check_shape = pa.check_shape

    def slow_check(text: str, source: str) -> None:
        parsing.set()
        time.sleep(1.5)  # a big file on a slow machine
        check_shape(text, source)

    monkeypatch.setattr(pa, "check_shape", slow_check)
    edited = SHIPPED.replace("version: 1", "version: 2", 1)
    await admin.send_document("hamstring.yaml", edited.encode())
    await lee.send("/athletes")
    [answer] = await lee.wait_reply()
    [offer] = await admin.wait_reply(timeout=20)
    assert parsing.is_set()
    assert answer.sent_seq < offer.sent_seq
    assert "✅ Publish" in offer.button_labels


async def test_protocol_names_are_checked_and_nothing_outside_protocols_is_read(
    world: WorldFactory, tmp_path: Path
) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    outside = tmp_path / "stolen.yaml"
    outside.write_text(SHIPPED.replace("name: hamstring", "name: stolen", 1), encoding="utf-8")
    relative = Path("../" * 12 + str(outside.with_suffix(""))[1:]).as_posix()
    await say(admin, "/protocols")
    before = _versions(w)
    for command in (f"/protocol show {relative}", f"/protocol history {relative}"):
        assert "Not a protocol name" in await say(admin, command), command
    assert _versions(w) == before
    assert len(refusals(w, "/protocol show")) == 1
    assert len(refusals(w, "/protocol history")) == 1
    # The read boundary holds even for a well-formed name that is a link leading outside.
    link = tmp_path / "shipped"
    link.mkdir()
    (link / "stolen.yaml").symlink_to(outside)
    assert pa.shipped_file("stolen", link) is None
    assert pa.shipped_file("hamstring") is not None


async def test_uploads_from_athletes_and_strangers_are_refused_and_audited(
    world: WorldFactory,
) -> None:
    w = await world()
    anna_id = w.add_athlete(3001, "Anna")
    anna = w.sandbox.user(3001, "Anna")
    stranger = w.sandbox.user(4242, "Mallory")
    lee = await make_clinician(w, 2001, "Lee")
    for user in (anna, stranger):
        reply = await _upload(user, "hamstring.yaml", SHIPPED.encode())
        assert "✅ Publish" not in reply
    await lee.send_document("notes.pdf", b"%PDF-1.4 not a protocol")
    await lee.wait_reply()
    uploads = refusals(w, "upload")
    by_id = {d["telegram_id"]: d for d in uploads}
    assert set(by_id) == {3001, 4242, 2001}
    assert by_id[4242]["reason"] == "not registered"
    assert by_id[3001]["bytes"] == len(SHIPPED.encode())
    assert [e.actor_id for e in audited(w, "refused") if e.detail.get("telegram_id") == 3001] == [
        anna_id
    ]
