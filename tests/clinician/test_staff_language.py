"""Clinicians and admins get their command menu and help in their own language."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.store.db import session_scope
from bot.store.models import Person
from bot.store.repo.people import get_person_by_telegram_id, set_language
from tests.clinician.conftest import ADMIN, World
from tests.clinician.test_clinician_flow import make_clinician, say
from tests.i18n.leaks import leaks

WorldFactory = Callable[[], Awaitable[World]]
LEE = 2001


async def test_a_clinician_reads_the_menu_and_help_in_their_telegram_language(
    world: WorldFactory,
) -> None:
    w = await world()
    w.sandbox.user(LEE, "Lee", language_code="fr")
    lee = await make_clinician(w, LEE, "Lee")
    menu = w.sandbox.commands_for_chat(LEE)
    assert menu[0] == {
        "command": "athletes",
        "description": "Vos athlètes, les plus urgents d'abord",
    }
    help_text = await say(lee, "/help")
    assert help_text.startswith(
        "Sprintback pour les professionnels de santé et les administrateurs."
    )
    assert "/athletes – Vos athlètes, les plus urgents d'abord" in help_text
    with session_scope(w.engine, read_only=True) as session:
        stored = get_person_by_telegram_id(session, telegram_user_id=LEE)
        assert stored is not None and stored.language == "fr"


async def test_a_stored_language_choice_wins_over_the_telegram_app(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(LEE, "Lee", language_code="en")
    lee = await make_clinician(w, LEE, "Lee")
    with session_scope(w.engine) as session:
        person = get_person_by_telegram_id(session, telegram_user_id=LEE)
        assert person is not None and person.id is not None
        set_language(session, person_id=person.id, language="de")
    help_text = await say(lee, "/help")  # /help sets the menu again, in the stored language
    assert help_text.startswith("Sprintback für Behandler und Administratoren.")
    assert (
        w.sandbox.commands_for_chat(LEE)[0]["description"]
        == "Ihre Athleten, die dringendsten zuerst"
    )


async def test_an_admin_menu_is_in_the_admins_telegram_language(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(ADMIN, "Ada", language_code="es")
    admin_help = await say(w.sandbox.user(ADMIN, "Ada"), "/help")
    assert admin_help.startswith("Sprintback para profesionales sanitarios y administradores.")
    descriptions = {c["command"]: c["description"] for c in w.sandbox.commands_for_chat(ADMIN)}
    assert descriptions["athletes"] == "Todos los atletas"
    assert descriptions["protocol"] == "show | set | dryrun | diff | history | rollback"


async def test_a_clinician_chooses_a_language_in_settings(world: WorldFactory) -> None:
    w = await world()
    w.sandbox.user(LEE, "Lee", language_code="en")
    lee = await make_clinician(w, LEE, "Lee")
    settings = await say(lee, "/settings")
    assert "Your time zone:" in settings
    assert settings.endswith("Which language should I write to you in?")
    assert lee.last_bot_message.button_labels == [
        "English",
        "Español",
        "Português",
        "Français",
        "Deutsch",
    ]
    await lee.press("Deutsch")
    done = await lee.wait_until(lambda ms: any("Deutsch" in (m.text or "") for m in ms))
    # In German once the catalogue has the sentence (staff are addressed formally, "Sie").
    assert "Deutsch" in (done[-1].text or "")
    with session_scope(w.engine, read_only=True) as session:
        stored = get_person_by_telegram_id(session, telegram_user_id=LEE)
        assert stored is not None and (stored.language, stored.language_chosen) == ("de", True)
    # The menu follows at once, whatever the app's language; so does the help.
    assert w.sandbox.commands_for_chat(LEE, "en")[0]["description"] == (
        "Ihre Athleten, die dringendsten zuerst"
    )
    assert (await say(lee, "/help")).startswith("Sprintback für Behandler und Administratoren.")


async def test_an_admin_without_a_stored_person_chooses_a_language(world: WorldFactory) -> None:
    w = await world()
    ada = w.sandbox.user(ADMIN, "Ada", language_code="en")
    await say(ada, "/settings")
    await ada.press("Español")
    await ada.wait_until(lambda ms: any("Español" in (m.text or "") for m in ms))
    assert (await say(ada, "/help")).startswith(
        "Sprintback para profesionales sanitarios y administradores."
    )


async def test_the_overview_names_each_stage_and_an_unnamed_athlete_in_the_readers_language(
    world: WorldFactory,
) -> None:
    """/athletes for a German admin: each stage with its name (never the code alone), and an
    athlete without a stored name by number, in German."""
    w = await world()
    w.add_athlete(3001, "Anna", stage="H2")
    unnamed = w.add_athlete(3002, "Ben", stage="H0")
    with session_scope(w.engine) as session:
        ben = session.get(Person, unnamed)
        assert ben is not None
        ben.display_name = ""
        session.add(ben)
    admin = w.sandbox.user(ADMIN, "Ada", language_code="de")
    overview = await say(admin, "/athletes")
    lines = overview.splitlines()
    anna = next(line for line in lines if "Anna" in line)
    assert "Anna · H2 · Zurück zum Laufen" in anna, anna
    assert any(f"Athlet #{unnamed} · H0 · " in line for line in lines), overview
    assert leaks(lines) == []


async def test_the_card_of_an_athlete_before_return_to_play_reads_in_german(
    world: WorldFactory,
) -> None:
    """The last stages wait for symptom-free days in a row: a German admin's card says so
    in German (it showed the engine's English sentence)."""
    w = await world()
    anna = w.add_athlete(3001, "Anna", stage="H5")
    admin = w.sandbox.user(ADMIN, "Ada", language_code="de")
    card = await say(admin, f"/athlete {anna}")
    assert "2 symptomfreie Tage in Folge" in card, card
    assert "No pain" not in card and leaks(card.splitlines()) == []
