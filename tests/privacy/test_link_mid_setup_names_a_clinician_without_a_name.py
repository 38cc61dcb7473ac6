"""/link in the middle of the set-up, from a clinician without a display name, is said in its
own sentence: "your clinician" is a phrase, not a name.

History: the sentence put the clinician's name where "{name}'s invitation" stands and, with no
name, the words "your clinician" there instead: German then read "mit dein Behandler" and
Portuguese "o convite de o seu profissional de saúde". A clinician without a name now has a
sentence of their own, and one with a name is still named.

The real Application with every handler module on the Bot API sandbox, SQLite then PostgreSQL.
"""

from __future__ import annotations

from bot.handlers.invites import NOT_SIGNED_UP_NO_NAME_TEXT, NOT_SIGNED_UP_TEXT, not_signed_up_text
from bot.handlers.onboarding import LINK_JOINS_SETUP, LINK_JOINS_SETUP_NO_NAME
from bot.store.db import session_scope
from bot.store.repo.people import get_person_by_telegram_id
from bot.support.i18n import use_language
from tests.athlete.conftest import Phone
from tests.clinician.test_clinician_flow import make_clinician
from tests.privacy.test_access_after_unlink import WorldFactory, full
from tests.privacy.test_link_consent_and_staff_buttons import invite_code

__all__ = ["full"]

OLSEN, EVE = 2121, 3121
LANGS = ("en", "es", "pt", "fr", "de")


async def test_link_mid_setup_from_a_clinician_without_a_name_says_your_clinician(
    full: WorldFactory,
) -> None:
    w = await full()
    olsen = await make_clinician(w, OLSEN, "Olsen")
    code = await invite_code(olsen)
    with session_scope(w.engine) as session:
        clinician = get_person_by_telegram_id(session, telegram_user_id=OLSEN)
        assert clinician is not None
        clinician.display_name = ""
        session.add(clinician)
    eve = Phone(w.sandbox.user(EVE, "Eve"), w)  # type: ignore[arg-type]
    await eve.say("/start")
    reply = "\n".join(m.text or "" for m in await eve.say(f"/link {code}"))
    assert reply.startswith(str(LINK_JOINS_SETUP_NO_NAME)), reply
    assert "Olsen" not in reply


def test_the_not_signed_up_answer_names_only_a_named_clinician() -> None:
    """/link or a Share button before the set-up is finished: the clinician's name when they
    have one, else the sentence without a name (never "your clinician" put for a name)."""
    for lang in LANGS:
        with use_language(lang):
            for name in (None, ""):
                assert not_signed_up_text(name, "AbC123") == str(NOT_SIGNED_UP_NO_NAME_TEXT).format(
                    code="AbC123"
                ), lang
            assert not_signed_up_text("Olsen", "AbC123") == str(NOT_SIGNED_UP_TEXT).format(
                name="Olsen", code="AbC123"
            )
    with use_language("en"):
        assert not_signed_up_text(None, "AbC123").startswith(
            "You have not finished setting up yet, so nothing is shared with your clinician "
        )
        assert (
            str(LINK_JOINS_SETUP)
            .format(name="Olsen")
            .startswith("You have not finished setting up yet, so I added Olsen's invitation")
        )
