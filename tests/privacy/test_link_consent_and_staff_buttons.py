"""Consent to share with a clinician is given by the account asked, after the storage consent,
and a bad staff language button never holds up the bot.

- A forged /settings language button (or a clinician's, forwarded to someone else) is refused at
  once: it used to wait out SQLite's busy timeout on the event loop (every other update waited
  too), then fail with "Something went wrong".
- A clinician's own language button older than a button may be is "too old" (as their card
  buttons are), not "You don't have access to that."
- A "✅ Share" offered before /delete links nothing once the athlete signs up again: the new
  account never consented.
- /link before the set-up is finished shares nothing at once: the invitation joins the set-up,
  whose storage consent names the clinician and which asks about sharing.

The real Application with every handler module on the Bot API sandbox, SQLite then PostgreSQL.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlmodel import select

from bot.handlers.context import signer_for
from bot.handlers.invites import DELETED_OFFER_TEXT, SETTINGS_TOO_OLD_TEXT
from bot.handlers.onboarding import LINK_JOINS_SETUP
from bot.sandbox import SimUser
from bot.services import texts
from bot.services.access import REFUSAL_TEXT
from bot.store.db import session_scope
from bot.store.models import Consent, Invite, Link
from bot.store.repo.people import get_person_by_telegram_id
from tests.athlete.conftest import Phone
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import make_clinician, press_raw, say
from tests.privacy.test_access_after_unlink import WorldFactory, full

__all__ = ["full"]

OLSEN, DORA, EVE, STRANGER, ANNA = 2101, 3101, 3102, 3103, 3104
NO_ATHLETES = "No athletes are linked"


async def invite_code(olsen: SimUser) -> str:
    """Olsen's /invite: return the code for /link."""
    reply = await say(olsen, "/invite")
    code = re.search(r"/link (\S+)", reply)
    assert code, reply
    return code.group(1)


def links_of(w: World, telegram_id: int) -> int:
    """How many clinicians the person behind ``telegram_id`` now shares with."""
    with session_scope(w.engine, read_only=True) as session:
        person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
        if person is None:
            return 0
        return len(session.exec(select(Link).where(Link.athlete_id == person.id)).all())


def share_consents_of(w: World, telegram_id: int) -> int:
    """How many consents to share the person behind ``telegram_id`` has given."""
    with session_scope(w.engine, read_only=True) as session:
        person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
        if person is None:
            return 0
        rows = session.exec(
            select(Consent).where(
                Consent.person_id == person.id, Consent.kind == "share_with_clinician"
            )
        ).all()
        return len(rows)


# --- the staff language button ------------------------------------------------------------------


async def test_a_forged_language_button_is_refused_at_once_and_the_bot_keeps_answering(
    full: WorldFactory,
) -> None:
    """A stranger and an athlete press a made-up staff language button: each is refused at
    once, the bot answers the next message at once, and nothing of theirs changes."""
    w = await full()
    w.add_athlete(ANNA, "Anna")
    anna = w.sandbox.user(ANNA, "Anna")
    stranger = w.sandbox.user(STRANGER, "Sam")
    for user in (stranger, anna):
        await say(user, "/help")
        shown = user.last_bot_message
        started = asyncio.get_running_loop().time()
        assert await press_raw(w, user, shown, "stf_lang:de:1:x") == REFUSAL_TEXT
        assert asyncio.get_running_loop().time() - started < 3
    reply = await say(anna, "/help")
    assert "went wrong" not in reply and reply
    assert [a.detail["reason"] for a in w.audit("refused")][-2:] == [
        "callback: signature does not match the presser"
    ] * 2


