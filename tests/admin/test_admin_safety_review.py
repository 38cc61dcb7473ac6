"""Review fixes through the bot: an admin cannot rename, drop or reorder reference stages nor
switch off the early sign-off; a criterion made stricter does not keep the old streak; tier
texts can be set; refusals speak of values, not Python (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Awaitable, Callable
from typing import Any

import yaml
from sqlmodel import select

from bot.sandbox import SimUser
from bot.services.athlete.engine_bridge import state_at_start_of, status_today
from bot.store.db import session_scope
from bot.store.models import Decision, Person, Programme, ProtocolVersion
from bot.store.repo.answers import upsert_checks
from bot.store.standing import parse_text
from engine.models import Checks
from engine.schema import Protocol
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def upload(user: SimUser, data: dict[str, Any]) -> str:
    await user.send_document("hamstring.yaml", yaml.safe_dump(data, sort_keys=False).encode())
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


async def publish(admin: SimUser) -> None:
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("published" in (m.text or "") for m in ms), timeout=15)


def active(w: World) -> tuple[int, Protocol, str]:
    with session_scope(w.engine, read_only=True) as session:
        row = session.exec(
            select(ProtocolVersion).where(
                ProtocolVersion.name == "hamstring",
                ProtocolVersion.active == True,  # noqa: E712
            )
        ).one()
        return row.version, parse_text(row.text, "hamstring"), row.text


async def test_a_stage_cannot_be_renamed_dropped_or_moved(world: WorldFactory) -> None:
    w = await world()
    w.add_athlete(3001, "Anna", stage="H3")
    admin = w.sandbox.user(ADMIN, "Ada")
    renamed = await say(admin, "/protocol set hamstring H3 id H8")
    assert "Not accepted" in renamed and "no stage H3" in renamed
    _v, _p, text = active(w)
    data = yaml.safe_load(text)
    no_h4 = {**data, "stages": [s for s in data["stages"] if s["id"] != "H4"]}
    reply = await upload(admin, no_h4)
    assert "Not accepted" in reply and "no stage H4" in reply
    h5 = next(s for s in data["stages"] if s["id"] == "H5")
    rest = [s for s in data["stages"] if s["id"] != "H5"]
    reordered = {**data, "stages": [*rest[:-1], h5, rest[-1]]}  # H0..H4, H6, H5, H7
    reply = await upload(admin, reordered)
    assert "Not accepted" in reply and "stage 7 (H5): H5 comes after H6" in reply
    version, protocol, _text = active(w)
    assert version == 1 and protocol.next_stage("H4") == "H5"


async def test_the_early_signoff_gate_and_expected_times_hold(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    reply = await say(admin, "/protocol set hamstring - early_signoff_stage null")
    assert "Not accepted" in reply and "early_signoff_stage: missing" in reply
    reply = await say(admin, "/protocol set hamstring - early_signoff_stage H6")
    assert "Not accepted" in reply and "“H6” comes after H5" in reply
    reply = await say(admin, "/protocol set hamstring - expected_rtp_days {0: 1, 1: 1, 2: 1, 3: 1}")
    assert "Not accepted" in reply and "expected_rtp_days.1: 1 day for grade 1" in reply
    reply = await say(
        admin, "/protocol set hamstring - expected_rtp_days {0: 8, 1: 20, 2: 22, 3: 73}"
    )
    assert "Not accepted" not in reply  # longer is stricter
    await publish(admin)
    version, protocol, _text = active(w)
    assert version == 2 and protocol.early_signoff_stage == "H5"
    assert protocol.expected_rtp_days[1] == 20


def _h1d_met(items: Any) -> bool:
    return bool(next(i for i in items if i.rule == "H1d").met)


async def _walk_pain_1_then_next_morning(w: World, athlete_id: int) -> dt.date:
    """Day 0: walking pain 1/10 (meets H1d "≤ 1"); day 1 folds it into the snapshot."""
    day0 = w.clock.now().date()
    with session_scope(w.engine) as session:
        upsert_checks(
            session,
            athlete_id=athlete_id,
            local_date=day0,
            answers=Checks(walk_pain=1),
            answered_at=w.clock.now(),
            utc_offset_minutes=0,
        )
    w.clock.advance(dt.timedelta(days=1))
    with session_scope(w.engine) as session:
        state, *_ = state_at_start_of(
            session, athlete_id, day0 + dt.timedelta(days=1), w.clock.now()
        )
        assert state.streaks.get("H1d") == 1
    return day0


def _status_on(w: World, athlete_id: int, day: dt.date) -> tuple[bool, dict[str, int], int]:
    with session_scope(w.engine) as session:
        person = session.get(Person, athlete_id)
        assert person is not None
        live, _p = status_today(session, person, day, w.clock.now())
        programme = session.exec(select(Programme).where(Programme.athlete_id == athlete_id)).one()
        saved = json.loads(programme.state_json or "{}")
        return _h1d_met(live.criteria), saved["state"]["streaks"], programme.protocol_version


async def test_a_stricter_criterion_does_not_keep_the_old_streak(world: WorldFactory) -> None:
    w = await world()
    athlete_id = w.add_athlete(3001, "Anna", stage="H1")
    day0 = await _walk_pain_1_then_next_morning(w, athlete_id)
    admin = w.sandbox.user(ADMIN, "Ada")
    reply = await say(admin, "/protocol set hamstring H1 exit_criteria[H1d].threshold 0")
    assert "Not accepted" not in reply
    await publish(admin)
    w.clock.advance(dt.timedelta(days=1))
    met, streaks, version = _status_on(w, athlete_id, day0 + dt.timedelta(days=2))
    assert version == 2
    assert met is False  # walking pain 1 does not meet the new "≤ 0"
    assert "H1d" not in streaks  # the snapshot saved under v2 dropped the v1 streak


async def test_an_unrelated_edit_keeps_the_streak(world: WorldFactory) -> None:
    w = await world()
    athlete_id = w.add_athlete(3001, "Anna", stage="H1")
    day0 = await _walk_pain_1_then_next_morning(w, athlete_id)
    admin = w.sandbox.user(ADMIN, "Ada")
    reply = await say(admin, "/protocol set hamstring H3 min_days.value 6")
    assert "Not accepted" not in reply
    await publish(admin)
    w.clock.advance(dt.timedelta(days=1))
    met, streaks, version = _status_on(w, athlete_id, day0 + dt.timedelta(days=2))
    assert version == 2 and met is True and streaks.get("H1d") == 1


async def test_a_snapshot_without_its_version_is_treated_as_changed(world: WorldFactory) -> None:
    """A snapshot saved before it recorded its version, with no decision to tell which
    version it was made under: the exit criteria's streaks start again (the cautious side)."""
    w = await world()
    athlete_id = w.add_athlete(3001, "Anna", stage="H1")
    day0 = await _walk_pain_1_then_next_morning(w, athlete_id)
    with session_scope(w.engine) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == athlete_id)).one()
        saved = json.loads(programme.state_json or "{}")
        assert saved.pop("protocol_version") == 1
        programme.state_json = json.dumps(saved)
        programme.protocol_version = 2  # as a publish would have moved it
        session.add(programme)
        # No decision either (closing a day records one, naming the version it was made under).
        for decision in session.exec(select(Decision).where(Decision.athlete_id == athlete_id)):
            session.delete(decision)
        session.add(
            ProtocolVersion(
                name="hamstring",
                version=2,
                text=active(w)[2],
                note="same text",
                created_at=w.clock.now(),
                active=False,
            )
        )
    w.clock.advance(dt.timedelta(days=1))
    met, streaks, _version = _status_on(w, athlete_id, day0 + dt.timedelta(days=2))
    assert met is False and "H1d" not in streaks


