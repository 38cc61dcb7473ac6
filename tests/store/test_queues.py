"""Outbox and scheduled prompts: each row goes to exactly one worker, failures retry."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.store import db, repo
from bot.store.models import Outbox
from bot.store.repo.messaging import queue_replies
from tests.store.factories import DAY0, T0, person

N_MESSAGES = 60
N_WORKERS = 4


def _drain_concurrently(engine: Engine, claim: str, now: dt.datetime) -> list[list[int]]:
    """Let several workers claim in small batches at once until nothing is left."""
    claimed: list[list[int]] = [[] for _ in range(N_WORKERS)]
    errors: list[BaseException] = []
    start = threading.Barrier(N_WORKERS)

    def work(i: int) -> None:
        try:
            start.wait()
            while True:
                with db.session_scope(engine) as s:
                    rows = getattr(repo, claim)(s, now=now, limit=3, worker=f"w{i}")
                    ids = [r.id for r in rows]
                    assert len(ids) <= 3, f"claimed {len(ids)} rows with limit=3"
                if not ids:
                    return
                claimed[i].extend(ids)
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(N_WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    return claimed


def test_outbox_rows_are_claimed_by_exactly_one_worker(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        for i in range(N_MESSAGES):
            repo.enqueue_message(s, chat_id=i, text=f"m{i}", kind="test", now=T0)
    claimed = _drain_concurrently(engine, "claim_outbox", T0)
    all_ids = [i for ids in claimed for i in ids]
    assert len(all_ids) == N_MESSAGES
    assert len(set(all_ids)) == N_MESSAGES
    with db.session_scope(engine, read_only=True) as s:
        assert {m.status for m in repo.pending_messages(s)} == {"sending"}


def test_due_prompts_are_claimed_by_exactly_one_worker(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        athletes = [person(s) for _ in range(N_MESSAGES // 3)]
        for a in athletes:
            for kind in ("morning", "reminder", "cutoff"):
                repo.schedule_prompt(s, athlete_id=a.id, kind=kind, local_date=DAY0, due_at=T0)
    claimed = _drain_concurrently(engine, "claim_due_prompts", T0)
    all_ids = [i for ids in claimed for i in ids]
    assert len(all_ids) == len(set(all_ids)) == N_MESSAGES


def test_only_due_messages_are_claimed_oldest_first(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        # Three chats (one chat's messages go out in the order they were queued).
        later = repo.enqueue_message(
            s, chat_id=1, text="later", kind="t", now=T0, not_before=T0 + dt.timedelta(hours=1)
        )
        second = repo.enqueue_message(s, chat_id=2, text="second", kind="t", now=T0)
        first = repo.enqueue_message(
            s, chat_id=3, text="first", kind="t", now=T0, not_before=T0 - dt.timedelta(minutes=1)
        )
    with db.session_scope(engine) as s:
        rows = repo.claim_outbox(s, now=T0, limit=10, worker="w")
    # The due ones, in the order they were queued.
    assert [r.text for r in rows] == ["second", "first"]
    assert all(r.claimed_by == "w" and r.attempts == 1 for r in rows)
    with db.session_scope(engine) as s:
        # The first two are still claimed (within their lease); only "later" is new.
        rows = repo.claim_outbox(
            s, now=T0 + dt.timedelta(hours=1), limit=10, worker="w", lease=dt.timedelta(hours=2)
        )
    assert [r.id for r in rows] == [later.id]
    assert first.id != second.id


def test_dedupe_key_queues_a_message_once(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        a = repo.enqueue_message(s, chat_id=5, text="check-in", kind="t", now=T0, dedupe_key="k1")
    with db.session_scope(engine) as s:
        b = repo.enqueue_message(s, chat_id=5, text="check-in", kind="t", now=T0, dedupe_key="k1")
        assert len(repo.pending_messages(s, chat_id=5)) == 1
    assert a.id == b.id


def test_failed_send_is_retried_later_then_sent(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        msg = repo.enqueue_message(s, chat_id=5, text="hi", kind="t", now=T0)
    with db.session_scope(engine) as s:
        assert len(repo.claim_outbox(s, now=T0, limit=1, worker="w")) == 1
    retry_at = T0 + dt.timedelta(seconds=30)
    with db.session_scope(engine) as s:
        repo.mark_outbox_failed(
            s, outbox_id=msg.id, now=T0, error="429 retry_after 30", retry_at=retry_at
        )
    with db.session_scope(engine) as s:
        assert repo.claim_outbox(s, now=T0, limit=1, worker="w") == []
        (again,) = repo.claim_outbox(s, now=retry_at, limit=1, worker="w")
        assert again.attempts == 2
    with db.session_scope(engine) as s:
        sent = repo.mark_outbox_sent(s, outbox_id=msg.id, now=retry_at, telegram_message_id=42)
    assert (sent.status, sent.telegram_message_id, sent.last_error) == ("sent", 42, None)
    with db.session_scope(engine) as s:
        assert repo.claim_outbox(s, now=retry_at + dt.timedelta(days=1), limit=5, worker="w") == []


def test_a_claim_abandoned_by_a_dead_worker_is_reclaimed_after_the_lease(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        repo.enqueue_message(s, chat_id=5, text="hi", kind="t", now=T0)
    with db.session_scope(engine) as s:
        assert len(repo.claim_outbox(s, now=T0, limit=1, worker="dead")) == 1
    lease = dt.timedelta(minutes=5)
    with db.session_scope(engine) as s:
        assert repo.claim_outbox(s, now=T0 + lease / 2, limit=1, worker="w2", lease=lease) == []
        rows = repo.claim_outbox(
            s, now=T0 + lease + dt.timedelta(seconds=1), limit=1, worker="w2", lease=lease
        )
    assert [r.claimed_by for r in rows] == ["w2"]


def test_undeliverable_messages_are_not_retried(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        msg = repo.enqueue_message(s, chat_id=5, text="hi", kind="t", now=T0)
        repo.claim_outbox(s, now=T0, limit=1, worker="w")
        repo.mark_outbox_failed(
            s, outbox_id=msg.id, now=T0, error="Forbidden: bot was blocked", undeliverable=True
        )
    with db.session_scope(engine) as s:
        assert repo.claim_outbox(s, now=T0 + dt.timedelta(days=1), limit=5, worker="w") == []
        assert repo.pending_messages(s) == []


def test_schedule_prompt_is_unique_per_athlete_kind_and_date(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        a = person(s)
        first = repo.schedule_prompt(s, athlete_id=a.id, kind="morning", local_date=DAY0, due_at=T0)
    moved = T0 + dt.timedelta(minutes=30)
    with db.session_scope(engine) as s:
        again = repo.schedule_prompt(
            s, athlete_id=a.id, kind="morning", local_date=DAY0, due_at=moved
        )
    assert again.id == first.id and again.due_at == moved
    with db.session_scope(engine) as s:
        assert repo.due_prompts(s, now=T0) == []
        assert [p.id for p in repo.due_prompts(s, now=moved)] == [first.id]
        (claimed,) = repo.claim_due_prompts(s, now=moved, limit=5, worker="w")
        repo.finish_prompt(s, prompt_id=claimed.id, status="sent", now=moved)
    with db.session_scope(engine) as s:
        # Once sent, re-planning the same prompt changes nothing and it is not due again.
        same = repo.schedule_prompt(s, athlete_id=a.id, kind="morning", local_date=DAY0, due_at=T0)
        assert same.status == "sent" and same.due_at == moved
        assert repo.claim_due_prompts(s, now=moved, limit=5, worker="w") == []


def test_answering_cancels_the_pending_reminders_of_the_day(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        a = person(s)
        for kind in ("reminder", "cutoff"):
            repo.schedule_prompt(s, athlete_id=a.id, kind=kind, local_date=DAY0, due_at=T0)
        repo.schedule_prompt(
            s, athlete_id=a.id, kind="reminder", local_date=DAY0 + dt.timedelta(days=1), due_at=T0
        )
    with db.session_scope(engine) as s:
        n = repo.cancel_prompts(
            s, athlete_id=a.id, local_date=DAY0, kinds=("reminder", "cutoff"), now=T0
        )
        assert n == 2
        assert [p.local_date for p in repo.due_prompts(s, now=T0)] == [DAY0 + dt.timedelta(days=1)]


def test_unknown_prompt_kind_is_refused(engine: Engine) -> None:
    with (
        pytest.raises(repo.StoreError, match="unknown prompt kind 'lunch'"),
        db.session_scope(engine) as s,
    ):
        a = person(s)
        repo.schedule_prompt(s, athlete_id=a.id, kind="lunch", local_date=DAY0, due_at=T0)  # type: ignore[arg-type]


def test_a_claim_in_progress_is_skipped_by_another_worker(engine: Engine) -> None:
    with db.session_scope(engine) as s:
        for i in range(10):
            repo.enqueue_message(s, chat_id=i, text=f"m{i}", kind="t", now=T0)
    other: list[int] = []
    with db.session_scope(engine) as first:
        held = [r.id for r in repo.claim_outbox(first, now=T0, limit=3, worker="a")]

        def second_worker() -> None:
            # PostgreSQL skips the locked rows at once; SQLite waits for the first commit.
            with db.session_scope(engine) as s:
                other.extend(r.id for r in repo.claim_outbox(s, now=T0, limit=10, worker="b"))

        thread = threading.Thread(target=second_worker)
        thread.start()
        thread.join(timeout=0.5)
    thread.join(timeout=30)
    assert len(held) == 3 and len(other) == 7
    assert not set(held) & set(other)


def test_the_words_of_finished_messages_are_forgotten_after_thirty_days(engine: Engine) -> None:
    """A sent verdict or alert card keeps its words 30 days (to look into a delivery problem),
    then only its keys and times: the outbox is not a second copy of the chat for ever. A
    message still waiting keeps its words whatever its age, and so does a recent one."""
    later = T0 + dt.timedelta(days=31)
    with db.session_scope(engine) as s:
        who = person(s, "athlete", name="Ann")
        assert who.chat_id is not None

        def queue(text: str, at: dt.datetime, key: str) -> int:
            row = repo.enqueue_message(
                s, chat_id=who.chat_id or 0, text=text, kind="alert", now=at, dedupe_key=key,
                reply_markup={"inline_keyboard": []},
            )  # fmt: skip
            assert row.id is not None
            return row.id

        old, waiting = queue("Pain 6/10 old", T0, "old"), queue("Pain 6/10 waiting", T0, "wait")
        recent = queue("Pain 6/10 recent", later - dt.timedelta(days=1), "recent")
        for sent in (old, recent):
            repo.mark_outbox_sent(s, outbox_id=sent, now=later, telegram_message_id=sent)
    with db.session_scope(engine) as s:
        assert repo.forget_sent_texts(s, before=later - repo.KEEP_SENT_TEXT) == 1
    with db.session_scope(engine, read_only=True) as s:
        rows = {o.id: (o.text, o.reply_markup, o.dedupe_key) for o in s.exec(select(Outbox))}
    assert rows[old] == ("", None, "old")  # the words gone, the key kept
    assert rows[waiting][0] == "Pain 6/10 waiting" and rows[recent][0] == "Pain 6/10 recent"


def _reply(text: str) -> dict[str, object]:
    return {"text": text, "kind": "reply", "method": "send", "progress_id": None, "step": 2}


def test_replies_are_claimed_at_once_unless_an_earlier_reply_to_the_chat_is_unsent(
    engine: Engine,
) -> None:
    # Nothing unsent: both replies are claimed for this worker, in order.
    with db.session_scope(engine) as s:
        ids, claimed = queue_replies(
            s, [_reply("one"), _reply("two")], chat_id=7, now=T0, worker="w1"
        )
    assert claimed
    with db.session_scope(engine, read_only=True) as s:
        rows = [s.get(Outbox, i) for i in ids]
    assert [(r.text, r.status, r.claimed_by, r.attempts, r.step) for r in rows if r] == [
        ("one", "sending", "w1", 1, 2),
        ("two", "sending", "w1", 1, 2),
    ]
    assert ids == sorted(ids)
    # They are still unsent: the next update's replies wait behind them, unclaimed.
    with db.session_scope(engine) as s:
        later, claimed = queue_replies(
            s, [_reply("three"), _reply("four")], chat_id=7, now=T0, worker="w2"
        )
    assert not claimed
    with db.session_scope(engine, read_only=True) as s:
        waiting = [s.get(Outbox, i) for i in later]
    assert [(r.status, r.claimed_by, r.attempts, r.claimed_at) for r in waiting if r] == [
        ("pending", None, 0, None),
        ("pending", None, 0, None),
    ]
    # Another chat, and the bot's own messages to this one, hold nothing back.
    with db.session_scope(engine) as s:
        repo.enqueue_message(s, chat_id=8, text="prompt", kind="test", now=T0)
        _, other = queue_replies(s, [_reply("hi")], chat_id=8, now=T0, worker="w1")
    assert other
    # Once the earlier replies are sent, a new reply is claimed again.
    with db.session_scope(engine) as s:
        for i in [*ids, *later]:
            repo.mark_outbox_sent(s, outbox_id=i, now=T0, telegram_message_id=i)
        _, again = queue_replies(s, [_reply("five")], chat_id=7, now=T0, worker="w1")
    assert again


def test_recording_sent_replies_records_each_question_shown(engine: Engine) -> None:
    from bot.store.models import QuestionnaireProgress
    from bot.store.repo.messaging import SentRow, record_sent

    with db.session_scope(engine) as s:
        first, second, third = (
            repo.start_questionnaire(
                s, athlete_id=person(s).id, kind="morning", local_date=DAY0, now=T0
            )
            for _ in range(3)
        )
        for progress, step in ((first, 2), (second, 0), (third, 1)):
            progress.step = step
            s.add(progress)
        s.flush()
        ids = [p.id for p in (first, second, third)]
    sent = [
        SentRow(id=10, message_id=501, chat_id=1, progress_id=ids[0], step=2),
        SentRow(id=11, message_id=502, chat_id=2),  # no question on it
        SentRow(id=12, message_id=503, chat_id=2, progress_id=ids[1], step=0),
        # Shows a step that is no longer the open one (answered meanwhile): not recorded.
        SentRow(id=13, message_id=504, chat_id=3, progress_id=ids[2], step=0),
    ]
    with db.session_scope(engine) as s:
        record_sent(s, sent, now=T0, pace=dt.timedelta(0))
    with db.session_scope(engine, read_only=True) as s:
        shown = [
            (p.shown_step, p.message_id)
            for p in (s.get(QuestionnaireProgress, i) for i in ids)
            if p is not None
        ]
    assert shown == [(2, 501), (0, 503), (None, None)]
