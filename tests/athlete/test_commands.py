"""Every athlete command through the sandbox."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable

from sqlmodel import select

from bot.services import texts
from bot.store.db import session_scope
from bot.store.models import ClinicianActionRecord, Outbox, Person, Programme
from bot.store.repo import latest_baseline
from bot.store.repo.people import set_language
from bot.support.i18n import use_language
from tests.athlete.conftest import CLINICIAN_ID, World


async def test_help_plan_status_history(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    replies = await alex.say("/plan")
    assert "send /start" in (replies[0].text or "")
    await alex.onboard()
    replies = await alex.say("/help")
    assert "/checkin" in (replies[0].text or "") and "/delete" in (replies[0].text or "")
    replies = await alex.say("/plan")
    plan = replies[0].text or ""
    assert "No training until you check in" in plan and "Stage 1 of 8 · protect and walk" in plan
    assert "H0" not in plan
    replies = await alex.say("/status")
    status = replies[0].text or ""
    assert status.startswith("Stage 1 of 8 · protect and walk")
    assert "⬜ walking pain 2/10 or less (not reported yet)" in status
    assert "checks." not in status and "needed:" not in status and "H0" not in status
    await alex.morning()
    replies = await alex.say("/plan")
    assert (replies[0].text or "").startswith("Today's session · Stage 1 of 8")
    replies = await alex.say("/history")
    history = replies[0].text or ""
    assert "Mon 2 Mar" in history and "train" in history and "0/1" in history
    assert "Stage 1" in history and "H0" not in history
    assert alex.user.commands[:3] == ["checkin", "done", "plan"]


async def test_baseline_and_settings(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard(baseline="")
    replies = await alex.say("/baseline")
    assert "none yet" in (replies[-1].text or "")
    replies = await alex.say("vmax 9.3 10m 1.0")
    assert "10 m split 1 s looks wrong" in (replies[0].text or "")
    replies = await alex.say("vmax 9.3 10m 1.75")
    assert "Baseline saved" in (replies[0].text or "")
    person = w.person(1001)
    assert person is not None
    baseline = w.read(lambda s: latest_baseline(s, athlete_id=person.id))
    assert baseline.vmax_ms == 9.3 and baseline.split_10m_s == 1.75
    await alex.say("/settings")
    await alex.tap("Check-in time")
    replies = await alex.say("6:15")
    assert "06:15" in (replies[0].text or "")
    await alex.say("/settings")
    await alex.tap("Time zone")
    await alex.tap("Asia")
    await alex.tap("Tokyo")
    await alex.say("/settings")
    replies = await alex.tap("Language")
    assert "Which language" in (replies[0].text or "")
    replies = await alex.tap("English")
    assert "in English" in (replies[-1].text or "")
    person = w.person(1001)
    assert person is not None
    assert (person.checkin_time, person.timezone, person.language) == ("06:15", "Asia/Tokyo", "en")


async def test_pause_and_resume_hold_the_programme(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    replies = await alex.say("/pause")
    # No clinician is linked: nobody is promised to be told.
    assert (replies[0].text or "").splitlines()[-1] == "Why are you pausing?"
    replies = await alex.tap("Travelling")
    assert "Paused" in (replies[-1].text or "")
    assert "already paused" in (await alex.say("/pause"))[0].text
    person = w.person(1001)
    assert person is not None and person.paused
    programme = w.read(lambda s: s.exec(select(Programme)).one())
    assert programme.status == "paused"
    replies = await alex.say("/resume")
    assert "Welcome back" in (replies[0].text or "")
    kinds = w.read(lambda s: [a.kind for a in s.exec(select(ClinicianActionRecord))])
    assert kinds == ["pause", "resume"]
    assert w.read(lambda s: s.exec(select(Programme)).one()).status == "active"


async def test_export_sends_json_and_csv(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    await alex.morning()
    await alex.say("/export")
    files = alex.user.documents
    names = sorted(f.filename or "" for f in files)
    assert names[0].endswith(".csv") and names[1].endswith(".json")
    data = json.loads(next(f for f in files if (f.filename or "").endswith(".json")).data)
    morning = data["tables"]["morning_checkin"]
    assert morning[0]["answers"]["sleep_hours"] == 7.5
    text = next(f for f in files if (f.filename or "").endswith(".csv")).data.decode()
    assert "# morning_checkin" in text and "answers.pain_test" in text
    section = text.split("# morning_checkin\n")[1].split("\n\n")[0]
    rows = list(csv.DictReader(io.StringIO(section)))
    assert rows[0]["answers.pain_test"] == "1"


async def test_delete_needs_two_confirmations_and_tells_the_clinician(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)
    await alex.say("/delete")
    replies = await alex.tap("No, keep my data")
    assert "Nothing was deleted" in (replies[-1].text or "")
    assert w.person(1001) is not None
    await alex.say("/delete")
    await alex.tap("Yes, continue")
    replies = await alex.tap("Yes, delete everything")
    assert "deleted" in (replies[-1].text or "")
    assert w.person(1001) is None
    assert w.read(lambda s: s.exec(select(Programme)).all()) == []
    notices = w.read(lambda s: s.exec(select(Outbox).where(Outbox.kind == "athlete_deleted")).all())
    assert [n.chat_id for n in notices] == [CLINICIAN_ID]
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")  # the clinician's chat with the bot
    await w.deliver()
    assert any("deleted their account" in (m.text or "") for m in clinician.bot_messages)
    assert w.read(lambda s: s.exec(select(Person).where(Person.role == "athlete")).all()) == []


async def test_athletes_see_the_athlete_menu(world: Callable[[], Awaitable[World]]) -> None:
    w = await world()
    alex = w.phone(1001)
    assert alex.user.commands == [
        "checkin",
        "done",
        "plan",
        "status",
        "problem",
        "progress",
        "history",
        "baseline",
        "settings",
        "pause",
        "resume",
        "unlink",
        "export",
        "delete",
        "cancel",
        "help",
    ]


async def test_a_pause_ordered_by_the_clinician_is_not_lifted_by_the_athlete(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)
    person = w.person(1001)
    assert person is not None
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await clinician.send(f"/pause {person.id} awaiting scan")
    await clinician.wait_reply()
    replies = await alex.say("/resume")
    assert "only they can resume" in (replies[0].text or "")
    programme = w.read(lambda s: s.exec(select(Programme)).one())
    assert programme.status == "paused"


async def test_the_deletion_notice_reaches_the_clinician_in_the_clinicians_language(
    world: Callable[[], Awaitable[World]],
) -> None:
    w = await world()
    code = w.clinician_invite("Dr Kim")
    alex = w.phone(1001)
    await alex.onboard(code=code)
    with session_scope(w.engine) as session:
        kim = session.exec(select(Person).where(Person.telegram_user_id == CLINICIAN_ID)).one()
        assert kim.id is not None
        set_language(session, person_id=kim.id, language="de")
    await alex.say("/delete")
    await alex.tap("Yes, continue")
    await alex.tap("Yes, delete everything")
    clinician = w.sandbox.user(CLINICIAN_ID, "Kim")
    await w.deliver()
    with use_language("de"):
        german = str(texts.CLINICIAN_ATHLETE_DELETED).split("#")[0]
    assert german != str(texts.CLINICIAN_ATHLETE_DELETED).split("#")[0]
    assert any((m.text or "").startswith(german) for m in clinician.bot_messages), [
        m.text for m in clinician.bot_messages
    ]


async def test_start_with_a_code_after_onboarding_names_only_a_real_invitation(
    world: Callable[[], Awaitable[World]],
) -> None:
    """An onboarded athlete's /start with a clinician's link says how to link; anything else
    typed after /start is called not valid, never offered back as a code to send."""
    w = await world()
    alex = w.phone(1001)
    await alex.onboard()
    junk = "<b>free-money</b>"
    said = "\n".join(m.text or "" for m in await alex.say(f"/start {junk}"))
    assert "already set up" in said and "not valid" in said, said
    assert junk not in said and "/link" not in said
    code = w.clinician_invite("Dr Kim")
    said = "\n".join(m.text or "" for m in await alex.say(f"/start {code}"))
    assert f"send /link {code}" in said and "not valid" not in said, said
