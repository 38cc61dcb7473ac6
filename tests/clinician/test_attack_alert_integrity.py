"""A clinician's decision answers the alerts it is about, and only those; an alert answered
on one replica is neither re-sent nor handed over by another, nor acknowledged twice.

- The /athlete card's buttons carry the range of all the athlete's open alerts: a sign-off
  there marked a pain report among them "clear" (the reports then read "Reviewed: may run
  again" / "you may run again" against it) and acknowledged it; a review there marked and
  acknowledged non-urgent alerts too. A sign-off now answers this stage's sign-off requests
  only, a review the red flags and urgent alerts it reviews.
- A review typed as /clear acknowledged the urgent alerts raised until Confirm was pressed,
  one the clinician had never read included. It now answers those raised before its
  confirmation was shown.
- The escalation job read the open alerts without locking them: an acknowledgement
  committed on another replica between its read and its write was re-sent anyway. It now
  claims them afresh under a row lock.
- Two acknowledgements at once on PostgreSQL: the second overwrote who acknowledged first
  and was told "Acknowledged". It now keeps the first and is told who.

End to end through the Bot API sandbox, on SQLite and PostgreSQL (the two races only on
PostgreSQL: SQLite runs one writer at a time, so they cannot interleave there).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from typing import Any

import pytest
from sqlalchemy import text

from bot.reports.from_store import report_data_for
from bot.services.clinician import escalation
from bot.services.clinician.actions import acknowledge
from bot.store.db import session_scope
from bot.store.models import AlertRecord, Person
from tests.clinician.conftest import World, open_card
from tests.clinician.test_alert_followups import BEN, LEE, OLSEN, WorldFactory, sign_off_card
from tests.clinician.test_attack_clearance_ack import alerts_of, clearances
from tests.clinician.test_clinician_flow import link, make_clinician, say

PAIN_TEXT = "Pain 3/10 at 80 % Vmax"
LAPSED_TEXT = (
    "Sign-off for H0 no longer holds: a result after it did not meet walking pain 2/10 or "
    "less. You will be asked again once the criteria are met."
)
# An urgent alert that is no red flag: a protocol trigger asking for a same-day review.
TRIGGER_TEXT = "Tightness after the sprint drill: clinician review (targeted block)."


def report_actions(w: World, athlete_id: int, audience: str) -> list[tuple[str, str | None]]:
    """Each alert's line and what the report says was done about it, oldest first: Lee's
    report (``clinician``) or Ben's own (``athlete``)."""
    lee_id = w.person(LEE).id  # type: ignore[union-attr]
    with session_scope(w.engine, read_only=True) as session:
        reader = session.get(Person, lee_id if audience == "clinician" else athlete_id)
        data = report_data_for(
            session,
            athlete_id=athlete_id,
            now=w.clock.now(),
            viewer=reader,
            audience=audience,  # type: ignore[arg-type]
        )
    return [(a.text, a.action) for a in data.alerts]


async def test_a_sign_off_on_the_athlete_card_answers_only_the_request(
    world: WorldFactory,
) -> None:
    """Ben's H0 sign-off is asked for and a pain report comes in; Lee opens /athlete Ben
    (both alerts listed) and presses 🟢 Sign off. The request is answered; the pain report
    stays open, and neither report says Ben may run again because of it."""
    w = await world()
    ben_id, _cards = await sign_off_card(w, [LEE])
    w.raise_alert(ben_id, "within_24h", "H3r1", PAIN_TEXT)
    lee = w.sandbox.user(LEE, "Lee")
    card = await open_card(lee, ben_id)
    assert "2 open alerts:" in (card.text or ""), card.text
    await lee.press("🟢 Sign off", card)
    replies = await lee.wait_until(lambda ms: any("Signed off" in (m.text or "") for m in ms))
    assert any((m.text or "").startswith("Signed off: Ben may move on.") for m in replies)
    assert clearances(w, ben_id) == [("H0", False)]

    gate, pain = alerts_of(w, ben_id)
    assert gate.acknowledged_at is not None and gate.action_taken == "clear"
    assert pain.acknowledged_at is None and pain.action_taken is None
    again = (await open_card(lee, ben_id)).text or ""
    assert "1 open alert:" in again, again

    clinician = report_actions(w, ben_id, "clinician")
    assert [action for _line, action in clinician] == ["signed off", None], clinician
    athlete = report_actions(w, ben_id, "athlete")
    assert [action for _line, action in athlete] == ["OK given to move on", None], athlete


