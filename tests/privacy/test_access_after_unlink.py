"""Access at the moment a link or a role changes: "nobody sees an athlete's data unless they
are that athlete, their linked clinician, or an admin" holds while the athlete unlinks a
clinician (/unlink, their withdrawal of consent to share), links another clinician, or an
admin is removed from ADMIN_TELEGRAM_IDS and the bot restarts.

The real Application with every handler module, on the Bot API sandbox, SQLite then
PostgreSQL. Another replica's unlink is played by unlinking just before the step it races
with (a report or chart being drawn, a card being sent), as ``tests.clinician
.test_attack_deleted`` does for /delete.

Already covered elsewhere, not repeated here: an alert card waiting for its retry when the
unlink commits (``tests/athlete/test_unlink.py``), the Monday digest (``tests/hardening
/test_deletion_leftovers.py``, ``tests/reports_bot/test_digest_unlink_race.py``), a typed
"Message athlete" text and a step back racing the unlink (``tests/clinician
/test_attack_deleted.py``), an expired card button (``tests/clinician/test_alert_followups.py``)
and a removed admin's commands (``tests/hardening/test_admin_rights.py``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import select

import bot.delivery.sender as sender_module
import bot.handlers.charts as chart_handlers
import bot.handlers.reports as report_handlers
from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser, TranscriptMessage
from bot.services.access import REFUSAL_TEXT
from bot.services.callers import ADMIN_REVOKED_TEXT
from bot.store.db import session_scope
from bot.store.models import (
    ALERT_KIND,
    AlertRecord,
    Consent,
    Link,
    Outbox,
    Programme,
    ProtocolVersion,
)
from bot.store.repo.links import unlink_athlete
from bot.store.repo.messaging import enqueue_message
from tests.clinician.conftest import ADMIN, World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.support.telegram import BotHarness

LEE, BEN, CARA = 2001, 3002, 3003
NEW_ADMIN = 9001
REPORT_WITHDRAWN = "The report was not sent: you no longer have access to this athlete's data."
CHART_WITHDRAWN = "The chart was not sent: you no longer have access to this athlete's data."
CARD_WORDS = ("numbness", "Red flag", "🔴")

WorldFactory = Callable[..., Awaitable[World]]


@pytest.fixture
def full(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> WorldFactory:
    """Return ``await full()``: the Application with every handler module (athlete and staff),
    as in production, on the privacy tests' store (SQLite, then PostgreSQL)."""

    async def start(**kwargs: Any) -> World:
        running = await telegram.start(services=kwargs.pop("services", services), **kwargs)
        return World(running=running, sandbox=sandbox, services=running.services, clock=clock)

    return start


async def say(user: SimUser, text: str) -> str:
    """Send ``text`` and return the bot's reply (all messages joined)."""
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


async def lee_follows_ben(w: World) -> tuple[SimUser, SimUser, int, int]:
    """Ben (hamstring, H2) links to Dr Lee through /link; return Lee, Ben and their ids."""
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, LEE, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    lee_person = w.person(LEE)
    assert lee_person is not None and lee_person.id is not None
    return lee, ben, ben_id, lee_person.id


async def ben_unlinks(w: World, ben: SimUser) -> None:
    """Ben stops sharing with Lee through /unlink, then the outbox is drained."""
    assert "Stop sharing" in await say(ben, "/unlink")
    await ben.press("Stop sharing")
    await ben.wait_reply()
    await w.deliver()


def unlinking_first(w: World, ben_id: int, lee_id: int, step: Callable[..., Any]) -> Any:
    """Return ``step`` made to unlink Ben from Lee (another replica's /unlink, committed)
    just before it runs."""

    def racing(*args: Any, **kwargs: Any) -> Any:
        with session_scope(w.engine) as session:
            unlink_athlete(session, athlete_id=ben_id, clinician_id=lee_id)
        return step(*args, **kwargs)

    return racing


async def until(user: SimUser, text: str, timeout: float = 20.0) -> list[TranscriptMessage]:
    """Wait until ``text`` is among the bot's messages to ``user`` (a background task sends
    it); return the messages since the user's last action."""

    def arrived(messages: list[TranscriptMessage]) -> bool:
        return any(text in (m.text or "") for m in messages)

    return await user.wait_until(arrived, timeout=timeout, describe=text)


def no_data_reached(user: SimUser, since: int, name: str = "Ben") -> None:
    """Nothing about the athlete reached ``user`` after their ``since`` first messages: no
    document, no chart, no card."""
    later = user.bot_messages[since:]
    assert not [m for m in later if m.kind in ("document", "photo")], later
    texts = [m.text or "" for m in later]
    assert not [t for t in texts if any(word in t for word in CARD_WORDS)], texts
    assert not [t for t in texts if name in t and "stopped sharing" not in t], texts


