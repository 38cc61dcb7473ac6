"""Review fixes through the bot (SQLite and PostgreSQL): an admin cannot make a stage prescribe
a later stage's speeds, make exit criteria impossible to fail, neuter the reference's triggers,
write fractions for percentages or a key twice; refused rollbacks and publishes are audited;
the dry-run warns of athletes a draft would strand and says what stages prescribe anew."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from sqlmodel import select

from bot.sandbox import SimUser
from bot.store.db import session_scope
from bot.store.models import ProtocolVersion
from bot.store.repo.protocols import publish_protocol_version
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def upload_text(user: SimUser, text: str) -> str:
    await user.send_document("hamstring.yaml", text.encode())
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def publish(admin: SimUser) -> str:
    await admin.press("✅ Publish")
    replies = await admin.wait_until(
        lambda ms: any("published" in (m.text or "").lower() for m in ms), timeout=15
    )
    return "\n".join(m.text or "" for m in replies)


def active(w: World) -> tuple[int, str]:
    with session_scope(w.engine, read_only=True) as session:
        row = session.exec(
            select(ProtocolVersion).where(
                ProtocolVersion.name == "hamstring",
                ProtocolVersion.active == True,  # noqa: E712
            )
        ).one()
        return row.version, row.text


def _with_h8(text: str) -> dict[str, Any]:
    """The protocol with an extra stage H8 (a copy of H4) between H4 and H5."""
    data = yaml.safe_load(text)
    h4 = next(s for s in data["stages"] if s["id"] == "H4")
    data["stages"].insert(5, {**copy.deepcopy(h4), "id": "H8", "name": "Extra HV block"})
    return dict(data)


async def test_unsafe_edits_are_refused_in_plain_words(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")  # seeds v1 from protocols/
    cases = [
        ("H2 session[0].pct_vmax [95, 100]", "expected an upper value ≤ 65"),
        ("H2 top_pct_vmax 95", "faster than the reference allows in H2"),
        ("H2 exit_criteria[H2c].threshold 0", "nobody could fail it"),
        ("H3 exit_criteria[H3a].op le", "looser than the reference"),
        ("H5 exit_criteria[H5c].op ge", "expected 'le' or 'lt'"),
        ("H5 exit_criteria[H5a].threshold 90", "expected derived.vmax_pct_baseline ≥ 95"),
        ("H6 regression_triggers []", "no regression trigger “session.pain_max ≥ 1"),
        ("H6 regression_triggers[H6r1].notify info", "expected notify 'within_24h'"),
        ("H3 exit_criteria[H3a].at_pct_vmax 0.95", "write 95 for 95 %, not 0.95"),
        ("rules session.min_completed_pct.value 130", "expected a percentage of 0–100"),
        ("H5 min_sessions.at_pct_vmax 50", "expected ≥ 95"),
    ]
    for edit, words in cases:
        reply = await say(admin, f"/protocol set hamstring {edit}")
        assert "Not accepted; the active version is unchanged." in reply, (edit, reply)
        assert words in reply, (edit, reply)
    assert active(w)[0] == 1
    assert len(w.audit("protocol_edit_refused")) == len(cases)


async def test_a_key_written_twice_in_an_upload_is_refused(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")  # seeds v1 from protocols/
    _v, text = active(w)
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln.strip() == "signoff: required")
    lines.insert(first + 1, "    signoff: none")
    reply = await upload_text(admin, "\n".join(lines) + "\n")
    assert "Not accepted" in reply
    assert (
        f"line {first + 2}: duplicate key 'signoff' (first on line {first + 1}): keep one" in reply
    )
    assert active(w)[0] == 1


async def test_refused_rollback_and_publish_are_audited(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")  # seeds v1 from protocols/
    reply = await say(admin, "/protocol rollback hamstring 9")
    assert "Not accepted" in reply and "no version 9" in reply
    [refused] = w.audit("protocol_edit_refused")
    assert refused.detail["what"] == "rollback hamstring v9"

    await say(admin, "/protocol set hamstring H3 min_days.value 8")
    _v, text = active(w)
    with session_scope(w.engine) as session:  # someone else publishes meanwhile
        publish_protocol_version(
            session, name="hamstring", text=text, author_id=None, now=w.clock.now(), note="other"
        )
    answer = await publish(admin)
    assert "Not published" in answer
    refusals = w.audit("protocol_edit_refused")
    assert len(refusals) == 2
    assert refusals[1].detail["what"] == "publish hamstring (from v1)"
    assert "now at v2" in refusals[1].detail["problems"][0]


async def test_the_dry_run_warns_of_stranded_athletes(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")  # seeds v1 from protocols/
    _v, original = active(w)
    reply = await upload_text(admin, yaml.safe_dump(_with_h8(original), sort_keys=False))
    assert "Not accepted" not in reply, reply
    await publish(admin)
    w.add_athlete(3001, "Anna", stage="H8")
    await upload_text(admin, original)  # a draft without H8
    report = await say(admin, "/protocol dryrun hamstring")
    first = report.split("Replaying", 1)[-1].split("\n", 1)[1]
    assert first.startswith(
        "⚠️ hamstring: 1 athlete is in H8, which the new text does not have: keep H8 in the text"
    ), report


async def test_the_dry_run_says_what_a_stage_prescribes_anew(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")  # seeds v1 from protocols/
    await say(admin, "/protocol set hamstring H2 session[0].pct_vmax [50, 60]")
    report = await say(admin, "/protocol dryrun hamstring")
    assert "The draft changes what 1 stage prescribes:" in report, report
    assert "• H2 · Return to running, jog → ~65 % Vmax: session changed" in report
    await say(admin, "/protocol set hamstring H2 top_pct_vmax 70")
    report = await say(admin, "/protocol dryrun hamstring")
    assert "• H2 · Return to running, jog → ~65 % Vmax: top 65 → 70 % Vmax" in report, report
    assert "stages H" not in report  # nobody stranded