async def test_a_sign_off_never_reads_as_may_run_again_on_the_engines_word_about_it(
    world: WorldFactory,
) -> None:
    """Ben's earlier H0 sign-off no longer holds (the engine says so, and asks again); Lee
    signs off with /clear. Both alerts are answered; the reports say Ben was signed off,
    and say nothing of running again (the engine's word was marked "clear", which the
    reports read as a review after a red flag)."""
    w = await world()
    ben_id, _cards = await sign_off_card(w, [LEE])
    w.raise_alert(ben_id, "info", "gate.8.lapsed", LAPSED_TEXT)
    lee = w.sandbox.user(LEE, "Lee")
    assert (await say(lee, f"/clear {ben_id}")).startswith("Signed off: Ben may move on.")
    gate, lapsed = alerts_of(w, ben_id)
    assert gate.acknowledged_at is not None and lapsed.acknowledged_at is not None
    # Both are sign-off alerts: both read as signed off, neither as "may run again".
    clinician = report_actions(w, ben_id, "clinician")
    assert [action for _line, action in clinician] == ["signed off", "signed off"], clinician
    athlete = report_actions(w, ben_id, "athlete")
    assert [action for _line, action in athlete] == [
        "OK given to move on",
        "OK given to move on",
    ], athlete


async def test_a_review_on_the_athlete_card_answers_only_the_red_flags(
    world: WorldFactory,
) -> None:
    """Ben reports a pain (a within-24-h alert), then numbness (a red flag: running stops).
    Lee reviews him from /athlete Ben, with a note, confirmed: the red flag is reviewed and
    acknowledged; the pain report is no red flag and stays open, not "reviewed"."""
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.raise_alert(ben_id, "within_24h", "H3r1", PAIN_TEXT)
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    w.clock.advance(dt.timedelta(minutes=5))
    card = await open_card(lee, ben_id)
    assert "2 open alerts:" in (card.text or ""), card.text
    await lee.press("🩺 Reviewed: may run again", card)
    await lee.wait_reply()
    assert "Confirm the review of Ben" in await say(lee, "Phoned: all normal")
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))

    pain, flag = alerts_of(w, ben_id)
    assert flag.acknowledged_at is not None and flag.action_taken == "review"
    assert pain.acknowledged_at is None and pain.action_taken is None
    again = (await open_card(lee, ben_id)).text or ""
    assert "1 open alert:" in again, again
    athlete = report_actions(w, ben_id, "athlete")
    assert [action for _line, action in athlete] == [None, "you may run again"], athlete


async def test_a_review_by_clear_leaves_an_urgent_alert_raised_after_its_prompt_open(
    world: WorldFactory,
) -> None:
    """Ben reports numbness; Lee types /clear with a note and is shown the confirmation.
    Before Lee presses Confirm, an urgent alert that is no red flag comes in. The review
    answers the numbness only: the new alert, which Lee has not read, stays open, and Lee is
    reminded of it half an hour later."""
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    w.clock.advance(dt.timedelta(minutes=5))
    assert "Confirm the review of Ben" in await say(lee, f"/clear {ben_id} Phoned: all normal")
    prompt = lee.last_bot_message

    w.clock.advance(dt.timedelta(minutes=2))
    w.raise_alert(ben_id, "same_day", "H2t1", TRIGGER_TEXT)
    await w.escalate()  # its card reaches Lee
    w.clock.advance(dt.timedelta(minutes=1))
    await lee.press("✅ Confirm review", prompt)
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))

    flag, trigger = alerts_of(w, ben_id)
    assert flag.acknowledged_at is not None and flag.action_taken == "review"
    assert trigger.acknowledged_at is None and trigger.action_taken is None
    card = (await open_card(lee, ben_id)).text or ""
    assert "1 open alert:" in card, card
    before = len(lee.bot_messages)
    w.clock.advance(dt.timedelta(minutes=31))
    await w.run_job()
    resent = [m.text or "" for m in lee.bot_messages[before:] if "Re-sent" in (m.text or "")]
    assert len(resent) == 1, resent


