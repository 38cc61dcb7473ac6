"""Three `sprintback run` webhook replicas on one PostgreSQL: nothing lost, nothing misfiled.

Telegram (``harness.Telegram``) delivers 200 athletes' check-ins to random replicas, a
quarter of the updates twice, and one replica is killed with ``kill -9`` while the check-ins
are under way; whatever it had not acknowledged is posted again to another replica. Every
athlete types their answers (two of them back to back, as a hurried athlete does).

Afterwards: every check-in is stored with each answer against its own question, there is
exactly one morning decision per athlete, every reply reached its athlete exactly once (a
reply whose call was in flight when the replica died may arrive twice, never more, never
not at all), and the survivors finished what the dead replica had taken on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import signal
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import col, func, select

from bot.sandbox import BotApiSandbox, SimUser, TranscriptMessage
from bot.services import texts
from bot.services.athlete.keyboards import unpack
from bot.services.questionnaires import MORNING
from bot.store import repo
from bot.store.db import make_engine, session_scope
from bot.store.models import Decision, InboxUpdate, Outbox
from tests.scaleout.harness import (
    Deployment,
    Telegram,
    athlete_ids,
    onboard_athletes,
    quiet_checkin_time,
    sent_rows_by_chat,
)

ATHLETES = 200
FIRST_ID = 700_000
# The answers, in the order the check-in asks them; each differs from its neighbours, so an
# answer stored against the next or previous question shows.
SCRIPT: list[tuple[str, str, Any]] = [
    ("none", "red_flags", []),
    ("0", "pain_rest", 0),
    ("1", "pain_test", 1),
    ("2", "tightness", 2),
    ("8", "confidence", 8),
    ("3", "sleep_quality", 3),
    ("2", "fatigue", 2),
    ("3", "stress", 3),
    ("2", "soreness", 2),
    ("7.5", "sleep_hours", 7.5),
]
# Pain at rest and pain during the test are typed back to back, before the second question
# shows: the second one answered an earlier question, is refused, and is typed again.
BACK_TO_BACK = 1
# The script's entry for each question's position in today's check-in (positions change when
# a question is added: the warning signs reported since the last check-in come second).
BY_STEP = {MORNING.index_of(key): i for i, (_, key, _) in enumerate(SCRIPT)}
REPLY_TIMEOUT = 60.0
# How long the athlete reads the screen before answering (seconds).
READING = 0.15


def _question_step(message: TranscriptMessage) -> int | None:
    """Return the step of the question a bot message asks (read from its buttons)."""
    for row in message.inline_keyboard:
        for button in row:
            pressed = unpack(button.get("callback_data"))
            if pressed is not None:
                return pressed.step
    return None


def _bot_messages(user: SimUser, after_seq: int) -> list[TranscriptMessage]:
    return [m for m in user.transcript if m.sender == "bot" and m.changed_seq > after_seq]


async def _read_screen(user: SimUser, after_seq: int) -> None:
    """Wait for the bot's answer to what the athlete sent after ``after_seq``, then read the
    screen until it is still (a refusal is followed by its question)."""
    await user.sandbox.wait_for_chat(
        user.chat_id,
        lambda: bool(_bot_messages(user, after_seq)),
        REPLY_TIMEOUT,
        what=f"an answer to athlete {user.user_id}",
    )
    while True:
        seen = user.sandbox.seq
        await asyncio.sleep(READING)
        latest = _bot_messages(user, after_seq)
        still = not any(m.changed_seq > seen for m in latest)
        if still and latest[-1].text != str(texts.TYPED_FOR_EARLIER_QUESTION):
            return  # (that refusal is followed by the question)


def _is_refusal(text: str | None) -> bool:
    return text in (
        str(texts.TYPED_FOR_EARLIER_QUESTION),
        str(texts.TYPED_BEFORE_QUESTION_ABOVE),
        str(texts.TYPED_BEFORE_QUESTION_COMING),
    )


def _chat_state(engine: Engine, chat_id: int) -> str:
    """The chat's inbox and outbox rows, for a failure message."""
    with session_scope(engine, read_only=True) as session:
        updates = session.exec(
            select(InboxUpdate)
            .where(InboxUpdate.chat_id == chat_id)
            .order_by(col(InboxUpdate.update_id))
        ).all()
        replies = session.exec(
            select(Outbox).where(Outbox.chat_id == chat_id).order_by(Outbox.id)
        ).all()
    lines = [
        f"inbox {u.update_id} {u.status} by {u.claimed_by} until {u.lease_until}" for u in updates
    ]
    lines += [
        f"outbox {o.id} {o.status} by {o.claimed_by} step {o.step} {(o.text or '')[:30]!r}"
        for o in replies
    ]
    return "\n".join(lines)


