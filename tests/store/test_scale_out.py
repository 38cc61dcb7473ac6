"""What several processes on one database rely on: one row where there must be one, the
inbox's order per chat, the outbox's order per chat, the shared send budget."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import col, select
from telegram import Update

from bot.clock import FakeClock
from bot.inbox.processor import ChatOrderedProcessor
from bot.inbox.store import Inbox
from bot.store import db, repo
from bot.store.models import Clearance, Decision, QuestionnaireProgress
from bot.store.repo import inbox
from tests.store.factories import DAY0, T0, person

LEASE = dt.timedelta(seconds=10)


def _at_once(work: Callable[[int], Any], n: int = 2) -> list[Any]:
    """Run ``work(i)`` in ``n`` threads released together; return results (or raise)."""
    start = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def test_two_checkins_at_once_open_one_questionnaire(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete_id = person(s).id

    def start(i: int) -> int | None:
        with db.session_scope(engine) as s:
            return repo.start_questionnaire(
                s, athlete_id=athlete_id, kind="morning", local_date=DAY0, now=T0
            ).id

    first, second = _at_once(start)
    assert first == second  # the second resolved to the row the first opened
    with db.session_scope(engine, read_only=True) as s:
        rows = s.exec(select(QuestionnaireProgress)).all()
    assert [(r.kind, r.status) for r in rows] == [("morning", "open")]


def test_opening_another_kind_cancels_the_open_one(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete_id = person(s).id
        morning = repo.start_questionnaire(
            s, athlete_id=athlete_id, kind="morning", local_date=DAY0, now=T0
        )
    with db.session_scope(engine) as s:
        session = repo.start_questionnaire(
            s, athlete_id=athlete_id, kind="session", local_date=DAY0, now=T0
        )
    with db.session_scope(engine, read_only=True) as s:
        statuses = {r.id: r.status for r in s.exec(select(QuestionnaireProgress))}
    assert statuses == {morning.id: "cancelled", session.id: "open"}


def _decide(engine: Engine, athlete_id: int, outcome: str) -> int | None:
    with db.session_scope(engine) as s:
        return repo.record_decision(
            s,
            athlete_id=athlete_id,
            local_date=DAY0,
            kind="morning",
            outcome=outcome,
            decision={"verdict": outcome, "reasons": []},
            protocol_name="hamstring",
            protocol_version=1,
            now=T0,
        ).id


def test_one_decision_per_athlete_day_and_kind(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete_id = person(s).id
    first, second = _at_once(lambda i: _decide(engine, athlete_id, ["go", "rest"][i]))
    assert first == second
    with db.session_scope(engine, read_only=True) as s:
        rows = s.exec(select(Decision)).all()
    assert len(rows) == 1 and rows[0].outcome in ("go", "rest")


def test_one_sign_off_per_gate_and_the_latest_word_counts(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athlete_id = person(s).id
        clinician_id = person(s, "clinician").id

    def clear(at: dt.datetime, declined: bool = False) -> None:
        with db.session_scope(engine) as s:
            repo.record_clearance(
                s,
                athlete_id=athlete_id,
                stage="H3",
                clinician_id=clinician_id,
                local_date=DAY0,
                now=at,
                declined=declined,
            )

    _at_once(lambda i: clear(T0))  # two presses (or two processes) at once
    clear(T0 + dt.timedelta(minutes=1), declined=True)  # a change of mind
    clear(T0 + dt.timedelta(minutes=2))  # and back
    with db.session_scope(engine, read_only=True) as s:
        signed = s.exec(select(Clearance).where(col(Clearance.declined).is_(False))).all()
        assert len(signed) == 1
        assert repo.has_clearance(s, athlete_id=athlete_id, stage="H3")


def test_an_update_waits_for_the_lower_ones_of_its_chat(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        first = inbox.store_update(
            s, update_id=10, chat_id=7, payload="{}", worker="a", now=T0, lease=LEASE
        )
        second = inbox.store_update(
            s, update_id=11, chat_id=7, payload="{}", worker="b", now=T0, lease=LEASE
        )
        other = inbox.store_update(
            s, update_id=12, chat_id=8, payload="{}", worker="b", now=T0, lease=LEASE
        )
        again = inbox.store_update(
            s, update_id=10, chat_id=7, payload="{}", worker="b", now=T0, lease=LEASE
        )
    assert (first.fresh, first.head) == (True, True)
    assert (second.fresh, second.head) == (True, False)  # 10 is not done yet
    assert (other.fresh, other.head) == (True, True)  # another chat does not wait
    assert not again.fresh  # a redelivery is not stored twice
    with db.session_scope(engine) as s:
        assert inbox.mark_update_processed(s, update_id=10, now=T0)
        assert not inbox.mark_update_processed(s, update_id=10, now=T0)  # the guard
        assert not inbox.is_head(s, update_id=11, chat_id=7)  # processed is not done
        inbox.mark_done(s, update_ids=[10], now=T0, worker="a")
        assert inbox.is_head(s, update_id=11, chat_id=7)


def test_an_update_stored_alone_is_its_chats_head_only_when_every_lower_one_is_done(
    engine: Engine,
) -> None:
    def store(update_id: int, chat_id: int) -> inbox.Stored:
        with db.session_scope(engine) as s:
            return inbox.store_update(
                s,
                update_id=update_id,
                chat_id=chat_id,
                payload="{}",
                worker="a",
                now=T0,
                lease=LEASE,
            )

    assert store(20, 9) == inbox.Stored(fresh=True, head=True)
    with db.session_scope(engine) as s:
        assert inbox.mark_update_processed(s, update_id=20, now=T0)
    assert store(21, 9) == inbox.Stored(fresh=True, head=False)  # 20 is processed, not done
    with db.session_scope(engine) as s:
        inbox.mark_done(s, update_ids=[20, 21], now=T0, worker="a")
    assert store(23, 9) == inbox.Stored(fresh=True, head=True)  # 20 and 21 are done
    assert store(22, 9) == inbox.Stored(fresh=True, head=True)  # lower than 23: it goes first
    assert store(24, 9) == inbox.Stored(fresh=True, head=False)  # 22 and 23 are pending
    assert store(1, 10) == inbox.Stored(fresh=True, head=True)  # other chats do not count
    assert store(24, 9) == inbox.Stored(fresh=False, head=False)  # a redelivery


def _update(update_id: int, chat_id: int) -> Update:
    message = {"message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"}}
    return Update.de_json({"update_id": update_id, "message": {**message, "text": "3"}}, None)


async def _waits_until_done(here: Inbox, waiting: Update, there: Inbox, lower: Update) -> None:
    turn = asyncio.create_task(here.wait_turn(waiting))
    await asyncio.sleep(0.3)
    assert not turn.done()  # a lower update of the chat is still open
    await there.finish(lower)
    await asyncio.wait_for(turn, 5)


async def test_an_update_waits_for_one_held_by_another_process(engine: Engine) -> None:
    clock = FakeClock(T0)
    here, there = (Inbox(engine, clock, worker) for worker in ("here", "there"))
    done_here, held_there, waiting = _update(30, 9), _update(31, 9), _update(32, 9)
    assert await here.store(done_here, "{}")
    assert await there.store(held_there, "{}")
    assert await here.store(waiting, "{}")
    await here.finish(done_here)  # done by this process: 32 still waits for 31
    await _waits_until_done(here, waiting, there, held_there)


async def test_an_update_waits_for_a_lower_one_stored_after_it(engine: Engine) -> None:
    # Webhook deliveries run in parallel and a failed POST comes again later, so a lower
    # update of the chat may reach another replica after a higher one was stored here.
    clock = FakeClock(T0)
    here, there = (Inbox(engine, clock, worker) for worker in ("here", "there"))
    first, late, waiting = _update(40, 9), _update(41, 9), _update(42, 9)
    assert await here.store(first, "{}")
    assert await here.store(waiting, "{}")  # waits for 40 only, as far as it knows
    assert await there.store(late, "{}")
    await here.finish(first)
    await _waits_until_done(here, waiting, there, late)


async def test_a_lower_update_taken_over_runs_while_a_higher_one_waits_for_it(
    engine: Engine,
) -> None:
    """A replica died holding an athlete's answer (50) after the next one (51) reached this
    one. 51 waits for 50 in the chat's turn; 50, taken over here once the dead replica's lease
    ran out, needs that turn too. It used to wait for it for ever: both answers stalled and
    the athlete got no reply (seen in the three-replica test about once in five runs)."""
    clock = FakeClock(T0)
    here, there = Inbox(engine, clock, "here"), Inbox(engine, clock, "there")
    lower, higher = _update(50, 9), _update(51, 9)
    assert await there.store(lower, "{}")  # then "there" dies
    assert await here.store(higher, "{}")
    processor = ChatOrderedProcessor(4)
    processor.inbox = here
    ran: list[int] = []

    async def handle(update: Update) -> None:
        ran.append(update.update_id)

    waiting = asyncio.create_task(processor.do_process_update(higher, handle(higher)))
    await asyncio.sleep(0.3)
    assert ran == [] and not waiting.done()
    with db.session_scope(engine) as s:
        taken = inbox.claim_orphans(s, now=T0 + LEASE * 2, worker="here", lease=LEASE, limit=10)
    assert [o.update_id for o in taken] == [50]
    here.hold(50)  # taken over, as Inbox.maintain does before queueing it
    await asyncio.wait_for(processor.do_process_update(lower, handle(lower)), 5)
    await asyncio.wait_for(waiting, 5)
    assert ran == [50, 51]


def test_a_dead_replicas_updates_are_taken_over_after_its_lease(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        for update_id, chat in ((20, 5), (21, 5), (22, 6)):
            inbox.store_update(
                s, update_id=update_id, chat_id=chat, payload="{}", worker="dead", now=T0,
                lease=LEASE,
            )  # fmt: skip
    with db.session_scope(engine) as s:
        early = inbox.claim_orphans(s, now=T0 + LEASE / 2, worker="alive", lease=LEASE, limit=10)
    assert early == []  # the lease still runs
    with db.session_scope(engine) as s:
        taken = inbox.claim_orphans(s, now=T0 + LEASE * 2, worker="alive", lease=LEASE, limit=10)
    # Each chat's lowest only: 21 waits for 20.
    assert [o.update_id for o in taken] == [20, 22]


def test_a_chats_messages_leave_in_order_while_others_flow(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        first = repo.enqueue_message(s, chat_id=1, text="one", kind="t", now=T0)
        repo.enqueue_message(s, chat_id=1, text="two", kind="t", now=T0)
        repo.enqueue_message(s, chat_id=2, text="other", kind="t", now=T0)
        claimed = repo.claim_outbox(s, now=T0, limit=1, worker="w")
        assert [r.text for r in claimed] == ["one"]
        # "one" fails and waits for its retry: "two" waits behind it, "other" does not.
        repo.mark_outbox_failed(
            s, outbox_id=first.id, now=T0, error="502", retry_at=T0 + dt.timedelta(minutes=1)
        )
    with db.session_scope(engine) as s:
        assert [r.text for r in repo.claim_outbox(s, now=T0, limit=10, worker="w")] == ["other"]
    with db.session_scope(engine) as s:
        later = repo.claim_outbox(s, now=T0 + dt.timedelta(minutes=2), limit=10, worker="w")
    assert [r.text for r in later] == ["one", "two"]  # in order, sent one after the other


def test_replicas_share_one_send_budget(pg_migrated: str) -> None:
    # PostgreSQL only: the budget is what several processes share (SQLite serves one).
    from bot.delivery.budget import SharedBudget

    engine = db.make_engine(pg_migrated)
    rate = 50.0
    budgets = [SharedBudget(engine, rate) for _ in range(3)]
    reserved: list[tuple[float, float]] = []
    lock = threading.Lock()

    def reserve(i: int) -> None:
        for _ in range(10):
            delay = budgets[i].reserve(5)
            start = time.monotonic() + delay
            with lock:
                reserved.append((start, start + 5 / rate))

    _at_once(reserve, 3)
    reserved.sort()
    # 150 slots at 50/s: the windows follow each other, none overlaps, about 3 s in all.
    overlaps = [b for a, b in itertools.pairwise(reserved) if b[0] < a[1] - 0.02]
    assert not overlaps
    span = reserved[-1][1] - reserved[0][0]
    assert 150 / rate * 0.95 <= span <= 150 / rate * 1.2
    engine.dispose()


def test_every_row_the_guarantees_forbid_is_resolved_by_the_migration(
    empty_db_url: str,
) -> None:
    db.upgrade(empty_db_url, "0002")
    engine = db.make_engine(empty_db_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO person (role, telegram_user_id, display_name, language, timezone, "
            "paused, unreachable, created_at) VALUES ('athlete', 1, 'A', 'en', 'UTC', "
            "false, false, '2026-03-01 07:00:00+00'), ('clinician', 2, 'C', 'en', 'UTC', "
            "false, false, '2026-03-01 07:00:00+00')"
        )
        for n in range(2):
            conn.exec_driver_sql(
                "INSERT INTO questionnaire_progress (athlete_id, kind, local_date, step, answers,"
                f" status, started_at, updated_at) VALUES (1, '{['morning', 'session'][n]}', "
                f"'2026-03-02', 0, '{{}}', 'open', '2026-03-02 07:00:00+00', "
                f"'2026-03-02 07:0{n}:00+00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO decision (athlete_id, local_date, kind, outcome, decision, "
                f"protocol_name, protocol_version, created_at) VALUES (1, '2026-03-02', "
                f"'morning', 'go{n}', '{{}}', 'hamstring', 1, '2026-03-02 07:00:00+00')"
            )
            conn.exec_driver_sql(
                "INSERT INTO clearance (athlete_id, stage, clinician_id, local_date, at, "
                f"declined) VALUES (1, 'H3', 2, '2026-03-02', '2026-03-02 07:0{n}:00+00', "
                "false)"
            )
        conn.exec_driver_sql(
            "INSERT INTO processed_update (update_id, processed_at) "
            "VALUES (99, '2026-03-02 07:00:00+00')"
        )
    db.upgrade(empty_db_url)
    with db.session_scope(engine) as s:
        open_kinds = s.exec(
            select(QuestionnaireProgress.kind).where(QuestionnaireProgress.status == "open")
        ).all()
        assert open_kinds == ["session"]  # the most recently touched stays open
        assert s.exec(select(Decision.outcome)).all() == ["go1"]  # the newest decision
        assert s.exec(select(func.count()).select_from(Clearance)).one() == 1
        # An update processed before the upgrade is still recognised as a redelivery.
        assert not repo.mark_update_processed(s, update_id=99, now=T0)
    engine.dispose()
