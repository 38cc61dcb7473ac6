"""An invitation sent to the wrong person can be withdrawn at once by whoever made it.

- The message with the code (a clinician's /invite, an admin's /invite_clinician) says it can
  be withdrawn and carries the button; a press makes the code unusable at once and the
  message then says so, without the code.
- Whoever tries the withdrawn code is refused as for an expired code: nothing is linked,
  nobody becomes a clinician, and the clinician's name is not shown.
- A second press, or a press after the code was used or had expired, withdraws nothing and
  says why in plain words ("… has already used this invitation"), to the maker only.
- A button pressed by anyone else (forwarded, or forged) is refused in the neutral words,
  the same whether the invitation exists or not, and the code keeps working.

The real Application with every handler module on the Bot API sandbox, SQLite then PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from bot.handlers.context import signer_for
from bot.handlers.invites import (
    ACT_WITHDRAW_INVITE,
    ALREADY_WITHDRAWN_TEXT,
    EXPIRED_TEXT,
    FAILURE_TEXT,
    USED_BY_TEXT,
    USED_TEXT,
    WITHDRAW_BUTTON,
    WITHDRAW_HINT,
    WITHDRAWN_ANSWER,
    WITHDRAWN_TEXT,
)
from bot.sandbox import SimUser, TranscriptMessage
from bot.services import texts
from bot.services.access import REFUSAL_TEXT
from bot.store.db import session_scope
from bot.store.models import Invite
from bot.store.repo.links import unlink_athlete
from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import make_clinician, press_raw, say
from tests.privacy.test_access_after_unlink import WorldFactory, full
from tests.privacy.test_link_consent_and_staff_buttons import links_of

__all__ = ["full"]

OLSEN, LEE, DORA, EVE, STRANGER, NEWDOC = 2201, 2202, 3201, 3202, 3203, 2203
BUTTON = str(WITHDRAW_BUTTON)


async def athlete_invite(olsen: SimUser) -> tuple[str, TranscriptMessage]:
    """Olsen's /invite: the code and the message that gives it."""
    reply = await say(olsen, "/invite")
    code = re.search(r"/link (\S+)", reply)
    assert code, reply
    return code.group(1), olsen.last_bot_message


async def press_withdraw(user: SimUser, message: TranscriptMessage) -> tuple[str | None, bool]:
    """Press the withdraw button of ``message``; return the answer shown and whether it was
    a pop-up the user has to close."""
    await user.press(BUTTON, message)
    await user.wait_until(lambda _ms: user.last_callback_answer is not None)
    answer = user.last_callback_answer
    assert answer is not None
    return answer.text, answer.show_alert


def message_now(user: SimUser, message: TranscriptMessage) -> TranscriptMessage:
    """The message as the user sees it now (edits applied)."""
    [now] = [m for m in user.transcript if m.message_id == message.message_id]
    return now


def invite_row(w: World, code: str) -> Invite:
    with session_scope(w.engine, read_only=True) as session:
        return session.exec(select(Invite).where(Invite.code == code)).one()