# --- a report or a chart being made when the link goes -----------------------------------------


@pytest.mark.parametrize("via", ["command", "button"])
async def test_a_report_made_while_the_athlete_unlinks_is_not_sent(
    full: WorldFactory, monkeypatch: pytest.MonkeyPatch, via: str
) -> None:
    """Lee asks for Ben's PDF (/report, or the card's Report button); Ben unlinks Lee while it
    is being built. The PDF used to go out all the same; now Lee reads one plain sentence
    and receives no document."""
    w = await full()
    lee, _ben, ben_id, lee_id = await lee_follows_ben(w)
    card = await open_card(lee, ben_id) if via == "button" else None
    before = len(lee.bot_messages)
    monkeypatch.setattr(
        report_handlers,
        "build_report_pdf",
        unlinking_first(w, ben_id, lee_id, report_handlers.build_report_pdf),
    )
    if card is not None:
        await lee.press("📄 Report (PDF)", card)
    else:
        await lee.send(f"/report {ben_id}")
    await until(lee, REPORT_WITHDRAWN)
    await asyncio.sleep(0.3)  # a document would follow at once
    no_data_reached(lee, before)


@pytest.mark.parametrize("command", ["/athlete", "/progress"])
async def test_a_chart_drawn_while_the_athlete_unlinks_is_not_sent(
    full: WorldFactory, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """The full chart after /athlete (and the /progress chart) is drawn in the background;
    Ben unlinks Lee meanwhile. It used to arrive anyway; now Lee is told it was not sent."""
    w = await full()
    lee, _ben, ben_id, lee_id = await lee_follows_ben(w)
    monkeypatch.setattr(
        chart_handlers,
        "build_progress_png",
        unlinking_first(w, ben_id, lee_id, chart_handlers.build_progress_png),
    )
    before = len(lee.bot_messages)
    await lee.send(f"{command} {ben_id}")
    said = [m.text or "" for m in await until(lee, CHART_WITHDRAWN)]
    await asyncio.sleep(0.3)
    assert not [m for m in lee.bot_messages[before:] if m.kind == "photo"]
    if command == "/progress":
        no_data_reached(lee, before)
    else:  # the card went out before the unlink; only the chart is withheld
        assert any(t.startswith(("🔴", "🟠", "🟢")) for t in said), said


async def test_the_athletes_own_report_is_still_sent(full: WorldFactory) -> None:
    """Guard (holds on the old code too): the re-check before sending never withholds an
    athlete's own report or a linked clinician's."""
    w = await full()
    lee, ben, ben_id, _lee_id = await lee_follows_ben(w)
    await ben.send("/report")
    await ben.wait_until(lambda ms: any(m.kind == "document" for m in ms), timeout=30)
    await lee.send(f"/report {ben_id}")
    await lee.wait_until(lambda ms: any(m.kind == "document" for m in ms), timeout=30)


# --- messages waiting in the outbox -------------------------------------------------------------


async def test_a_card_in_flight_when_the_athlete_unlinks_is_not_sent_on_its_retry(
    full: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ben's red-flag card to Lee is being sent (claimed, the call under way) when Ben's
    unlink commits on another replica; Telegram answers 429. The unlink withdraws only rows
    still waiting, so the card went back to wait for its retry and reached Lee a minute
    later. The sender now checks, once per batch, that each such card's reader may still
    see the athlete: it is withdrawn; the unlink notice still arrives."""
    w = await full()
    lee, _ben, ben_id, lee_id = await lee_follows_ben(w)
    before = len(lee.bot_messages)
    w.report_red_flag(ben_id)
    with session_scope(w.engine) as session:
        assert w.notifier()(session, ben_id, w.clock.now()) >= 1
    real_call = sender_module.call_telegram
    raced: list[int] = []

    async def call(bot: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
        if row.kind == ALERT_KIND and row.chat_id == LEE and not raced:
            raced.append(row.id)
            with session_scope(w.engine) as session:
                unlink_athlete(session, athlete_id=ben_id, clinician_id=lee_id)
            w.sandbox.fail_next("sendMessage", status=429, retry_after=60, chat_id=LEE)
        return await real_call(bot, row, *args, **kwargs)

    monkeypatch.setattr(sender_module, "call_telegram", call)
    await w.deliver()
    assert raced
    w.clock.advance(dt.timedelta(minutes=5))
    await w.deliver()
    no_data_reached(lee, before)
    with session_scope(w.engine, read_only=True) as session:
        assert session.get(Outbox, raced[0]) is None  # withdrawn, not left to wait


async def test_a_card_written_from_a_link_read_before_the_unlink_is_not_sent(
    full: WorldFactory,
) -> None:
    """A transaction that read Ben's links just before his unlink committed (the escalation
    job on another replica, PostgreSQL's read committed) queues a card for Lee after the
    unlink withdrew everything waiting. It is dropped when the sender claims it; the unlink
    notice is not (it is meant for the former clinician)."""
    w = await full()
    lee, ben, ben_id, lee_id = await lee_follows_ben(w)
    before = len(lee.bot_messages)
    await ben_unlinks(w, ben)
    with session_scope(w.engine) as session:
        late = enqueue_message(
            session,
            chat_id=LEE,
            text="🔴 Today · Ben\n• 07:30 Red flag, tier 2: athlete reported numbness.",
            kind=ALERT_KIND,
            now=w.clock.now(),
            person_id=lee_id,
            athlete_id=ben_id,
        )
        late_id = late.id
    await w.deliver()
    texts = [m.text or "" for m in lee.bot_messages[before:]]
    assert [t for t in texts if "Ben stopped sharing their data with you" in t], texts
    no_data_reached(lee, before)
    with session_scope(w.engine, read_only=True) as session:
        assert session.get(Outbox, late_id) is None


# --- old buttons, pending steps and commands after the unlink -----------------------------------


async def test_after_the_unlink_every_button_command_and_pending_step_is_refused(
    full: WorldFactory,
) -> None:
    """Guard (holds on the old code too): after Ben's /unlink, Lee's buttons on the red-flag
    card and on the /athlete card (Acknowledge, Reviewed, Hold, Step back, Message athlete,
    Report), the Confirm of a /stage he had started and /athlete, /report, /progress with
    Ben's number all get the neutral refusal; nothing of Ben's reaches Lee and nothing
    changes in Ben's programme."""
    w = await full()
    lee, ben, ben_id, _lee_id = await lee_follows_ben(w)
    card = await open_card(lee, ben_id)
    stage_asked = await say(lee, f"/stage {ben_id} H5 good progress")
    assert "✅ Change the stage" in lee.last_bot_message.button_labels, stage_asked
    confirm = lee.last_bot_message
    w.report_red_flag(ben_id)
    with session_scope(w.engine) as session:
        w.notifier()(session, ben_id, w.clock.now())
    await w.deliver()
    alert = next(m for m in reversed(lee.bot_messages) if "✅ Acknowledge" in m.button_labels)
    await ben_unlinks(w, ben)
    before = len(lee.bot_messages)

    pressed = [(label, alert) for label in alert.button_labels] + [
        (label, card) for label in card.button_labels
    ]
    pressed.append(("✅ Change the stage", confirm))
    assert len(pressed) >= 8, pressed
    for label, message in pressed:
        await lee.press(label, message)
        await lee.expect_no_reply(timeout=1.0)
        answer = lee.last_callback_answer
        assert answer is not None and answer.text == REFUSAL_TEXT, (label, answer)
    for command in ("/athlete", "/report", "/progress", "/note", "/hold"):
        assert await say(lee, f"{command} {ben_id}") == REFUSAL_TEXT, command
    # No "Message athlete" step waits for Ben any more: typed text is not sent to him.
    assert (await say(lee, "How is the leg?")).startswith("Nothing was sent")
    await asyncio.sleep(0.3)
    no_data_reached(lee, before)
    with session_scope(w.engine, read_only=True) as session:
        programme = session.exec(select(Programme).where(Programme.athlete_id == ben_id)).one()
        assert programme.current_stage == "H2"
        alerts = session.exec(select(AlertRecord).where(AlertRecord.athlete_id == ben_id)).all()
        assert all(a.acknowledged_at is None for a in alerts)
        assert session.exec(select(Link).where(Link.athlete_id == ben_id)).all() == []


# --- an admin removed from ADMIN_TELEGRAM_IDS -----------------------------------------------------


async def test_a_removed_admin_gets_nothing_waiting_and_their_old_buttons_do_nothing(
    full: WorldFactory,
) -> None:
    """Ada (admin) has Ben's red-flag card (no clinician: it goes to the admins) and a
    protocol draft with its Publish button; Cara's card waits for a retry. Ada is removed
    from ADMIN_TELEGRAM_IDS and the bot restarts. Cara's card used to reach Ada after the
    restart; it is now withdrawn (she is told her rights ended, as before). Ada's old
    Acknowledge, Report and Publish buttons get the neutral refusal (a guard)."""
    w = await full()
    ben_id = w.add_athlete(BEN, "Ben")
    cara_id = w.add_athlete(CARA, "Cara")
    ada = w.sandbox.user(ADMIN, "Ada")
    assert "Draft of" in await say(ada, "/protocol set hamstring H3 min_days.value 8")
    draft = ada.last_bot_message
    assert "✅ Publish" in draft.button_labels
    w.report_red_flag(ben_id)
    with session_scope(w.engine) as session:
        w.notifier()(session, ben_id, w.clock.now())
    await w.deliver()
    card = next(m for m in reversed(ada.bot_messages) if "✅ Acknowledge" in m.button_labels)
    assert "Ben" in (card.text or "")
    w.sandbox.fail_next("sendMessage", status=429, retry_after=60, chat_id=ADMIN)
    w.report_red_flag(cara_id)
    with session_scope(w.engine) as session:
        w.notifier()(session, cara_id, w.clock.now())
    await w.deliver()
    assert not [m for m in ada.bot_messages if "Cara" in (m.text or "")]
    with session_scope(w.engine, read_only=True) as session:
        versions = len(session.exec(select(ProtocolVersion)).all())

    moved = w.services.settings.model_copy(update={"admin_telegram_ids": [NEW_ADMIN]})
    services = type(w.services)(settings=moved, clock=w.clock, engine=w.engine)
    await w.running.stop()
    w = await full(services=services)
    w.clock.advance(dt.timedelta(minutes=5))
    before = len(ada.bot_messages)
    await w.deliver()
    texts = [m.text or "" for m in ada.bot_messages[before:]]
    assert ADMIN_REVOKED_TEXT in texts, texts
    no_data_reached(ada, before, name="Cara")

    for label, message in (
        ("✅ Acknowledge", card),
        ("📄 Report (PDF)", card),
        ("✅ Publish", draft),
    ):
        await ada.press(label, message)
        await ada.expect_no_reply(timeout=1.0)
        answer = ada.last_callback_answer
        assert answer is not None and answer.text == REFUSAL_TEXT, (label, answer)
    await asyncio.sleep(0.3)
    no_data_reached(ada, before, name="Ben")
    with session_scope(w.engine, read_only=True) as session:
        assert len(session.exec(select(ProtocolVersion)).all()) == versions
        alerts = session.exec(select(AlertRecord).where(AlertRecord.athlete_id == ben_id)).all()
        assert all(a.acknowledged_at is None for a in alerts)


# --- the athlete joins another clinician -------------------------------------------------------


async def test_linking_another_clinician_says_who_keeps_seeing_the_data(
    full: WorldFactory,
) -> None:
    """Ben, shared with Lee, opens Olsen's invitation. Linking adds a clinician (Lee is not
    replaced), so before Ben agrees the question now says that Lee keeps seeing his data and
    how to stop that; the old question named Olsen only, and an athlete "moving" to Olsen
    could believe Lee lost access. After the link both see him; after /unlink of Lee, only
    Olsen does."""
    w = await full()
    lee, ben, ben_id, _lee_id = await lee_follows_ben(w)
    olsen = await make_clinician(w, 2002, "Olsen")
    invite = await say(olsen, "/invite")
    code = invite.split("/link ")[1].split()[0]
    question = await say(ben, f"/link {code}")
    assert "Olsen asks to follow your return to sprint" in question, question
    assert "Lee keeps seeing your data too; /unlink stops that." in question, question
    await ben.press("✅ Share")
    await ben.wait_reply()
    for clinician in (lee, olsen):
        await open_card(clinician, ben_id)
    assert "Which clinician" in await say(ben, "/unlink")
    await ben.press("Lee")
    await ben.wait_reply()
    await ben.press("Stop sharing")
    await ben.wait_reply()
    assert await say(lee, f"/athlete {ben_id}") == REFUSAL_TEXT
    await open_card(olsen, ben_id)
    assert share_consents(w, ben_id) == [True, True]  # still shared with Olsen


def share_consents(w: World, athlete_id: int) -> list[bool]:
    """Whether each of the athlete's consents to share is standing (not withdrawn)."""
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(
            select(Consent).where(
                Consent.person_id == athlete_id, Consent.kind == "share_with_clinician"
            )
        ).all()
        return [r.granted and r.withdrawn_at is None for r in rows]


async def test_unlinking_the_last_clinician_records_the_consent_to_share_as_withdrawn(
    full: WorldFactory,
) -> None:
    """/unlink is how an athlete withdraws their consent to share. The consent given with the
    link stayed recorded as standing after Ben unlinked his only clinician (his /export
    said so); it is now recorded as withdrawn, and given again with a new link."""
    w = await full()
    lee, ben, ben_id, _lee_id = await lee_follows_ben(w)
    assert share_consents(w, ben_id) == [True]
    await ben_unlinks(w, ben)
    assert share_consents(w, ben_id) == [False]
    await link(w, lee, ben)
    assert share_consents(w, ben_id) == [False, True]
