"""A clinician's /unlink: they stop following one athlete (discharged, referred on, linked by
the wrong person), as the athlete's own /unlink would end the link.

/unlink <number or name> [reason] asks first, in plain words; Keep changes nothing; Stop
following ends the link (audited with the clinician as actor), tells the athlete in her own
language (with the reason word for word, and how to link a clinician when none is left), and
hands her open alert to whoever follows her now (the admins, when nobody does). Afterwards the
clinician no longer lists or sees her. A clinician not linked to her and an admin are refused
as for /hold; a forged, forwarded, late or second press, or one after she unlinked them
herself, does nothing and says so.

Before this, only the athlete could end a link: a clinician's /unlink did nothing of the sort.

The real Application with every handler module, webhook mode (every update stored in the inbox
first, as in production), on the Bot API sandbox, SQLite then PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bot.sandbox import SimUser, TranscriptMessage
from bot.services import texts
from bot.services.access import REFUSAL_TEXT
from bot.services.clinician import leaving
from bot.support.i18n import _, use_language
from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import link, make_clinician, press_raw
from tests.privacy.test_access_after_unlink import WorldFactory, full, say
from tests.privacy.test_clinician_delete import links_of, message_now, person_id, set_language
from tests.privacy.test_link_words_for_a_clinician_without_a_name import blank_name

__all__ = ["full"]

LEE, KIM, ANNA = 2001, 2002, 3001
LEE_NAME = "Dr Lee"
STOP, KEEP = str(leaving.UNLINK_BUTTON), str(leaving.UNLINK_KEEP_BUTTON)
OFFER = (
    "Stop following Anna? Their data will no longer be shared with you and their alerts will "
    "no longer come to you; they will be told, and can link with you again with a new "
    "invitation."
)
TO_THE_ADMINS = "Alerts about them go to the admins until they link another clinician."
DONE = "Done: you no longer follow Anna, and they have been told."
NOT_FOLLOWING = "You no longer follow this athlete, so nothing was changed."
OVER = (
    "This button no longer works, so nothing was changed. To stop following an athlete, send "
    "/unlink with their number."
)


async def start(full: WorldFactory, **kwargs: Any) -> World:
    """The Application with every handler module, in webhook mode."""
    return await full(mode="webhook", **kwargs)


async def lee_follows_anna(w: World, name: str = LEE_NAME) -> tuple[SimUser, SimUser, int, int]:
    """Dr Lee follows Anna (her app in Spanish), linked through /link."""
    anna_id = w.add_athlete(ANNA, "Anna")
    lee = await make_clinician(w, LEE, name)
    anna = w.sandbox.user(ANNA, "Anna")
    await link(w, lee, anna)
    set_language(w, anna_id, "es")
    return lee, anna, anna_id, person_id(w, LEE)


async def asked_to_unlink(user: SimUser, typed: str) -> TranscriptMessage:
    """Send ``typed`` (an /unlink); return the offer, with its two buttons."""
    await say(user, typed)
    offer = user.last_bot_message
    assert offer.button_labels == [STOP, KEEP], (offer.text, offer.button_labels)
    return offer


async def press(user: SimUser, label: str, offer: TranscriptMessage) -> str:
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


def data_of(message: TranscriptMessage, label: str) -> str:
    """The callback data of the button ``label`` as ``message`` showed it when it was read."""
    button = message.find_button(label)
    assert button is not None
    return str(button["callback_data"])


def told_in(language: str, name: str | None, *, reason: str = "", hint: bool = True) -> str:
    """What the athlete reads, in ``language``."""
    with use_language(language):
        if name:
            told = str(leaving.ATHLETE_UNFOLLOWED).format(clinician=name)
        else:
            told = str(leaving.ATHLETE_UNFOLLOWED_NO_NAME)
        link_hint = str(leaving.ATHLETE_LINK_HINT)
        reason_line = _("Reason: {note}").format(note=reason)
    if reason:
        return "\n".join([told, reason_line, *([link_hint] if hint else [])])
    return f"{told} {link_hint}" if hint else told


async def test_unlink_asks_in_plain_words_and_keep_changes_nothing(full: WorldFactory) -> None:
    w = await start(full)
    lee, _anna, anna_id, lee_id = await lee_follows_anna(w)

    offer = await asked_to_unlink(lee, "/unlink Anna")
    # Nobody else follows Anna: the clinician reads where her alerts go.
    assert offer.text == f"{OFFER} {TO_THE_ADMINS}"
    stop_data = data_of(offer, STOP)
    assert await press(lee, KEEP, offer) == "Nothing changed: you still follow Anna."
    assert message_now(lee, offer).button_labels == []
    # The offer is over: its Stop following, pressed now (a stale keyboard), does nothing.
    assert await press_raw(w, lee, offer, stop_data) == OVER
    assert links_of(w, lee_id) == [anna_id]
    assert "Anna" in await say(lee, "/athletes")
    assert [a for a in w.audit("unlink")] == []


async def test_stop_following_tells_her_in_her_language_and_her_alert_reaches_the_admins(
    full: WorldFactory,
) -> None:
    w = await start(full)
    admin = w.sandbox.user(ADMIN, "Ada")
    lee, anna, anna_id, lee_id = await lee_follows_anna(w)
    # A warning sign of Anna's reaches Lee; nobody acknowledges it.
    w.report_red_flag(anna_id)
    await w.escalate()
    assert any("numbness" in (m.text or "") for m in lee.bot_messages)
    assert not any("numbness" in (m.text or "") for m in admin.bot_messages)

    offer = await asked_to_unlink(lee, f"/unlink {anna_id}")
    stop_data = data_of(offer, STOP)
    assert await press(lee, STOP, offer) == DONE
    assert message_now(lee, offer).button_labels == []
    await w.deliver()

    # Anna is told in Spanish, with how to link a clinician (none is left).
    assert anna.bot_messages[-1].text == told_in("es", LEE_NAME)
    assert "Si tienes un nuevo profesional sanitario" in (anna.bot_messages[-1].text or "")
    assert links_of(w, lee_id) == []
    [unlinked] = w.audit("unlink")
    assert (unlinked.actor_id, unlinked.athlete_id) == (lee_id, anna_id)
    # Her open alert reaches the admins now that nobody follows her.
    assert any(
        "Anna" in (m.text or "") and "numbness" in (m.text or "") for m in admin.bot_messages
    )
    # Lee no longer lists or sees her.
    assert "Anna" not in await say(lee, "/athletes")
    assert await say(lee, f"/athlete {anna_id}") == REFUSAL_TEXT
    # A second press of Stop following (a double tap, or later) does nothing.
    assert await press_raw(w, lee, offer, stop_data) == NOT_FOLLOWING
    await w.deliver()
    assert anna.bot_messages[-1].text == told_in("es", LEE_NAME)
    assert len([m for m in anna.bot_messages if m.text == told_in("es", LEE_NAME)]) == 1


async def test_a_reason_is_sent_word_for_word_and_another_clinician_keeps_following(
    full: WorldFactory,
) -> None:
    w = await start(full)
    admin = w.sandbox.user(ADMIN, "Ada")
    lee, anna, anna_id, lee_id = await lee_follows_anna(w)
    kim = await make_clinician(w, KIM, "Kim")
    set_language(w, anna_id, "en")
    await link(w, kim, anna)
    w.report_red_flag(anna_id)
    await w.escalate()
    seen_by_kim = len(kim.bot_messages)
    reason = "Discharged today: well done, see you at the 6-week check"

    offer = await asked_to_unlink(lee, f"/unlink Anna {reason}")
    # Kim still follows Anna: nothing about the admins; the reason as Anna will read it.
    assert offer.text == f"{OFFER}\n\nAnna will read your reason word for word: {reason}"
    assert await press(lee, STOP, offer) == DONE
    await w.deliver()

    assert anna.bot_messages[-1].text == (
        f"{LEE_NAME} no longer follows your programme in Sprintback, so your data is no longer "
        f"shared with them.\nReason: {reason}"
    )
    assert links_of(w, person_id(w, KIM)) == [anna_id] and links_of(w, lee_id) == []
    # Kim was told of the alert already: it is not told again, nor handed to the admins.
    assert len(kim.bot_messages) == seen_by_kim
    assert not any("numbness" in (m.text or "") for m in admin.bot_messages)
    assert "Anna" in await say(kim, "/athletes")
    [unlinked] = w.audit("unlink")
    assert unlinked.detail["note"] == reason


async def test_a_clinician_without_a_name_is_never_called_by_an_empty_name(
    full: WorldFactory,
) -> None:
    w = await start(full)
    lee, anna, anna_id, lee_id = await lee_follows_anna(w, name="Lee")
    blank_name(w, LEE)
    set_language(w, anna_id, "en")

    offer = await asked_to_unlink(lee, "/unlink Anna")
    assert await press(lee, STOP, offer) == DONE
    await w.deliver()
    assert anna.bot_messages[-1].text == (
        "Your clinician no longer follows your programme in Sprintback, so your data is no "
        "longer shared with them. If you have a new clinician, send /link with their code."
    )
    assert links_of(w, lee_id) == []


async def test_who_may_not_unlink_and_buttons_that_do_nothing(full: WorldFactory) -> None:
    w = await start(full)
    admin = w.sandbox.user(ADMIN, "Ada")
    lee, anna, anna_id, lee_id = await lee_follows_anna(w)
    kim = await make_clinician(w, KIM, "Kim")
    kim_id = person_id(w, KIM)
    await say(admin, "/help")

    # Kim does not follow Anna; the admin follows nobody: both refused, as for /hold.
    refused_before = len(w.audit("refused"))
    assert await say(kim, f"/unlink {anna_id}") == REFUSAL_TEXT
    assert await say(kim, "/unlink Anna") == REFUSAL_TEXT
    assert await say(admin, f"/unlink {anna_id} not yours") == REFUSAL_TEXT
    refusals = w.audit("refused")[refused_before:]
    assert [r.detail["command"] for r in refusals] == ["/unlink"] * 3
    # The admin's refusal is audited as what was asked (it read "admin may not hold").
    assert refusals[-1].detail["reason"] == "admin may not unlink: a linked clinician's decision"
    assert links_of(w, lee_id) == [anna_id] and links_of(w, kim_id) == []

    offer = await asked_to_unlink(lee, "/unlink Anna")
    stop_data = data_of(offer, STOP)
    # Lee's own button pressed by Anna (forwarded) or by Kim, and made-up data pressed by Lee.
    await say(anna, "/help")
    with use_language("es"):  # Anna's language
        refused_in_spanish = _(REFUSAL_TEXT)
    assert await press_raw(w, anna, anna.last_bot_message, stop_data) == refused_in_spanish
    assert await press_raw(w, kim, offer, stop_data) == REFUSAL_TEXT
    assert await press_raw(w, lee, offer, f"unf_yes:{anna_id}:1:xxxxxxxxxxxx") == REFUSAL_TEXT
    assert links_of(w, lee_id) == [anna_id]
    # Lee's own Stop following, once the confirmation has expired (12 hours).
    w.clock.advance(dt.timedelta(hours=13))
    assert await press_raw(w, lee, offer, stop_data) == OVER
    assert links_of(w, lee_id) == [anna_id]

    # Anna unlinks Lee herself while his offer is on screen: his press does nothing.
    offer = await asked_to_unlink(lee, "/unlink Anna")
    with use_language("es"):
        stop_sharing = str(texts.UNLINK_YES)
    assert stop_sharing in await say(anna, "/unlink")
    await anna.press(stop_sharing)
    await anna.wait_reply()
    await w.deliver()
    heard = len(anna.bot_messages)
    assert await press(lee, STOP, offer) == NOT_FOLLOWING
    await w.deliver()
    assert len(anna.bot_messages) == heard
    assert [a.actor_id for a in w.audit("unlink")] == [anna_id]
