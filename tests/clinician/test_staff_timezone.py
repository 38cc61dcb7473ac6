"""Clinicians and admins live in a time zone: a new one gets the deployment's DEFAULT_TIMEZONE
(not UTC), can change it with /timezone (a wrong zone is refused with what is expected), and
their alert cards and Monday digest follow it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.services.digest import run_digest
from bot.settings import Settings
from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import link, make_clinician, say

WorldFactory = Callable[[], Awaitable[World]]
LEE, ANNA = 2001, 3001
DEFAULT_ZONE = "Europe/Paris"


@pytest.fixture
def bot_settings(tmp_path: Path) -> Settings:
    """The test settings, in a deployment whose DEFAULT_TIMEZONE is Europe/Paris."""
    return Settings(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'sprintback-test.sqlite3'}",
        admin_telegram_ids=[ADMIN],
        default_timezone=DEFAULT_ZONE,
    )


def local(at: dt.datetime, zone: str) -> str:
    """``at`` as HH:MM in ``zone``."""
    return at.astimezone(ZoneInfo(zone)).strftime("%H:%M")


async def test_alert_times_and_the_digest_follow_the_clinicians_zone(world: WorldFactory) -> None:
    w = await world()
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    lee_person = w.person(LEE)
    admin_person = w.person(ADMIN)
    assert lee_person is not None and lee_person.timezone == DEFAULT_ZONE
    assert admin_person is not None and admin_person.timezone == DEFAULT_ZONE
    assert DEFAULT_ZONE in (lee.bot_messages[0].text or "")  # the welcome names the zone

    raised = w.clock.now()
    w.raise_alert(anna_id, "within_24h", "red_flag.swelling", "New swelling")
    await w.escalate()
    card = lee.last_bot_message.text or ""
    assert f"• {local(raised, DEFAULT_ZONE)} " in card
    assert f"• {local(raised, 'UTC')} " not in card

    assert "Europe/Paris" in await say(lee, "/timezone")
    wrong = await say(lee, "/timezone Mars/Olympus")
    assert "“Mars/Olympus” is not a time zone I know" in wrong and "Europe/Paris" in wrong
    # Quoted as typed, an invisible character shown (never a Python repr with its escapes).
    assert "“Pa'ris<U+200B>” is not" in await say(lee, "/timezone Pa'ris\u200b")
    # A fixed offset reads backwards (Etc/GMT+2 is UTC−2): refused with why; UTC is fine.
    backwards = await say(lee, "/timezone Etc/GMT+2")
    assert "“Etc/GMT+2” is a fixed offset whose sign reads backwards" in backwards
    assert w.person(LEE).timezone == DEFAULT_ZONE  # type: ignore[union-attr]
    assert "UTC" in await say(lee, "/timezone Etc/UTC")
    assert w.person(LEE).timezone == "UTC"  # type: ignore[union-attr]
    assert "Asia/Tokyo" in await say(lee, "/timezone Tokyo")
    assert w.person(LEE).timezone == "Asia/Tokyo"  # type: ignore[union-attr]
    assert "Asia/Tokyo" in await say(lee, "/settings")
    assert [r.detail for r in w.audit("set_timezone")] == [
        {"from": DEFAULT_ZONE, "to": "UTC"},
        {"from": "UTC", "to": "Asia/Tokyo"},
    ]

    w.clock.advance(dt.timedelta(hours=2))
    second = w.clock.now()
    w.raise_alert(anna_id, "within_24h", "red_flag.swelling", "Swelling again")
    await w.escalate()
    card = lee.last_bot_message.text or ""
    assert "Swelling again" in card and f"• {local(second, 'Asia/Tokyo')} " in card

    # Monday 9 March, 08:00 in Tokyo is Sunday 8 March, 23:00 UTC (08:00 Paris is 07:00 UTC).
    bot = w.running.application.bot
    w.clock.set(dt.datetime(2026, 3, 8, 22, 59, tzinfo=dt.UTC))
    assert (await run_digest(bot, w.engine, w.clock)).sent == []
    w.clock.set(dt.datetime(2026, 3, 8, 23, 0, tzinfo=dt.UTC))
    assert (await run_digest(bot, w.engine, w.clock)).sent == [lee_person.id]
    assert any((m.text or "").startswith("Weekly digest") for m in lee.bot_messages)


async def test_an_invite_says_when_it_expires_in_the_inviters_own_time(
    world: WorldFactory,
) -> None:
    """Read: "expires 9 Mar 2026, 09:00 UTC" by a clinician in Paris (10:00 there)."""
    w = await world()
    lee = await make_clinician(w, LEE, "Lee")
    expires = w.clock.now() + dt.timedelta(days=7)
    said = await say(lee, "/invite")
    assert f", {local(expires, DEFAULT_ZONE)})" in said, said
    assert "UTC" not in said, said
    # The welcome puts its last command on a line of its own.
    assert "\n/settings" in (lee.bot_messages[0].text or "")
