"""Hostile or careless input to /protocol set, /protocol rollback and uploads, as an admin on a
phone sends it, through the real bot (SQLite and PostgreSQL): every refusal says what was
wrong and what is expected, nothing is stored, and a file a phone names ``.YAML`` is read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.handlers.errors import USER_MESSAGE
from bot.sandbox import SimUser
from bot.services.protocol_files import PROTOCOL_DIR
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]
SHIPPED = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")
REFUSED = "Not accepted; the active version is unchanged."
H3_DAYS = 'min_days: {value: 4, evidence: U, source: "Reference §2.2 H3"}'


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def upload(user: SimUser, data: bytes, filename: str = "hamstring.yaml") -> str:
    await user.send_document(filename, data)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


def versions(w: World) -> list[int]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(ProtocolVersion).where(ProtocolVersion.name == "hamstring"))
        return sorted(r.version for r in rows)


async def test_a_file_a_phone_names_dot_yaml_in_capitals_is_read(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    assert H3_DAYS in SHIPPED
    changed = SHIPPED.replace(H3_DAYS, H3_DAYS.replace("value: 4", "value: 5"))
    reply = await upload(admin, changed.encode(), "Hamstring.YAML")
    assert "Draft of hamstring (upload of Hamstring.YAML), based on v1" in reply, reply
    reply = await upload(admin, SHIPPED.encode(), "hamstring.txt")  # still: only YAML files
    assert reply == "Send a protocol as a YAML file (.yaml); other files are not used.", reply


async def test_refusals_say_what_is_expected(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    latin1 = SHIPPED.replace("Reference", "Référence").encode("latin-1", "replace")
    for name, data in (("latin1.yaml", latin1), ("utf16.yaml", SHIPPED.encode("utf-16"))):
        reply = await upload(admin, data, name)
        assert reply == (
            f"{name} is not UTF-8 text: save the protocol YAML file as UTF-8 and send it again."
        ), reply
    reply = await say(admin, "/protocol rollback hamstring 7")
    assert reply == (REFUSED + "\nhamstring has no version 7. See /protocol history hamstring."), (
        reply
    )

    # What held already, kept so: each says what is wrong and what is expected.
    reply = await upload(admin, bytes(range(256)) * 4, "binary.yaml")
    assert reply.startswith("binary.yaml is not UTF-8 text"), reply
    reply = await upload(admin, b"# padding\n" * 520_000, "big.yaml")  # 5.2 MB
    assert reply == "big.yaml is too large: a protocol file must be under 256 kB.", reply
    for name, data in (("empty.yaml", b""), ("list.yaml", b"- 1\n- 2\n")):
        reply = await upload(admin, data, name)
        assert reply == f"{REFUSED}\n{name}: (top level): expected a mapping of protocol fields"
    reply = await upload(admin, b"athlete:\n  injury: hamstring\ndays: []\n", "scenario.yaml")
    assert "scenario.yaml: name: missing: this field is required" in reply, reply
    assert "scenario.yaml: days: unknown key: not part of the protocol schema" in reply, reply
    bomb = b"a: &a [x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{k}: &{k} [{', '.join([f'*{p}'] * 9)}]\n".encode()
        for p, k in zip("abcde", "bcdef", strict=True)
    )
    reply = await upload(admin, bomb, "bomb.yaml")
    assert reply.startswith(REFUSED) and "more than 20,000 values" in reply, reply
    reply = await say(admin, "/protocol set hamstring H3 min_dayz.value 5")
    assert "stage 4 (H3), min_dayz.value: no field 'min_dayz': expected one of id, name" in reply
    reply = await say(admin, "/protocol set hamstring H9 min_days.value 5")
    assert "'H9': no such stage: expected one of H0, H1, H2, H3, H4, H5, H6, H7" in reply
    reply = await say(admin, "/protocol set hamstring H3 min_days.value five")
    assert "stage 4 (H3), min_days.value: expected a whole number, not 'five'" in reply, reply
    reply = await say(admin, "/protocol set hamstring H3 min_days.value 2")
    assert "2 is below the reference (§2.2 H3: 4): expected ≥ 4" in reply, reply
    reply = await say(admin, "/protocol set hamstring H3 signoff maybe")
    assert "expected 'required', 'recommended' or 'none', not 'maybe'" in reply, reply
    assert versions(w) == [1]
    assert all(m.text != USER_MESSAGE for m in admin.bot_messages), admin.format_transcript()