def needs_postgres(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite serialises the writers: no interleaving to play")


async def test_an_alert_acknowledged_while_the_escalation_job_runs_is_not_re_sent(
    world: WorldFactory, monkeypatch: pytest.MonkeyPatch, db_url: str
) -> None:
    """Ben's red flag waits unacknowledged for half an hour. The escalation job (on one
    replica) reads it as due for a re-send; just then Lee presses ✅ Acknowledge on his card
    (on another replica), and the acknowledgement commits before the job writes. Lee is
    told it is acknowledged and gets no re-sent card; nothing is marked re-sent."""
    needs_postgres(db_url)
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    await link(w, lee, w.sandbox.user(BEN, "Ben"))
    w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    card = lee.last_bot_message
    assert "Same day" in (card.text or ""), card.text
    w.clock.advance(dt.timedelta(minutes=31))

    loop = asyncio.get_running_loop()
    read = escalation.due_escalations
    pressed: list[bool] = []

    def acknowledged_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # The job (on a database thread) has read the open alerts: Lee's press goes through
        # the app now, and commits, before the job writes anything about them.
        steps = read(*args, **kwargs)
        if steps and not pressed:
            pressed.append(True)

            async def press() -> None:
                await lee.press("✅ Acknowledge", card)
                await lee.wait_until(lambda ms: any("Acknowledged" in (m.text or "") for m in ms))

            asyncio.run_coroutine_threadsafe(press(), loop).result(timeout=30)
        return steps

    monkeypatch.setattr(escalation, "due_escalations", acknowledged_meanwhile)
    before = len(lee.bot_messages)
    await w.run_job()
    assert pressed
    said = [m.text or "" for m in lee.bot_messages[before:]]
    assert "Acknowledged 1 alert about Ben." in said, said
    assert not any("Re-sent" in t for t in said), said
    [flag] = alerts_of(w, ben_id)
    assert flag.acknowledged_by == w.person(LEE).id  # type: ignore[union-attr]
    assert flag.resent_at is None
    assert w.audit("alert_resent") == []


def waiting_on_a_lock(w: World, timeout: float = 10.0) -> bool:
    """Wait until some transaction waits for a row lock (another session holds it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with w.engine.connect() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
        if waiting:
            return True
        time.sleep(0.05)
    return False


async def test_two_acknowledgements_at_once_keep_the_first(
    world: WorldFactory, db_url: str
) -> None:
    """Olsen's acknowledgement of Ben's red flag is being written (his transaction holds the
    alert) when Lee presses ✅ Acknowledge on his own card. Lee's press waits for it, then is
    told Olsen acknowledged it; the alert keeps Olsen as who acknowledged it."""
    needs_postgres(db_url)
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    olsen = await make_clinician(w, OLSEN, "Olsen")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    await link(w, olsen, ben)
    flag_id = w.report_red_flag(ben_id, "numbness")
    await w.escalate()
    card = lee.last_bot_message
    olsen_id = w.person(OLSEN).id  # type: ignore[union-attr]
    w.clock.advance(dt.timedelta(minutes=3))

    written, release = threading.Event(), threading.Event()
    outcome: list[tuple[int, int]] = []

    def olsen_replica() -> None:
        with session_scope(w.engine) as session:
            olsen_person = session.get(Person, olsen_id)
            assert olsen_person is not None
            fresh, earlier = acknowledge(
                session, olsen_person, ben_id, (flag_id, flag_id), w.clock.now()
            )
            outcome.append((len(fresh), len(earlier)))
            written.set()
            release.wait(timeout=15)

    def release_once_lee_waits() -> None:
        waiting_on_a_lock(w)
        release.set()

    holder = threading.Thread(target=olsen_replica)
    holder.start()
    watcher: threading.Thread | None = None
    try:
        assert await asyncio.to_thread(written.wait, 10)
        watcher = threading.Thread(target=release_once_lee_waits)
        watcher.start()
        await lee.press("✅ Acknowledge", card)
        replies = await lee.wait_until(
            lambda ms: any("cknowledged" in (m.text or "") for m in ms), timeout=20
        )
    finally:
        release.set()
        await asyncio.to_thread(holder.join, 15)
        if watcher is not None:
            await asyncio.to_thread(watcher.join, 15)
    assert outcome == [(1, 0)]
    said = [m.text or "" for m in replies]
    assert "Already acknowledged by Olsen." in said, said
    assert not any(t.startswith("Acknowledged") for t in said), said
    with session_scope(w.engine, read_only=True) as session:
        row = session.get(AlertRecord, flag_id)
        assert row is not None and row.acknowledged_by == olsen_id
