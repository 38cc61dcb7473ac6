"""Findings 13 and 15: names shown to others carry no bidirectional controls (a U+202E cannot
reverse the rest of an /athletes line), and the log carries ids, never names or free text, with
library chatter below WARNING silenced."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import text

from bot.reports import build
from bot.runtime import configure_logging
from bot.store import db
from bot.support.logs import QUIET_LIBRARIES, quiet_libraries
from tests.athlete.conftest import Phone
from tests.clinician.conftest import CHART_WAIT
from tests.clinician.test_clinician_flow import make_clinician
from tests.hardening.conftest import ADMIN, WorldFactory, say

RLO = "\u202e"


async def test_a_right_to_left_override_in_a_name_cannot_reverse_a_list_line(
    world: WorldFactory,
) -> None:
    w = await world()
    lee = await make_clinician(w, 2001, "Lee")
    code = re.search(r"/link (\S+)", await say(lee, "/invite"))
    assert code is not None
    eve = Phone(w.sandbox.user(3001, f"Eve{RLO}", last_name="🔴 urgent"), w)  # type: ignore[arg-type]
    await eve.onboard(code=code.group(1))
    overview = await say(lee, "/athletes")
    [line] = [ln for ln in overview.splitlines() if "Eve" in ln]
    assert RLO not in overview
    assert "Eve 🔴 urgent" in line
    await say(lee, f"/note {w.person(3001).id} left{RLO}right")  # type: ignore[union-attr]
    shown = await say(lee, f"/note {w.person(3001).id}")  # type: ignore[union-attr]
    assert "leftright" in shown and RLO not in shown


def test_names_stored_before_the_cleaning_are_cleaned_by_the_migration(
    empty_db_url: str,
) -> None:
    db.upgrade(empty_db_url, "0002")
    engine = db.make_engine(empty_db_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO person (role, telegram_user_id, display_name, language, timezone,"
                " paused, unreachable, created_at) VALUES ('athlete', 77, :name, 'en', 'UTC',"
                " false, false, '2026-03-02 07:00:00+00:00')"
            ),
            {"name": f"Eve{RLO}evil\nline two"},
        )
    db.upgrade(empty_db_url)
    with engine.connect() as connection:
        name = connection.execute(text("SELECT display_name FROM person")).scalar()
    engine.dispose()
    assert name == "Eveevil line two"


async def test_logs_carry_ids_not_names_or_free_text(
    world: WorldFactory, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet_libraries(logging.INFO)  # as configure_logging does at start-up
    caplog.set_level(logging.INFO)
    secret_name = "Zyx 山田 $\\nope$"  # glyphs DejaVu lacks, and mathtext
    w = await world()
    zyx_id = w.add_athlete(3001, secret_name)
    admin = w.sandbox.user(ADMIN, "Ada")
    lee = await make_clinician(w, 2001, "Lee")
    assert "access" in await say(lee, "/athlete Wilhelmina")  # a typed name, refused
    assert "access" in await say(lee, f"/note {zyx_id} private remark about knees")

    await admin.send(f"/report {zyx_id}")
    await admin.wait_until(lambda ms: any(m.kind == "document" for m in ms), timeout=CHART_WAIT)

    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError(f"cannot draw {secret_name}")

    monkeypatch.setattr(build, "render_progress_png", broken)
    await admin.send(f"/progress {zyx_id}")
    await admin.wait_reply(timeout=CHART_WAIT)

    logged = caplog.text
    assert "progress chart of athlete" in logged  # the failure is logged, by id
    for private in ("Zyx", "山", "nope", "Wilhelmina", "private remark"):
        assert private not in logged, private
    assert not [r for r in caplog.records if r.name.startswith(("fontTools", "fpdf"))]


def test_configure_logging_silences_library_chatter() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        configure_logging(logging.DEBUG)
        for name, lowest in QUIET_LIBRARIES.items():
            assert logging.getLogger(name).level >= lowest, name
        assert logging.getLogger("fpdf").getEffectiveLevel() >= logging.ERROR
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


async def test_debug_logs_carry_no_names_or_typed_answers(world: WorldFactory) -> None:
    """LOG_LEVEL=DEBUG (as an operator sets it to look into a problem) still logs no name, no
    typed answer and no free text: python-telegram-bot dumped every update it processed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(f"{record.name}: {record.getMessage()}")

    try:
        configure_logging(logging.DEBUG)
        root.addHandler(Keep(logging.DEBUG))
        w = await world()
        wilhelmina = w.sandbox.user(4646, "Wilhelmina", last_name="Logsworth")
        await wilhelmina.send("/start")
        await wilhelmina.wait_reply()
        await wilhelmina.send("LOGSECRET my knee clicks")
        await wilhelmina.wait_reply()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)
    logged = "\n".join(lines)
    assert any(line.startswith("bot.") for line in lines)  # DEBUG was on
    for private in ("Wilhelmina", "Logsworth", "LOGSECRET", w.sandbox.token):
        assert private not in logged, private