async def test_a_clinician_withdraws_an_athlete_invite_and_the_code_stops_working(
    full: WorldFactory,
) -> None:
    """Olsen's /invite says the code can be withdrawn and has the button; he presses it: the
    message says it is withdrawn (the link and code are gone from it), and both a newcomer
    opening the link and an athlete sending /link are refused as for an expired code."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code, shown = await athlete_invite(olsen)
    assert str(WITHDRAW_HINT) in (shown.text or "")
    assert shown.button_labels == [BUTTON]
    data = shown.callback_data[0]

    answer, _alert = await press_withdraw(olsen, shown)
    assert answer == str(WITHDRAWN_ANSWER)
    edited = message_now(olsen, shown)
    assert edited.text == str(WITHDRAWN_TEXT["athlete"])
    assert code not in (edited.text or "") and edited.button_labels == []
    assert w.audit("withdraw_invite")[-1].detail["outcome"] == "withdrawn"

    # A newcomer who got the link: the plain "not valid (or has expired)", no name.
    eve = w.sandbox.user(EVE, "Eve")
    welcome = await say(eve, f"/start {code}")
    assert str(texts.INVITE_UNKNOWN) in welcome and "Olsen" not in welcome
    # An athlete already using Sprintback: the same words as for an expired code.
    w.add_athlete(DORA, "Dora")
    dora = w.sandbox.user(DORA, "Dora")
    assert await say(dora, f"/link {code}") == str(FAILURE_TEXT["expired"])
    assert links_of(w, DORA) == 0 and links_of(w, EVE) == 0
    invite = invite_row(w, code)
    assert invite.used_at is None and invite.expires_at <= w.clock.now()

    # The same button pressed again (a double tap, a stale keyboard): nothing more happens.
    await olsen.press_data(data, shown)
    await olsen.wait_until(lambda _ms: olsen.last_callback_answer is not None)
    again = olsen.last_callback_answer
    assert again is not None and again.show_alert
    assert again.text == str(ALREADY_WITHDRAWN_TEXT)


async def test_an_admin_withdraws_a_clinician_invite(full: WorldFactory) -> None:
    """The admin's /invite_clinician has the button; once pressed, whoever opens the link is
    refused as for an expired link and does not become a clinician."""
    w = await full()
    admin = w.sandbox.user(ADMIN, "Ada")
    reply = await say(admin, "/invite_clinician")
    code = re.search(r"start=(clin_\S+)", reply)
    assert code, reply
    shown = admin.last_bot_message
    assert str(WITHDRAW_HINT) in reply and shown.button_labels == [BUTTON]

    answer, _alert = await press_withdraw(admin, shown)
    assert answer == str(WITHDRAWN_ANSWER)
    assert message_now(admin, shown).text == str(WITHDRAWN_TEXT["clinician"])

    newdoc = w.sandbox.user(NEWDOC, "Nia")
    assert await say(newdoc, f"/start {code.group(1)}") == str(FAILURE_TEXT["expired"])
    person = w.person(NEWDOC)
    assert person is None or person.role != "clinician"


async def test_a_used_invite_is_not_withdrawn_and_the_maker_is_told_who_used_it(
    full: WorldFactory,
) -> None:
    """Dora used Olsen's code: his press says Dora already used it and changes nothing (the
    message keeps its text, the button goes). Once Dora no longer shares with him, the same
    press says it was used without naming her."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code, shown = await athlete_invite(olsen)
    data = shown.callback_data[0]
    w.add_athlete(DORA, "Dora")
    dora = w.sandbox.user(DORA, "Dora")
    assert "Share your data" in await say(dora, f"/link {code}")
    await dora.press("✅ Share")
    await dora.wait_reply()
    assert links_of(w, DORA) == 1

    answer, alert = await press_withdraw(olsen, shown)
    assert alert and answer == str(USED_BY_TEXT).format(name="Dora")
    after = message_now(olsen, shown)
    assert code in (after.text or "") and after.button_labels == []
    assert links_of(w, DORA) == 1

    dora_id = w.person(DORA).id  # type: ignore[union-attr]
    olsen_id = w.person(OLSEN).id  # type: ignore[union-attr]
    with session_scope(w.engine) as session:
        unlink_athlete(session, athlete_id=dora_id or 0, clinician_id=olsen_id or 0)
    await olsen.press_data(data, shown)
    await olsen.wait_until(lambda _ms: olsen.last_callback_answer is not None)
    late = olsen.last_callback_answer
    assert late is not None and late.text == str(USED_TEXT)


async def test_a_press_after_the_invite_expired_says_so(full: WorldFactory) -> None:
    """Eight days later the code has expired on its own: the press says nobody can use it."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    _code, shown = await athlete_invite(olsen)
    w.clock.advance(dt.timedelta(days=8))
    answer, alert = await press_withdraw(olsen, shown)
    assert alert and answer == str(EXPIRED_TEXT)
    assert w.audit("withdraw_invite")[-1].detail["outcome"] == "expired"


async def test_anyone_else_pressing_the_button_is_refused_and_the_code_keeps_working(
    full: WorldFactory,
) -> None:
    """Olsen's button pressed by another clinician, by an athlete and by the admin (a
    forwarded button), and a button made up for an invitation that does not exist: each gets
    the same neutral refusal. Even a validly signed button naming Olsen's invitation, pressed
    by someone else, is refused in the same words. Olsen's code still works afterwards."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    lee = await make_clinician(w, LEE, "Lee")
    code, shown = await athlete_invite(olsen)
    data = shown.callback_data[0]
    w.add_athlete(DORA, "Dora")
    dora = w.sandbox.user(DORA, "Dora")
    admin = w.sandbox.user(ADMIN, "Ada")
    for user in (lee, dora, admin):
        await say(user, "/help")
        assert await press_raw(w, user, user.last_bot_message, data) == REFUSAL_TEXT

    invite = invite_row(w, code)
    olsen_id = w.person(OLSEN).id  # type: ignore[union-attr]
    signer = signer_for(w.services, w.running.application.bot.token)
    stranger = w.sandbox.user(STRANGER, "Sam")
    await say(stranger, "/help")
    answers = set()
    for invite_id in (invite.id or 0, 999_999):
        made_up = signer.sign(
            ACT_WITHDRAW_INVITE, (invite_id, olsen_id or 0), STRANGER, w.clock.now()
        )
        answers.add(await press_raw(w, stranger, stranger.last_bot_message, made_up))
    assert answers == {REFUSAL_TEXT}

    assert invite_row(w, code).expires_at > w.clock.now()
    assert w.audit("withdraw_invite") == []
    eve = w.sandbox.user(EVE, "Eve")
    assert "Olsen" in await say(eve, f"/start {code}")  # the invitation still works