async def _waits(deployment: Deployment) -> str:
    """What each live replica is waiting on (SIGUSR1 makes it log that), for a failure."""
    for replica in deployment.live():
        replica.process.send_signal(signal.SIGUSR1)
    await asyncio.sleep(1.0)
    return "\n".join(
        f"{replica.name}: {line}"
        for replica in deployment.live()
        for line in deployment.output(replica).splitlines()
        if "waiting:" in line
        and (
            "athlete_flow" in line
            or "_run_in_turn" in line
            or "wait_turn" in line
            or "_after" in line
            or "Thread" in line
        )
    )


async def _check_in(user: SimUser, engine: Engine, deployment: Deployment) -> int:
    """One athlete's check-in, typed as fast as the bot answers. Like a person, the athlete
    answers the newest question they have been shown (a question shown again after a newer
    one is not answered twice). Returns how many of their answers were refused."""
    start = user.sandbox.seq
    await user.send("/checkin")
    await _read_screen(user, start)
    hurried = False
    answered = -1
    while True:
        shown = [_question_step(m) for m in _bot_messages(user, start)]
        newest = max((step for step in shown if step is not None), default=None)
        last_is_question = shown[-1] is not None
        if newest is None or (not last_is_question and answered == len(SCRIPT) - 1):
            break  # the verdict: the check-in is over
        mark = user.sandbox.seq
        entry = BY_STEP[newest]
        await user.send(SCRIPT[entry][0])
        if entry == BACK_TO_BACK and not hurried:
            hurried = True
            await user.send(SCRIPT[entry + 1][0])

            # The next question, then the early answer's refusal.
            def refused(since: int = mark) -> bool:
                return any(_is_refusal(m.text) for m in _bot_messages(user, since))

            try:
                await user.sandbox.wait_for_chat(
                    user.chat_id,
                    refused,
                    REPLY_TIMEOUT,
                    what=f"the refusal of {user.user_id}'s early answer",
                )
            except TimeoutError as exc:  # seen once in five full runs: keep what they saw
                raise AssertionError(
                    f"{exc}\n{user.format_transcript()}\n{_chat_state(engine, user.chat_id)}\n"
                    f"{await _waits(deployment)}"
                ) from exc
        answered = entry
        await _read_screen(user, mark)
    return sum(_is_refusal(m.text) for m in _bot_messages(user, start))


