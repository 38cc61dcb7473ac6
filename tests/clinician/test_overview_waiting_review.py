"""/athletes says when an athlete's running stays stopped until a clinician reviews, also on
the days the athlete has not checked in yet (the alert handled, the stop still standing), and
stops saying it once a review is recorded. End to end on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser
from tests.athlete.both.test_pain_followup import report_session
from tests.athlete.both.test_zone_west_keeps_stop import _report_a_session
from tests.athlete.conftest import Phone
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.conftest import ADMIN
from tests.support.telegram import BotHarness

LEE, ANNA, BEN = 2001, 3001, 3002
WAITING = "running stopped until a review"


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


def line_of(overview: str, name: str) -> str:
    [line] = [row for row in overview.splitlines() if f" {name} · " in row]
    return line


async def lee_with(
    telegram: BotHarness,
    sandbox: BotApiSandbox,
    services: Services,
    clock: FakeClock,
    athletes: dict[int, str],
) -> tuple[AthleteWorld, SimUser, list[Phone]]:
    """Start the bot; Lee becomes a clinician (an admin's invite) and each athlete onboards
    through one of Lee's invite links."""
    await telegram.start(services=services)
    w = AthleteWorld(telegram=telegram, sandbox=sandbox, services=services, clock=clock)
    lee = sandbox.user(LEE, "Lee")
    invite = re.search(
        r"start=(clin_\S+)", await say(sandbox.user(ADMIN, "Ada"), "/invite_clinician")
    )
    assert invite
    await say(lee, f"/start {invite.group(1)}")
    phones = []
    for telegram_id, name in athletes.items():
        link = re.search(r"\?start=(\S+)", await say(lee, "/invite"))
        assert link
        phone = w.phone(telegram_id, name)
        await phone.onboard(code=link.group(1))
        phones.append(phone)
    return w, lee, phones


async def test_the_overview_shows_a_stop_waiting_for_a_review_between_check_ins(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    w, lee, (anna, ben) = await lee_with(
        telegram, sandbox, services, clock, {ANNA: "Anna", BEN: "Ben"}
    )
    await ben.morning()
    await anna.say("/checkin")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    await anna.tap("Done")
    await w.deliver()
    await lee.press("✅ Acknowledge", lee.last_bot_message)
    await lee.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))

    # The next morning, before Anna's check-in: the alert is handled, the stop is not.
    clock.advance(dt.timedelta(days=1))
    overview = await say(lee, "/athletes")
    anna_line = line_of(overview, "Anna")
    assert anna_line.startswith("🟠 Anna · ") and WAITING in anna_line, overview
    assert WAITING not in line_of(overview, "Ben")
    assert overview.splitlines()[1] == anna_line  # the most urgent first

    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await say(lee, f"/clear {anna_id} Seen in clinic: no nerve involvement")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Anna" in (m.text or "") for m in ms))
    assert WAITING not in line_of(await say(lee, "/athletes"), "Anna")
    await anna.morning()
    assert WAITING not in line_of(await say(lee, "/athletes"), "Anna")


async def test_a_warning_sign_reported_later_in_the_day_shows_too(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Check-in fine, a session reported, then /problem with swelling: the morning is decided
    again (its row kept, with its id) after the day's decision, which said nothing of a
    stop."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    await anna.morning()
    await _report_a_session(anna)  # the day's decision, recorded after the morning's
    await anna.say("/problem")
    await anna.say("the back of my thigh is swollen")
    await anna.tap("🚩 Check for warning signs")
    await anna.tap("▫️ New swelling at the injury")
    await anna.tap("Done")
    await w.deliver()
    clock.advance(dt.timedelta(days=1))
    assert WAITING in line_of(await say(lee, "/athletes"), "Anna")


async def test_a_review_given_before_a_new_warning_sign_does_not_lift_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """Anna's check-in reports swelling; Lee reviews an hour later (Anna may run again from
    tomorrow); three hours after that Anna feels a pop. Lee's review, given before the pop,
    lifted the new stop the next morning ("Train as planned"). It is voided: the new card asks
    for a review, and Anna stays stopped until one."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await anna.say("/checkin")
    await anna.tap("▫️ New swelling at the injury")
    await anna.tap("Done")
    await w.deliver()
    clock.advance(dt.timedelta(hours=1))
    await say(lee, f"/clear {anna_id} Phoned: swelling small, settling")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))

    clock.advance(dt.timedelta(hours=3))
    await anna.say("/problem")
    await anna.say("felt something go in the back of my thigh")
    await anna.tap("🚩 Check for warning signs")
    await anna.tap("▫️ Felt a pop or sudden sharp pain")
    await anna.tap("Done")
    await w.deliver()
    [card] = [m for m in lee.bot_messages if "🩺 Reviewed: may run again" in m.button_labels][-1:]
    assert "⛔ Running is stopped until you review Anna." in (card.text or ""), card.text

    clock.advance(dt.timedelta(days=1))
    morning = "\n".join(m.text or "" for m in await anna.morning())
    assert "Train as planned" not in morning, morning
    assert "until your clinician has reviewed you" in morning, morning


async def test_severe_session_pain_after_a_review_is_not_lifted_by_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """As above, the new stop coming from the session: severe pain (8/10), which the check-in's
    answers do not name as a warning sign, reported after Lee's review dated tomorrow."""
    w, lee, (anna,) = await lee_with(telegram, sandbox, services, clock, {ANNA: "Anna"})
    anna_id = w.person(ANNA).id  # type: ignore[union-attr]
    await anna.say("/checkin")
    await anna.tap("▫️ New swelling at the injury")
    await anna.tap("Done")
    await w.deliver()
    clock.advance(dt.timedelta(hours=1))
    await say(lee, f"/clear {anna_id} Phoned: swelling small, settling")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("from tomorrow" in (m.text or "") for m in ms))
    clock.advance(dt.timedelta(hours=8))
    said = await report_session(anna, pain="8")
    assert "Stop" in said or "⛔" in said, said
    await w.deliver()
    clock.advance(dt.timedelta(days=1))
    morning = "\n".join(m.text or "" for m in await anna.morning())
    assert "Train as planned" not in morning, morning
