"""The outbox sender against the local Bot API sandbox, with injected Telegram failures.

Every message ends delivered exactly once, or recorded as undeliverable/failed with the reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import col, select
from telegram import Bot

from bot.clock import FakeClock
from bot.delivery.http import AiohttpRequest
from bot.delivery.limiter import RateGate
from bot.delivery.policy import BackoffPolicy
from bot.delivery.sender import OutboxSender, SenderConfig
from bot.sandbox import BotApiSandbox
from bot.store.db import session_scope
from bot.store.models import Outbox, Person
from bot.store.repo.messaging import claim_outbox, enqueue_message
from tests.scheduling.helpers import add_person

T0 = dt.datetime(2026, 6, 10, 6, 0, tzinfo=dt.UTC)
FAST = SenderConfig(
    batch=20,
    concurrency=8,
    backoff=BackoffPolicy(base=dt.timedelta(seconds=2), max_attempts=4, jitter=0),
)


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    async with BotApiSandbox() as box:
        yield box


TIMEOUT_DELAY = 2.0  # seconds: longer than the bot's read timeout


@pytest.fixture
async def bot(sandbox: BotApiSandbox) -> AsyncIterator[Bot]:
    # A read timeout well above what a busy CI machine's event loop may stall for: a call the
    # fake answered but the bot gave up on is sent again (at-least-once), which the tests
    # below would count as a duplicate. Deliberate timeouts wait longer (TIMEOUT_DELAY).
    # The production client (bot.delivery.http), so its timeouts and errors are the ones the
    # sender is tested against.
    request = AiohttpRequest(
        connection_pool_size=16,
        connect_timeout=5,
        read_timeout=1.5,
        write_timeout=1,
        pool_timeout=5,
        media_write_timeout=5,
    )
    async with Bot(sandbox.token, base_url=sandbox.base_url, request=request) as b:
        yield b


def make_sender(bot: Bot, engine: Engine, clock: FakeClock, **gate: float) -> OutboxSender:
    rate_gate = RateGate(gate.get("overall_rate", 1000.0), gate.get("per_chat_interval", 0.0))
    return OutboxSender(
        bot=bot,
        engine=engine,
        clock=clock,
        gate=rate_gate,
        config=FAST,
        rng=random.Random(1),
        admin_telegram_ids=(61,),  # the admin of test_blocked_clinician_alert_goes_to_admin
    )


def queue(
    engine: Engine, chat_id: int, text: str, kind: str = "prompt_morning", **kw: object
) -> int:
    with session_scope(engine) as session:
        row = enqueue_message(session, chat_id=chat_id, text=text, kind=kind, now=T0, **kw)  # type: ignore[arg-type]
        assert row.id is not None
        return row.id


def rows(engine: Engine) -> dict[str, Outbox]:
    with session_scope(engine, read_only=True) as session:
        return {r.text: r for r in session.exec(select(Outbox).order_by(col(Outbox.id)))}


def delivered(sandbox: BotApiSandbox, chat_id: int) -> list[str]:
    return [m.text or "" for m in sandbox.transcript(chat_id) if m.sender == "bot"]


async def drain_until_settled(sender: OutboxSender, clock: FakeClock, engine: Engine) -> None:
    """Drain, moving the fake clock to the next retry time, until nothing is pending (a
    chat's due messages wait behind its message waiting for a retry)."""
    for _ in range(50):
        await sender.drain()
        with session_scope(engine, read_only=True) as session:
            waiting = session.exec(
                select(Outbox.not_before).where(col(Outbox.status).in_(("pending", "sending")))
            ).all()
        if not waiting:
            return
        later = [
            w.replace(tzinfo=dt.UTC) for w in waiting if w.replace(tzinfo=dt.UTC) > clock.now()
        ]
        if later:
            clock.set(min(later))
    raise AssertionError("outbox never settled")


async def test_messages_are_delivered_once_in_order_per_chat(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    for chat in (11, 12, 13):
        sandbox.user(chat)
        for n in range(3):
            queue(engine, chat, f"chat {chat} message {n}")
    clock = FakeClock(T0)
    result = await make_sender(bot, engine, clock).drain()
    assert result.sent == 9
    for chat in (11, 12, 13):
        assert delivered(sandbox, chat) == [f"chat {chat} message {n}" for n in range(3)]
    assert {r.status for r in rows(engine).values()} == {"sent"}
    assert all(r.telegram_message_id for r in rows(engine).values())
    assert (await make_sender(bot, engine, clock).drain()).sent == 0


async def test_429_waits_retry_after_then_delivers_once(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    sandbox.user(21)
    queue(engine, 21, "flooded")
    sandbox.fail_next("sendMessage", status=429, retry_after=1)
    clock = FakeClock(T0)
    sender = make_sender(bot, engine, clock)
    first = await sender.drain()
    assert (first.sent, first.retried) == (0, 1)
    row = rows(engine)["flooded"]
    assert row.status == "pending" and row.attempts == 0  # a 429 does not use up an attempt
    assert row.not_before == T0 + dt.timedelta(seconds=1)
    assert (await sender.drain()).sent == 0  # not before retry_after has passed
    clock.advance(dt.timedelta(seconds=1))
    assert (await sender.drain()).sent == 1
    assert delivered(sandbox, 21) == ["flooded"]


async def test_server_errors_and_timeouts_back_off_then_deliver_once(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    sandbox.user(31)
    sandbox.user(32)
    queue(engine, 31, "after two 502s")
    queue(engine, 32, "after a timeout")
    sandbox.fail_next("sendMessage", status=502, chat_id=31, times=2)
    # The fake answers 500 after TIMEOUT_DELAY; the bot gives up reading first (TimedOut).
    sandbox.fail_next("sendMessage", status=500, chat_id=32, delay=TIMEOUT_DELAY)
    clock = FakeClock(T0)
    sender = make_sender(bot, engine, clock)
    await sender.drain()
    waits = {text: r.not_before - T0 for text, r in rows(engine).items()}
    assert waits == {
        "after two 502s": dt.timedelta(seconds=2),
        "after a timeout": dt.timedelta(seconds=2),
    }
    assert "TimedOut" in (rows(engine)["after a timeout"].last_error or "")
    await drain_until_settled(sender, clock, engine)
    assert delivered(sandbox, 31) == ["after two 502s"]
    assert delivered(sandbox, 32) == ["after a timeout"]
    assert rows(engine)["after two 502s"].attempts == 3


async def test_endless_server_errors_give_up_after_max_attempts(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    sandbox.user(41)
    queue(engine, 41, "never")
    sandbox.fail_next("sendMessage", status=503, chat_id=41, times=100)
    clock = FakeClock(T0)
    await drain_until_settled(make_sender(bot, engine, clock), clock, engine)
    row = rows(engine)["never"]
    assert row.status == "failed"
    assert row.attempts == FAST.backoff.max_attempts
    assert "gave up after 4 attempts" in (row.last_error or "")


async def test_blocked_athlete_is_marked_unreachable_and_clinician_told(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    doc = add_person(engine, 51, role="clinician", name="Dr Okafor")
    athlete = add_person(engine, 52, clinician_id=doc, name="Jo")
    sandbox.user(51)
    sandbox.user(52)
    sandbox.block_user(52)
    queue(engine, 52, "morning 1", person_id=athlete, athlete_id=athlete)
    queue(engine, 52, "reminder 1", kind="prompt_reminder", person_id=athlete, athlete_id=athlete)
    clock = FakeClock(T0)
    result = await make_sender(bot, engine, clock).drain()
    assert result.unreachable == 2
    assert {r.status for t, r in rows(engine).items() if t != "notice"} >= {"undeliverable"}
    with session_scope(engine, read_only=True) as session:
        person = session.get(Person, athlete)
        assert person is not None and person.unreachable
    told = delivered(sandbox, 51)
    assert len(told) == 1 and told[0].startswith("Jo can no longer be reached on Telegram")
    assert len(sandbox.calls_to("sendMessage", chat_id=52)) == 1  # the second was not tried


async def test_blocked_clinician_alert_goes_to_admin_with_its_text(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    add_person(engine, 61, role="admin", name="Admin")
    doc = add_person(engine, 62, role="clinician", name="Dr Lee")
    sandbox.user(61)
    sandbox.user(62)
    sandbox.block_user(62)
    queue(engine, 62, "RED FLAG: calf warm and red", kind="clinician_alert", person_id=doc)
    clock = FakeClock(T0)
    await drain_until_settled(make_sender(bot, engine, clock), clock, engine)
    [notice] = delivered(sandbox, 61)
    assert "Dr Lee can no longer be reached" in notice
    assert "RED FLAG: calf warm and red" in notice


async def test_other_400s_are_recorded_and_not_retried(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    queue(engine, 999, "to a chat that does not exist")
    clock = FakeClock(T0)
    result = await make_sender(bot, engine, clock).drain()
    assert result.failed == 1
    row = rows(engine)["to a chat that does not exist"]
    assert row.status == "failed" and "chat not found" in (row.last_error or "").lower()
    clock.advance(dt.timedelta(hours=1))
    await make_sender(bot, engine, clock).drain()
    assert len(sandbox.calls_to("sendMessage")) == 1


async def test_a_crashed_senders_rows_are_sent_after_its_lease_in_order(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    sandbox.user(71)
    queue(engine, 71, "routine prompt")
    queue(engine, 71, "emergency alert", kind="clinician_alert")
    with session_scope(engine) as session:  # a worker claims both rows, then dies
        claimed = claim_outbox(session, now=T0, limit=10, worker="dead")
        assert len(claimed) == 2
    queue(engine, 71, "queued after the crash")
    clock = FakeClock(T0 + dt.timedelta(seconds=5))
    sender = make_sender(bot, engine, clock)
    await sender.drain()
    # Within the dead worker's lease its rows are in doubt; the chat's later row waits.
    assert delivered(sandbox, 71) == []
    clock.advance(FAST.lease)
    await sender.drain()
    await sender.drain()
    await sender.drain()
    # Prompts and alerts alike: sent again (at-least-once), in the chat's order.
    assert delivered(sandbox, 71) == ["routine prompt", "emergency alert", "queued after the crash"]
    assert {row.status for row in rows(engine).values()} == {"sent"}


async def test_failure_storm_every_message_delivered_once_or_recorded(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    rng = random.Random(7)
    chats = list(range(100, 140))
    for chat in chats:
        sandbox.user(chat)
    blocked = {chats[3], chats[17]}
    for chat in blocked:
        sandbox.block_user(chat)
    texts = [f"m{n}" for n in range(120)]
    for n, text in enumerate(texts):
        queue(engine, chats[n % len(chats)], text)
    for _ in range(12):
        status = rng.choice([429, 500, 502, 503])
        sandbox.fail_next("sendMessage", status=status, retry_after=1 if status == 429 else None)
    sandbox.fail_next("sendMessage", status=500, delay=TIMEOUT_DELAY, times=3)  # timeouts
    clock = FakeClock(T0)
    sender = make_sender(bot, engine, clock)
    await drain_until_settled(sender, clock, engine)
    outcome = rows(engine)
    got = Counter(m for chat in chats for m in delivered(sandbox, chat))
    for text in texts:
        row = outcome[text]
        if row.chat_id in blocked:
            assert row.status == "undeliverable" and got[text] == 0
        else:
            assert row.status == "sent" and got[text] == 1, text


async def test_a_drain_round_holds_no_more_rows_than_its_batch(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    sandbox.user(81)
    for n in range(7):
        queue(engine, 81, f"n{n}")
    clock = FakeClock(T0)
    sender = OutboxSender(
        bot=bot,
        engine=engine,
        clock=clock,
        gate=RateGate.off(),
        config=SenderConfig(batch=3),
    )
    result = await sender.drain_round()
    assert result.sent == 3
    statuses = Counter(r.status for r in rows(engine).values())
    assert statuses == Counter({"sent": 3, "pending": 4})
    assert all(r.attempts == 0 for r in rows(engine).values() if r.status == "pending")
    await sender.drain()
    assert delivered(sandbox, 81) == [f"n{n}" for n in range(7)]


async def test_buttons_and_formatting_reach_the_chat(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    sandbox.user(91)
    keyboard = {"inline_keyboard": [[{"text": "No red flags", "callback_data": "m:rf:none"}]]}
    queue(engine, 91, "<b>Red flags?</b>", reply_markup=keyboard, parse_mode="HTML")
    await make_sender(bot, engine, FakeClock(T0)).drain()
    [message] = sandbox.transcript(91)
    assert message.text == "Red flags?"
    assert message.inline_keyboard[0][0]["callback_data"] == "m:rf:none"


async def test_a_message_deleted_while_it_fails_costs_nobody_else_a_duplicate(
    engine: Engine, sandbox: BotApiSandbox, bot: Bot
) -> None:
    """Jo deletes her data while her morning prompt is on its way and fails (she blocked the
    bot): the deletion removes the row being sent. Kim's prompt, sent in the same batch, is
    recorded as sent, and Kim gets it once, not again when the batch's claim runs out."""
    jo = add_person(engine, 81, name="Jo")
    sandbox.user(81)
    sandbox.user(82)
    jo_row = queue(engine, 81, "morning for Jo", person_id=jo, athlete_id=jo)
    queue(engine, 82, "morning for Kim")
    sandbox.fail_next(
        "sendMessage",
        status=403,
        description="Forbidden: bot was blocked by the user",
        chat_id=81,
        delay=0.5,
    )
    clock = FakeClock(T0)
    sender = make_sender(bot, engine, clock)
    draining = asyncio.ensure_future(sender.drain())
    await asyncio.sleep(0.2)  # both calls are out; Jo's answer is not back yet
    with session_scope(engine) as session:  # her deletion removes the rows about her
        session.execute(delete(Outbox).where(col(Outbox.id) == jo_row))
    await draining
    assert rows(engine)["morning for Kim"].status == "sent"
    clock.advance(FAST.lease + dt.timedelta(seconds=1))
    await drain_until_settled(sender, clock, engine)
    assert delivered(sandbox, 82) == ["morning for Kim"]
    assert "morning for Jo" not in rows(engine)