async def test_a_clinicians_language_button_forwarded_to_an_athlete_is_refused(
    full: WorldFactory,
) -> None:
    """Olsen's real /settings button, pressed by an athlete (forwarded): refused at once, and
    neither Olsen's language nor the athlete's changes."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    await say(olsen, "/settings")
    button = olsen.last_bot_message.find_button("Deutsch")
    assert button is not None
    w.add_athlete(ANNA, "Anna")
    anna = w.sandbox.user(ANNA, "Anna")
    await say(anna, "/help")
    answer = await press_raw(w, anna, anna.last_bot_message, str(button["callback_data"]))
    assert answer == REFUSAL_TEXT
    assert "went wrong" not in await say(anna, "/help")
    assert w.person(OLSEN).language == "en"  # type: ignore[union-attr]


async def test_a_clinicians_own_language_button_after_31_days_says_it_is_too_old(
    full: WorldFactory,
) -> None:
    """Olsen presses his own /settings language button 31 days later: he is told the button is
    too old (was: a 10 s freeze and "Something went wrong" on SQLite, "You don't have access
    to that." on PostgreSQL); his language stays as it was."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    await say(olsen, "/settings")
    shown = olsen.last_bot_message
    button = shown.find_button("Deutsch")
    assert button is not None
    w.clock.advance(dt.timedelta(days=31))
    answer = await press_raw(w, olsen, shown, str(button["callback_data"]))
    assert answer == str(SETTINGS_TOO_OLD_TEXT)
    assert w.person(OLSEN).language == "en"  # type: ignore[union-attr]
    assert "Your time zone" in await say(olsen, "/settings")  # and the bot goes on answering


# --- a Share offered to an account deleted since -----------------------------------------------


async def test_a_share_button_from_before_delete_does_not_link_the_new_account(
    full: WorldFactory,
) -> None:
    """Dora sends /link with Olsen's code and does not answer; she deletes her data and sends
    /start again. The old "✅ Share" used to link her new account ("Linked. Olsen can now
    follow your programme."); now it says the offer was made to the deleted account, nothing
    is shared, and the code still works for a /link of the new account."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    w.add_athlete(DORA, "Dora")
    dora = w.sandbox.user(DORA, "Dora")
    assert "Share your data" in await say(dora, f"/link {code}")
    offer = dora.last_bot_message
    await delete_and_start_again(w, dora)  # a new account: nothing consented

    await dora.press("✅ Share", offer)
    [answer] = await dora.wait_reply()
    assert answer.text == str(DELETED_OFFER_TEXT)
    # Said as the button she pressed, in her words ("an offer made to an account" was not).
    assert (answer.text or "").startswith("This button was for your earlier account"), answer.text
    assert "Linked" not in (answer.text or "")
    assert links_of(w, DORA) == 0 and share_consents_of(w, DORA) == 0
    assert NO_ATHLETES in await say(olsen, "/athletes")
    assert w.audit("invite_refused")[-1].detail["reason"] == "deleted_account"


async def delete_and_start_again(w: World, dora: SimUser) -> None:
    """Dora deletes her data (confirmed twice), then sends /start: a new account."""
    await say(dora, "/delete")
    await dora.press(str(texts.DELETE_YES_1))
    await dora.wait_reply()
    await dora.press(str(texts.DELETE_YES_2))
    assert str(texts.DELETED) in [m.text for m in await dora.wait_reply()]
    await w.deliver()
    await say(dora, "/start")


@pytest.mark.parametrize("deleted", [True, False])
async def test_a_share_button_made_before_buttons_named_the_account(
    full: WorldFactory, deleted: bool
) -> None:
    """A Share button made by an earlier version (it names the invite only) and pressed after
    /delete and a new /start, minutes later, links nothing either; pressed by the account it
    was made for, it still links."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    w.add_athlete(DORA, "Dora")
    dora = w.sandbox.user(DORA, "Dora")
    assert "Share your data" in await say(dora, f"/link {code}")
    offer = dora.last_bot_message
    with session_scope(w.engine, read_only=True) as session:
        invite = session.exec(select(Invite).where(Invite.code == code)).one()
    signer = signer_for(w.services, w.running.application.bot.token)
    old_button = signer.sign("lnk_yes", (invite.id or 0,), DORA, w.clock.now())
    w.clock.advance(dt.timedelta(minutes=5))
    if deleted:
        await delete_and_start_again(w, dora)
    await dora.press_data(old_button, offer)
    [answer] = await dora.wait_reply()
    if deleted:
        assert answer.text == str(DELETED_OFFER_TEXT)
        assert links_of(w, DORA) == 0 and NO_ATHLETES in await say(olsen, "/athletes")
    else:
        assert answer.text == "Linked. Olsen can now follow your programme."
        assert links_of(w, DORA) == 1


async def test_the_share_button_of_the_account_asked_still_links(full: WorldFactory) -> None:
    """Guard (holds on the old code too): the athlete asked presses Share and is linked."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    w.add_athlete(DORA, "Dora")
    dora = w.sandbox.user(DORA, "Dora")
    assert "Share your data" in await say(dora, f"/link {code}")
    await dora.press("✅ Share")
    [answer] = await dora.wait_reply()
    assert answer.text == "Linked. Olsen can now follow your programme."
    assert links_of(w, DORA) == 1


# --- /link before the storage consent ----------------------------------------------------------


async def finish_setup(eve: Phone) -> None:
    """Eve answers the rest of the set-up as ``Phone.onboard`` does, after the consents."""
    for label in ("Hamstring", "Don't know", "Left", "1", "Yesterday"):
        await eve.tap(label)
    await eve.tap("Sprinting / running fast")
    await eve.tap("Rugby")
    await eve.say("vmax 9.0 10m 1.80")
    for label in ("Europe", "Berlin", "07:30"):
        await eve.tap(label)
    replies = await eve.tap("✅ Confirm")
    assert any("All set" in (m.text or "") for m in replies), eve.user.format_transcript()


async def test_link_before_the_storage_consent_joins_the_set_up_which_names_the_clinician(
    full: WorldFactory,
) -> None:
    """Eve sends /start, then /link with Olsen's code. She used to be asked to share at once,
    and Olsen saw her before she had agreed to storing anything (her storage consent then
    named only her and the admins). Now nothing is shared then: the invitation joins her
    set-up, whose storage consent names her clinician and which asks about sharing, as for an
    athlete who opened his link; Olsen sees her once she has agreed to both and finished."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    eve = Phone(w.sandbox.user(EVE, "Eve"), w)  # type: ignore[arg-type]
    first = "\n".join(m.text or "" for m in await eve.say("/start"))
    assert "Only you and the service admins can see it." in first

    reply = "\n".join(m.text or "" for m in await eve.say(f"/link {code}"))
    assert reply.startswith(str(LINK_JOINS_SETUP).format(name="Olsen")), reply
    assert "Only you, your clinician and the service admins can see it." in reply
    assert eve.user.last_bot_message.find_button("✅ Share") is None
    assert links_of(w, EVE) == 0 and share_consents_of(w, EVE) == 0
    assert NO_ATHLETES in await say(olsen, "/athletes")

    await eve.tap("I agree")  # storing, Olsen named
    asked = "\n".join(m.text or "" for m in await eve.tap("I agree"))  # sharing with Olsen
    assert links_of(w, EVE) == 0, asked  # not before the set-up is confirmed
    await finish_setup(eve)
    assert links_of(w, EVE) == 1 and share_consents_of(w, EVE) == 1
    assert "Eve" in await say(olsen, "/athletes")


async def test_link_after_the_storage_consent_is_asked_about_in_the_set_up(
    full: WorldFactory,
) -> None:
    """Eve agreed to storing her data (no clinician named then), then sends /link: sharing
    with Olsen is asked as the next set-up question, not by a button that links at once."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    eve = Phone(w.sandbox.user(EVE, "Eve"), w)  # type: ignore[arg-type]
    await eve.say("/start")
    await eve.tap("I agree")
    reply = "\n".join(m.text or "" for m in await eve.say(f"/link {code}"))
    assert reply.startswith(str(LINK_JOINS_SETUP).format(name="Olsen")), reply
    assert str(texts.CONSENT_SHARE) in reply, reply  # the set-up's own question on sharing
    assert eve.user.last_bot_message.find_button("✅ Share") is None
    assert links_of(w, EVE) == 0 and NO_ATHLETES in await say(olsen, "/athletes")
    await eve.tap("I agree")
    await finish_setup(eve)
    assert links_of(w, EVE) == 1