async def test_a_red_flag_tier_text_can_be_set(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    text = "Stop and see your clinician within 24 h."
    reply = await say(admin, f"/protocol set hamstring rules red_flags.tiers.3.instruction {text}")
    assert "Not accepted" not in reply and "no field '3'" not in reply
    await publish(admin)
    version, protocol, _text = active(w)
    assert version == 2 and protocol.rules.red_flags.tiers[3].instruction == text


async def test_refusals_name_the_value_not_python(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    reply = await say(admin, "/protocol set hamstring H3 min_days 5")
    assert "DaysTh" not in reply and "instance of" not in reply
    assert (
        "stage 4 (H3), min_days: expected a group of fields (value, evidence, source, note), "
        in reply
    )
    assert "set 'min_days.value'" in reply
    reply = await say(admin, "/protocol set hamstring H3 goal yes")
    assert reply.endswith(
        "stage 4 (H3), goal: expected a text, but yes was read as a yes/no value: put it in "
        'quotes, e.g. "yes"'
    )
    reply = await say(admin, "/protocol set hamstring H3 goal 2026-05-01")
    assert "2026-05-01 was read as a date: put it in quotes" in reply
    reply = await say(admin, "/protocol set hamstring - stages []")
    assert "expected one of \n" not in reply + "\n" and "after validation" not in reply
    assert "stages: expected at least 1 item, found none" in reply
    await admin.send_document("tag.yaml", b"name: !!python/object/apply:os.system ['id']\n")
    reply = "\n".join(m.text or "" for m in await admin.wait_reply(timeout=15))
    assert "tag:yaml.org" not in reply
    assert "the tag !!python/object/apply:os.system" in reply
    assert active(w)[0] == 1