async def test_three_replicas_keep_every_answer_in_order_and_reply_once(
    pg_url: str, tmp_path: Path
) -> None:
    engine = make_engine(pg_url)
    telegram_ids = list(range(FIRST_ID, FIRST_ID + ATHLETES))
    now = dt.datetime.now(dt.UTC)
    onboard_athletes(engine, telegram_ids, quiet_checkin_time(now))
    people = athlete_ids(engine, telegram_ids)
    async with BotApiSandbox(webhook_delivery=False) as sandbox:
        users = [sandbox.user(tg, f"Athlete {tg}") for tg in telegram_ids]
        deployment = Deployment(sandbox, pg_url, tmp_path)
        await deployment.start()
        telegram = Telegram(sandbox, deployment, random.Random(13))
        telegram.start()
        victim = deployment.replicas[0]
        expected_updates = ATHLETES * (len(SCRIPT) + 1)
        in_doubt: set[int] = set()
        taken_over: set[int] = set()

        def victim_busy() -> bool:
            with session_scope(engine, read_only=True) as session:
                updates = session.exec(
                    select(InboxUpdate.update_id).where(
                        InboxUpdate.status != "done", InboxUpdate.claimed_by == victim.worker
                    )
                ).first()
                replies = session.exec(
                    select(Outbox.id).where(
                        Outbox.status == "sending", Outbox.claimed_by == victim.worker
                    )
                ).first()
            return updates is not None or replies is not None

        async def kill_mid_load() -> None:
            while telegram.acked < expected_updates * 0.4 or not victim_busy():
                await asyncio.sleep(0.005)
            deployment.kill(victim)
            # What the dead replica held: replies it may or may not have handed to Telegram,
            # and updates it had acknowledged but not finished.
            with session_scope(engine, read_only=True) as session:
                in_doubt.update(
                    session.exec(
                        select(Outbox.id).where(
                            Outbox.status == "sending", Outbox.claimed_by == victim.worker
                        )
                    ).all()
                )
                taken_over.update(
                    session.exec(
                        select(InboxUpdate.update_id).where(
                            InboxUpdate.status != "done", InboxUpdate.claimed_by == victim.worker
                        )
                    ).all()
                )

        try:
            killer = asyncio.create_task(kill_mid_load())
            refusals = await asyncio.gather(
                *(_check_in(user, engine, deployment) for user in users)
            )
            await killer
            await telegram.drained(REPLY_TIMEOUT)
            await _settled(engine)
        finally:
            await telegram.stop()
            await deployment.stop()
        survivors = [r for r in deployment.replicas if r is not victim]
        for replica in survivors:
            assert "Traceback" not in deployment.output(replica), deployment.output(replica)

        # Each athlete's early answer was refused. Other answers were refused only in chats
        # the dead replica had in hand: a question whose message was in doubt (not known to
        # be shown) is sent again, and an athlete answering both copies at once is refused.
        assert min(refusals) >= 1
        with session_scope(engine, read_only=True) as session:
            touched = set(
                session.exec(select(Outbox.chat_id).where(col(Outbox.id).in_(in_doubt))).all()
            ) | set(
                session.exec(
                    select(InboxUpdate.chat_id).where(col(InboxUpdate.update_id).in_(taken_over))
                ).all()
            )
        refused_more = [u for u, n in zip(users, refusals, strict=True) if n > 1]
        assert {u.chat_id for u in refused_more} <= touched, "\n\n".join(
            u.format_transcript() for u in refused_more if u.chat_id not in touched
        )
        assert not victim.alive and telegram.acked_by[victim.name] > 0
        assert telegram.duplicates > 0 and telegram.reposts >= 0
        assert in_doubt or taken_over, "the replica was killed while it held no work"

        # Every answer stored, each against its own question; one decision per athlete. The
        # replicas read the real clock: a check-in typed after midnight UTC (the test began
        # shortly before) is the next day's.
        days = (now.date(), now.date() + dt.timedelta(days=1))
        transcripts = {user.user_id: user.format_transcript() for user in users}
        with session_scope(engine, read_only=True) as session:
            for tg, person_id in people.items():
                found = [
                    checkin
                    for day in days
                    if (
                        checkin := repo.get_morning_checkin(
                            session, athlete_id=person_id, local_date=day
                        )
                    )
                    is not None
                ]
                assert len(found) == 1, f"athlete {tg}: {len(found)} check-ins\n{transcripts[tg]}"
                stored = found[0]
                answers = stored.model_dump()
                got = {key: answers.get(key) for _, key, _ in SCRIPT}
                expected = {key: value for _, key, value in SCRIPT}
                assert got == expected, f"athlete {tg}: {got}\n{transcripts[tg]}"
            decisions = Counter(
                session.exec(
                    select(Decision.athlete_id).where(
                        Decision.kind == "morning", col(Decision.local_date).in_(days)
                    )
                ).all()
            )
            assert sorted(decisions) == sorted(people.values())
            assert set(decisions.values()) == {1}
            # The survivors finished what the dead replica had taken on.
            assert (
                session.exec(select(func.count()).where(col(InboxUpdate.status) != "done")).one()
                == 0
            )
            leftovers = session.exec(select(func.count()).where(col(Outbox.status) != "sent")).one()
            assert leftovers == 0
            finished_by = {
                row.processed_by
                for row in session.exec(
                    select(InboxUpdate).where(col(InboxUpdate.update_id).in_(taken_over))
                )
            }
            assert victim.worker not in finished_by
            doubtful_chats = Counter(
                session.exec(select(Outbox.chat_id).where(col(Outbox.id).in_(in_doubt))).all()
            )

        # Every reply reached its athlete exactly once; only a reply whose call was in flight
        # when the replica died may have arrived a second time.
        rows = sent_rows_by_chat(engine)
        for user in users:
            calls = [
                c for c in sandbox.calls_to("sendMessage", chat_id=user.chat_id) if c.status == 200
            ]
            extra = len(calls) - rows[user.chat_id]
            assert 0 <= extra <= doubtful_chats.get(user.chat_id, 0), (
                f"athlete {user.user_id}: {len(calls)} messages for {rows[user.chat_id]} "
                f"replies\n{user.format_transcript()}"
            )
    engine.dispose()


async def _settled(engine: Any, timeout: float = 30.0) -> None:
    """Wait until every update is done and every message sent (the leases of a dead replica
    run out, the survivors take over)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        with session_scope(engine, read_only=True) as session:
            open_updates = session.exec(
                select(func.count()).where(col(InboxUpdate.status) != "done")
            ).one()
            unsent = session.exec(
                select(func.count()).where(col(Outbox.status).in_(("pending", "sending")))
            ).one()
        if not open_updates and not unsent:
            return
        if loop.time() > deadline:
            raise AssertionError(f"{open_updates} updates open, {unsent} messages unsent")
        await asyncio.sleep(0.2)
