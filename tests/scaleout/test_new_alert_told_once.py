"""A new alert is told to the clinician exactly once, and an acknowledged one not at all,
however the escalation job's runs on several replicas and the clinicians' presses interleave
(PostgreSQL, where they truly run at once).

The job's first part (telling the clinicians about alerts nobody was told of yet) read the
athlete's open alerts without a lock and wrote its card later: an acknowledgement committed
in between (on another replica) was followed by the card all the same, and a second replica
running the job at that moment told the same alert again on a card of its own. It now claims
the alerts afresh under a row lock (skipping those another replica holds) and reads again,
once they are locked, what was told.

The clinicians' world of ``tests.clinician`` (the real Application on the Bot API sandbox,
with the real store), on a throw-away PostgreSQL database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest

from bot.handlers.context import signer_for
from bot.services.clinician import escalation
from bot.store.db import session_scope
from tests.clinician.conftest import World, db, open_card, services, world
from tests.clinician.test_alert_followups import BEN, LEE, WorldFactory, alert_cards
from tests.clinician.test_attack_clearance_ack import alerts_of
from tests.clinician.test_clinician_flow import link, make_clinician

# The clinicians' fixtures, on PostgreSQL only (``db_url`` below).
__all__ = ["db", "services", "world"]

NUMBNESS = "reported numbness"
POP = "reported pop"
PAUSE = 30.0  # seconds a paused job or a waiting test gives up after (a hang fails, not blocks)


@pytest.fixture
def db_url(pg_url: str) -> str:
    """The store of these tests: a throw-away, migrated PostgreSQL database."""
    return pg_url


async def ben_and_lee(w: World) -> int:
    """Ben (at H2) linked to his clinician Lee; return Ben's athlete id."""
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    return ben_id


def cards_naming(w: World, words: str) -> list[str]:
    """Lee's alert cards that name ``words``."""
    return [t for t in alert_cards(w.sandbox.user(LEE, "Lee").bot_messages) if words in t]


def escalation_job(w: World) -> Callable[[], None]:
    """One run of the escalation job as a replica runs it (its own transaction)."""
    signer = signer_for(w.services, w.running.application.bot.token)

    def run() -> None:
        with session_scope(w.engine) as session:
            escalation.run_escalations(
                session, w.clock.now(), signer, w.services.settings.admin_telegram_ids
            )

    return run


async def test_an_alert_acknowledged_while_the_job_reads_it_is_not_told(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ben reports numbness; before the escalation job tells Lee about it, Lee opens
    /athlete Ben and sees it there. The job (on one replica) reads Ben's open alert; just
    then Lee presses ✅ Acknowledge on that card (another replica), and it commits before the
    job writes. Lee is told it is acknowledged and gets no alert card about it afterwards."""
    w = await world()
    ben_id = await ben_and_lee(w)
    w.report_red_flag(ben_id, "numbness")
    lee = w.sandbox.user(LEE, "Lee")
    card = await open_card(lee, ben_id)
    assert "✅ Acknowledge alerts" in card.button_labels, card.button_labels

    loop = asyncio.get_running_loop()
    read = escalation.store_open_alerts
    pressed: list[bool] = []

    def acknowledged_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # The job (on a database thread) has read Ben's open alerts: Lee's press goes
        # through the app now, and commits, before the job writes anything about them.
        rows = read(*args, **kwargs)
        if rows and kwargs.get("athlete_id") == ben_id and not pressed:
            pressed.append(True)

            async def press() -> None:
                await lee.press("✅ Acknowledge alerts", card)
                await lee.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))

            asyncio.run_coroutine_threadsafe(press(), loop).result(timeout=PAUSE)
        return rows

    monkeypatch.setattr(escalation, "store_open_alerts", acknowledged_meanwhile)
    before = len(lee.bot_messages)
    await w.run_job()
    assert pressed
    said = [m.text or "" for m in lee.bot_messages[before:]]
    assert "Acknowledged 1 alert about Ben." in said, said
    assert alert_cards(lee.bot_messages[before:]) == [], said
    [flag] = alerts_of(w, ben_id)
    assert flag.acknowledged_by == w.person(LEE).id  # type: ignore[union-attr]

    # Nor does a later run tell it (nothing about it waits in the outbox).
    w.clock.advance(dt.timedelta(minutes=1))
    await w.run_job()
    assert alert_cards(lee.bot_messages[before:]) == []


@pytest.mark.parametrize(
    "paused_in",
    [
        # Replica A has read Ben's open alerts and not yet claimed them.
        "store_open_alerts",
        # Replica A is about to claim them: B's card is committed by the time A locks them.
        "claim_for_escalation",
        # Replica A holds its claim and is writing its card.
        "enqueue_message",
    ],
)
async def test_two_replicas_running_the_job_at_once_tell_each_alert_once(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch, paused_in: str
) -> None:
    """Ben reports numbness, told to nobody yet. The escalation job starts on replica A and
    stops mid-way (``paused_in``); a minute later Ben reports a pop too, and the job runs on
    replica B from start to end, its card reaching Lee; then A carries on. Lee is told about
    the numbness on one card and about the pop on one card, never twice."""
    w = await world()
    ben_id = await ben_and_lee(w)
    w.report_red_flag(ben_id, "numbness")

    stopped, carry_on = threading.Event(), threading.Event()
    replica_a: list[int] = []
    real = getattr(escalation, paused_in)

    def pause_on_a() -> None:
        if threading.get_ident() in replica_a and not stopped.is_set():
            stopped.set()
            if not carry_on.wait(PAUSE):
                raise AssertionError("replica A was never told to carry on")

    def pausing(*args: Any, **kwargs: Any) -> Any:
        if paused_in != "store_open_alerts":
            pause_on_a()
            return real(*args, **kwargs)
        rows = real(*args, **kwargs)
        if kwargs.get("athlete_id") == ben_id:
            pause_on_a()
        return rows

    monkeypatch.setattr(escalation, paused_in, pausing)
    job = escalation_job(w)
    failed: list[BaseException] = []

    def run_a() -> None:
        replica_a.append(threading.get_ident())
        try:
            job()
        except BaseException as exc:  # re-raised by the test
            failed.append(exc)

    a = threading.Thread(target=run_a)
    a.start()
    try:
        while a.is_alive() and not stopped.is_set():
            await asyncio.sleep(0.01)
        assert stopped.is_set(), "replica A ran to its end without reaching its pause"
        w.clock.advance(dt.timedelta(minutes=1))
        w.raise_alert(ben_id, "same_day", "red_flag.pop", "Red flag, tier 2: athlete reported pop.")
        # Replica B, from start to end (it must never wait for A), and its card goes out.
        await asyncio.wait_for(asyncio.to_thread(job), PAUSE)
        await w.deliver()
        assert len(cards_naming(w, POP)) == 1, alert_cards(w.sandbox.user(LEE, "Lee").bot_messages)
    finally:
        carry_on.set()
        await asyncio.to_thread(a.join, PAUSE)
    assert not failed, failed
    await w.deliver()

    lee = w.sandbox.user(LEE, "Lee")
    assert len(cards_naming(w, NUMBNESS)) == 1, alert_cards(lee.bot_messages)
    assert len(cards_naming(w, POP)) == 1, alert_cards(lee.bot_messages)
    # A later run finds nothing left to tell.
    w.clock.advance(dt.timedelta(minutes=1))
    await w.run_job()
    assert len(cards_naming(w, NUMBNESS)) == 1, alert_cards(lee.bot_messages)
    assert len(cards_naming(w, POP)) == 1, alert_cards(lee.bot_messages)
