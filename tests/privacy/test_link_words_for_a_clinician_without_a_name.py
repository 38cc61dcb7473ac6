"""/link from a clinician without a display name reads right in every language.

History: the services handed the handlers the words "your clinician" where the name goes, and
/link then asked "{name} asks to follow your return to sprint" with them, or with nothing at
all (an empty name: " asks to follow…"); German read "dein Behandler möchte … sieht dein
Behandler", Portuguese began with a lower-case "o seu profissional". The services now say
"no name" (None) and each sentence has its own words for it. A second clinician without a
name is counted, not left as an empty place in the list of those who keep seeing the data.

The real Application with every handler module on the Bot API sandbox, SQLite then PostgreSQL.
"""

from __future__ import annotations

import pytest

from bot.handlers.invites import LINKED_NO_NAME_TEXT, SHARE_QUESTION_NO_NAME
from bot.sandbox import SimUser
from bot.services.texts import WELCOME_WITH_YOUR_CLINICIAN
from bot.store.db import session_scope
from bot.store.repo.people import get_person_by_telegram_id
from bot.support.i18n import _, use_language
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import make_clinician, say
from tests.privacy.test_access_after_unlink import WorldFactory, full
from tests.privacy.test_link_consent_and_staff_buttons import invite_code, links_of

__all__ = ["full"]

OLSEN, LEE, DORA = 2301, 2302, 3301


def blank_name(w: World, telegram_id: int) -> None:
    """The clinician has no display name (a Telegram account without one, as stored)."""
    with session_scope(w.engine) as session:
        person = get_person_by_telegram_id(session, telegram_user_id=telegram_id)
        assert person is not None
        person.display_name = ""
        session.add(person)


async def linked_athlete(w: World, lang: str) -> SimUser:
    """Dora, an athlete already using Sprintback, her Telegram app in ``lang``."""
    dora = w.sandbox.user(DORA, "Dora", language_code=lang)
    w.add_athlete(DORA, "Dora")
    return dora


@pytest.mark.parametrize("lang", ["en", "de", "pt"])
async def test_link_from_a_clinician_without_a_name_asks_and_confirms_in_its_own_words(
    full: WorldFactory, lang: str
) -> None:
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    blank_name(w, OLSEN)
    dora = await linked_athlete(w, lang)

    asked = await say(dora, f"/link {code}")
    with use_language(lang):
        assert asked == str(SHARE_QUESTION_NO_NAME), asked
        share = _("✅ Share")
        linked = str(LINKED_NO_NAME_TEXT)
    await dora.press(share)
    [answer] = await dora.wait_reply()
    assert answer.text == linked
    assert links_of(w, DORA) == 1


async def test_another_clinician_without_a_name_is_counted_not_left_blank(
    full: WorldFactory,
) -> None:
    """Dora shares with Olsen, who has no name, and links Lee: the question says another
    clinician keeps seeing her data (it used to begin that line with an empty name)."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    lee = await make_clinician(w, LEE, "Lee")
    dora = await linked_athlete(w, "en")
    assert "Share your data" in await say(dora, f"/link {await invite_code(olsen)}")
    await dora.press("✅ Share")
    await dora.wait_reply()
    blank_name(w, OLSEN)

    asked = await say(dora, f"/link {await invite_code(lee)}")
    assert asked.startswith("Lee asks to follow your return to sprint."), asked
    last = asked.splitlines()[-1]
    assert last == "Another clinician keeps seeing your data too; /unlink stops that.", asked


@pytest.mark.parametrize("lang", ["de", "pt"])
async def test_a_newcomer_invited_by_a_clinician_without_a_name_is_welcomed_in_its_own_words(
    full: WorldFactory, lang: str
) -> None:
    """/start CODE from a clinician without a name: the welcome says "your clinician's link"
    in the language's own grammar (it read "über den Link von dein Behandler" and "enviado
    por o seu profissional" when the words were put where the name goes)."""
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    blank_name(w, OLSEN)
    eve = w.sandbox.user(3302, "Eve", language_code=lang)

    welcome = await say(eve, f"/start {code}")
    with use_language(lang):
        assert str(WELCOME_WITH_YOUR_CLINICIAN) in welcome, welcome
