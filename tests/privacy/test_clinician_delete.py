"""A clinician's /delete: they leave Sprintback as a clinician leaving a practice would expect.

/delete asks first, saying what happens; Keep changes nothing; Delete ends their links (each
athlete is told, in the athlete's language), hands the athletes' open alerts to the admins,
and forgets their record: afterwards no row holds their Telegram id, while the notes they wrote
stay in the athletes' records under their number. A clinician who is also an admin is refused
with the reason; a forged, forwarded, late or second press does nothing; their later messages
are answered as a stranger's.

The real Application with every handler module and the staff account module, webhook mode
(every update stored in the inbox first, as in production), on the Bot API sandbox, SQLite
then PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select

from bot.handlers.context import Services
from bot.sandbox import SimUser, TranscriptMessage
from bot.services import texts
from bot.services.access import REFUSAL_TEXT
from bot.services.clinician import leaving
from bot.store.db import session_scope
from bot.store.models import Link, Note, Person
from bot.store.repo.data_rights import export_athlete
from bot.support.i18n import _, use_language
from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import link, make_clinician, press_raw
from tests.privacy.test_access_after_unlink import WorldFactory, full, say
from tests.privacy.test_staff_delete_leaves_nothing import rows_naming

__all__ = ["full"]

LEE, ANNA, BEN, STRANGER = 2001, 3001, 3002, 4401
LEE_NAME = "Dr Leontyne Marrowby"  # the clinician's Telegram name, in no other text
NOTE = "PRIVATE-NOTE keen, tends to push through pain"
DELETE, KEEP = str(leaving.DELETE_BUTTON), str(leaving.KEEP_BUTTON)


async def start(full: WorldFactory, **kwargs: Any) -> World:
    """The Application with every handler module, in webhook mode."""
    return await full(mode="webhook", **kwargs)


def message_now(user: SimUser, message: TranscriptMessage) -> TranscriptMessage:
    """The message as the user sees it now (edits applied)."""
    [now] = [m for m in user.transcript if m.message_id == message.message_id]
    return now


async def press_and_read(user: SimUser, label: str, offer: TranscriptMessage) -> str:
    """Press ``label`` under ``offer``; return the pop-up's text, or else the text the offer
    became."""
    before = message_now(user, offer).text
    await user.press(label, offer)
    await user.wait_until(
        lambda _ms: (
            user.last_callback_answer is not None
            and (user.last_callback_answer.text or message_now(user, offer).text != before)
        )
    )
    answer = user.last_callback_answer
    assert answer is not None
    return answer.text or message_now(user, offer).text or ""


async def asked_to_delete(user: SimUser) -> TranscriptMessage:
    """Send /delete; return the offer, with its two buttons."""
    await say(user, "/delete")
    offer = user.last_bot_message
    assert offer.button_labels == [DELETE, KEEP], offer.button_labels
    return offer


def person_id(w: World, telegram_id: int) -> int:
    person = w.person(telegram_id)
    assert person is not None and person.id is not None
    return person.id


def links_of(w: World, clinician_id: int) -> list[int]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(Link).where(Link.clinician_id == clinician_id)).all()
        return sorted(row.athlete_id for row in rows)


def set_language(w: World, athlete_id: int, language: str) -> None:
    with session_scope(w.engine) as session:
        athlete = session.get(Person, athlete_id)
        assert athlete is not None
        athlete.language, athlete.language_chosen = language, True
        session.add(athlete)


async def lee_with_anna_and_ben(w: World) -> tuple[SimUser, SimUser, SimUser, int, int, int]:
    """Dr Lee follows Anna (Spanish) and Ben (German), each linked through /link."""
    anna_id = w.add_athlete(ANNA, "Anna")
    ben_id = w.add_athlete(BEN, "Ben")
    lee = await make_clinician(w, LEE, LEE_NAME)
    anna, ben = w.sandbox.user(ANNA, "Anna"), w.sandbox.user(BEN, "Ben")
    await link(w, lee, anna)
    await link(w, lee, ben)
    set_language(w, anna_id, "es")
    set_language(w, ben_id, "de")
    return lee, anna, ben, anna_id, ben_id, person_id(w, LEE)


async def test_delete_says_what_happens_and_keep_changes_nothing(full: WorldFactory) -> None:
    w = await start(full)
    lee, _anna, _ben, anna_id, ben_id, lee_id = await lee_with_anna_and_ben(w)

    offer = await asked_to_delete(lee)
    assert offer.text == (
        "This deletes your Sprintback account: your name, your chat with Sprintback and your "
        "settings are removed, and your invitations not used yet stop working.\n\n"
        "Your 2 athletes (Anna and Ben) will each be told that you have left and that their "
        "data is no longer shared with you. Alerts about an athlete left without a clinician "
        "go to the admins until the athlete links another clinician.\n\n"
        "The notes, sign-offs and decisions you recorded stay in the athletes' records under "
        f"your number (#{lee_id}), without your name.\n\n"
        "This cannot be undone. Delete your account?"
    )

    delete_data = _button_data(lee, offer, DELETE)
    assert await press_and_read(lee, KEEP, offer) == str(texts.DELETE_KEPT)
    assert message_now(lee, offer).button_labels == []
    # The offer is over: its Delete, pressed now (a stale keyboard), does nothing.
    answer = await press_raw(w, lee, offer, delete_data)
    assert answer == str(leaving.OFFER_OVER)
    assert links_of(w, lee_id) == sorted([anna_id, ben_id])
    assert w.person(LEE) is not None and w.person(LEE).display_name == LEE_NAME  # type: ignore[union-attr]
    assert "Anna" in await say(lee, "/athletes")


def _button_data(user: SimUser, message: TranscriptMessage, label: str) -> str:
    """The callback data of the button ``label`` as ``message`` showed it when it was read."""
    button = message.find_button(label)
    assert button is not None
    return str(button["callback_data"])


async def test_delete_tells_both_athletes_hands_alerts_to_the_admins_and_leaves_no_telegram_id(
    full: WorldFactory,
) -> None:
    w = await start(full)
    admin = w.sandbox.user(ADMIN, "Ada")
    lee, anna, ben, anna_id, _ben_id, lee_id = await lee_with_anna_and_ben(w)
    await say(lee, f"/note {anna_id} {NOTE}")
    await say(lee, "/invite")  # never used
    # A warning sign of Anna's reaches Lee; nobody acknowledges it.
    w.report_red_flag(anna_id)
    await w.escalate()
    assert any("numbness" in (m.text or "") for m in lee.bot_messages)
    assert not any("numbness" in (m.text or "") for m in admin.bot_messages)

    offer = await asked_to_delete(lee)
    delete_data = _button_data(lee, offer, DELETE)
    done = await press_and_read(lee, DELETE, offer)
    assert done == (
        "Done: your Sprintback account is deleted. Your 2 athletes have been told. "
        "What you recorded stays in the athletes' records under your number, without your name."
    )
    assert message_now(lee, offer).button_labels == []
    await w.deliver()

    # Each athlete is told, in their own language, with how to link a new clinician.
    for user, language in ((anna, "es"), (ben, "de")):
        with use_language(language):
            expected = (
                str(leaving.ATHLETE_TOLD).format(clinician=LEE_NAME)
                + " "
                + str(leaving.ATHLETE_LINK_HINT)
            )
        assert user.bot_messages[-1].text == expected
    assert links_of(w, lee_id) == []
    # Anna's open alert reaches the admins now that nobody follows her.
    assert any(
        "Anna" in (m.text or "") and "numbness" in (m.text or "") for m in admin.bot_messages
    )
    # A second press of Delete (a double tap, or later) does nothing.
    assert await press_raw(w, lee, offer, delete_data) == str(leaving.OFFER_OVER)
    w.clock.advance(dt.timedelta(hours=1))
    await w.deliver()

    assert rows_naming(w, (LEE,), ()) == []
    with session_scope(w.engine, read_only=True) as session:
        gone = session.get(Person, lee_id)
        assert gone is not None and (gone.role, gone.display_name) == ("clinician", "")
        # Anna's record still holds Lee's note, under his number, without his name.
        [note] = session.exec(select(Note).where(Note.athlete_id == anna_id)).all()
        assert note.author_id == lee_id and NOTE in note.text
        export = export_athlete(session, athlete_id=anna_id)
    [exported] = export["tables"]["note"]
    assert exported["author_id"] == lee_id and NOTE in exported["text"]
    assert LEE_NAME not in str(export["tables"]["note"])
    # Both athletes' records still read.
    for user in (anna, ben):
        status = await say(user, "/status")
        assert status and "went wrong" not in status


async def test_a_deleted_clinicians_later_message_is_answered_as_a_strangers(
    full: WorldFactory,
) -> None:
    w = await start(full)
    lee = await make_clinician(w, LEE, LEE_NAME)
    offer = await asked_to_delete(lee)
    # No athletes: the same offer, without the athletes' part.
    assert "athletes (" not in (offer.text or "") and "Alerts about" not in (offer.text or "")
    assert (offer.text or "").endswith("This cannot be undone. Delete your account?")
    assert await press_and_read(lee, DELETE, offer) == (
        "Done: your Sprintback account is deleted. What you recorded stays in the athletes' "
        "records under your number, without your name."
    )
    stranger = w.sandbox.user(STRANGER, "Sam")
    for sent in ("/athletes", "/delete", "hello"):
        assert await say(lee, sent) == await say(stranger, sent), sent


async def test_a_clinician_who_is_also_an_admin_is_refused(full: WorldFactory) -> None:
    w = await start(full)
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, LEE, LEE_NAME)
    await link(w, lee, w.sandbox.user(ANNA, "Anna"))
    lee_id = person_id(w, LEE)
    offer = await asked_to_delete(lee)  # shown before Lee became an admin
    delete_data = _button_data(lee, offer, DELETE)
    both = w.services.settings.model_copy(update={"admin_telegram_ids": [ADMIN, LEE]})
    await w.running.stop()
    w = await start(full, services=Services(settings=both, clock=w.clock, engine=w.engine))
    await w.deliver()

    assert await say(lee, "/delete") == str(leaving.ADMIN_REFUSAL)
    await press_raw(w, lee, offer, delete_data)
    await lee.wait_until(lambda _ms: lee.last_bot_message.text == str(leaving.ADMIN_REFUSAL))
    assert links_of(w, lee_id) == [anna_id]
    assert w.person(LEE) is not None and w.person(LEE).display_name == LEE_NAME  # type: ignore[union-attr]
    assert [a.detail["reason"] for a in w.audit("refused")][-2:] == [
        "delete_account: a current admin"
    ] * 2


async def test_a_forged_forwarded_or_late_delete_button_does_nothing(full: WorldFactory) -> None:
    w = await start(full)
    lee, anna, _ben, anna_id, ben_id, lee_id = await lee_with_anna_and_ben(w)
    offer = await asked_to_delete(lee)
    delete_data = _button_data(lee, offer, DELETE)
    # Lee's own button pressed by Anna (forwarded), and made-up data pressed by Lee.
    await say(anna, "/help")
    with use_language("es"):  # Anna's language
        refused_in_spanish = _(REFUSAL_TEXT)
    assert await press_raw(w, anna, anna.last_bot_message, delete_data) == refused_in_spanish
    assert await press_raw(w, lee, offer, f"acct_del:{lee_id}:1:xxxxxxxxxxxx") == REFUSAL_TEXT
    assert links_of(w, lee_id) == sorted([anna_id, ben_id])
    # Lee's own Delete, pressed 25 hours later.
    w.clock.advance(dt.timedelta(hours=25))
    assert await press_raw(w, lee, offer, delete_data) == str(leaving.OFFER_OVER)
    assert links_of(w, lee_id) == sorted([anna_id, ben_id])
    assert w.person(LEE) is not None and w.person(LEE).display_name == LEE_NAME  # type: ignore[union-attr]


async def test_a_current_admins_delete_is_answered_and_a_clinicians_help_lists_delete(
    full: WorldFactory,
) -> None:
    """An admin (no clinician account) who sends /delete is told why it cannot be done and
    what to do (it used to get no answer at all); a clinician finds /delete in /help."""
    w = await start(full)
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/help")
    assert await say(admin, "/delete") == str(leaving.ADMIN_REFUSAL)
    lee = await make_clinician(w, LEE, LEE_NAME)
    shown = await say(lee, "/help")
    assert "/delete" in shown and "/unlink" in shown, shown
