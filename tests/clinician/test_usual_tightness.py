"""/usual: a clinician accepts a tightness as usual for their athlete, end to end (every handler
module, the real athlete flow), on SQLite and PostgreSQL.

An athlete whose tightness stays at 4/10 after an acute strain rests every morning (no usual
level is known, and rest mornings never form one). Their clinician, having examined them,
sends "/usual <number> 4": the athlete is told in plain words, the /athlete card shows it, the
PDF record names it, and the next morning at 4/10 is a training day, while 6/10 is a lighter
one. Someone not linked, a value above the protocol's highest usual (5/10) or no number at
all records nothing, and says why.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser, TranscriptMessage
from bot.services.access import REFUSAL_TEXT
from bot.store.db import session_scope
from bot.store.models import ClinicianActionRecord, Decision
from tests.athlete.conftest import Phone
from tests.athlete.conftest import World as AthleteWorld
from tests.clinician.conftest import ADMIN, open_card
from tests.reports_bot.conftest import pdf_text
from tests.support.telegram import BotHarness

CLINICIAN, STRANGER, ANNA = 2001, 2002, 3001


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


async def _clinician(w: AthleteWorld, admin: SimUser, telegram_id: int, name: str) -> SimUser:
    invite = re.search(r"start=(clin_\S+)", await say(admin, "/invite_clinician"))
    assert invite
    person = w.sandbox.user(telegram_id, name)
    assert "You are now a clinician" in await say(person, f"/start {invite.group(1)}")
    return person


def _records(w: AthleteWorld) -> list[ClinicianActionRecord]:
    with session_scope(w.engine, read_only=True) as session:
        return list(
            session.exec(
                select(ClinicianActionRecord).where(ClinicianActionRecord.kind == "usual_tightness")
            )
        )


def _readiness(w: AthleteWorld, athlete_id: int, day: dt.date) -> str:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(
            select(Decision).where(
                Decision.athlete_id == athlete_id,
                Decision.local_date == day,
                Decision.kind == "morning",
            )
        ).all()
    [row] = rows
    return str(row.decision["readiness"])


def _has_document(messages: list[TranscriptMessage]) -> bool:
    return any(m.kind == "document" for m in messages)


async def _report(user: SimUser, command: str) -> str:
    """Send ``command`` (/report) and return the PDF's text, on one line."""
    await user.send(command)
    await user.wait_until(_has_document, timeout=30)
    return " ".join(pdf_text(user.documents[-1].data).split())


async def _next_morning(w: AthleteWorld, anna: Phone, tightness: str) -> None:
    w.clock.advance(dt.timedelta(days=1))
    await anna.morning(tightness=tightness, pain_test="0")


async def test_a_clinician_accepts_a_usual_tightness_and_the_next_morning_honours_it(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    await telegram.start(services=services)
    w = AthleteWorld(telegram=telegram, sandbox=sandbox, services=services, clock=clock)
    admin = sandbox.user(ADMIN, "Ada")
    lee = await _clinician(w, admin, CLINICIAN, "Lee")
    kim = await _clinician(w, admin, STRANGER, "Kim")
    assert "usual" in set(lee.commands)
    link = re.search(r"\?start=(\S+)", await say(lee, "/invite"))
    assert link
    anna = w.phone(ANNA, "Anna")
    await anna.onboard(code=link.group(1))
    person = w.person(ANNA)
    assert person is not None and person.id is not None
    anna_id = person.id

    # Tightness 4/10 with no usual level known: a rest day.
    await _next_morning(w, anna, "4")
    first = clock.now().date()
    assert _readiness(w, anna_id, first) == "rest"

    # Refusals: nothing is recorded, and each says why.
    assert await say(kim, f"/usual {anna_id} 4") == str(REFUSAL_TEXT)
    too_high = await say(lee, f"/usual {anna_id} 7")
    assert too_high == (
        "Not recorded: the usual tightness you can accept for Anna is from 0 to 5 (out of "
        "10). Above 5/10, their mornings stay rest days until the tightness comes down."
    )
    usage = (
        f"Send /usual {anna_id} followed by the tightness that is usual for Anna, a whole "
        f"number from 0 to 5 (out of 10), e.g. /usual {anna_id} 4"
    )
    assert await say(lee, f"/usual {anna_id} four") == usage
    assert await say(lee, f"/usual {anna_id}") == usage
    assert await say(lee, f"/usual {anna_id} -1") == usage
    assert _records(w) == []

    # Accepted: the clinician reads what changes, the athlete is told in plain words.
    done = await say(lee, f"/usual {anna_id} 4")
    assert done == (
        "Usual tightness for Anna recorded: 4/10. From their next morning check-in their "
        "tightness is compared with 4/10, or with their good mornings if those show less: a "
        "rise of 2 points or more makes a lighter day, 3 or more a rest day. At stages with "
        "running, tightness of 4/10 or more still means no running that day. It holds until "
        "you send /usual again or review them after a stop. They have been told."
    )
    [row] = _records(w)
    assert row.value == 4 and row.local_date == first + dt.timedelta(days=1)
    await w.deliver()
    assert anna.last == (
        "Lee has noted that tightness around 4/10 is usual for you for now: I'll look for "
        "changes from that. A rise of 2 points or more means a lighter day, 3 or more a rest "
        "day. Once you are running, tightness of 4/10 or more still means no running that day."
    )
    # Recorded for her next morning check-in (she answered today's already): the card says so.
    card = (await open_card(lee, anna_id)).text or ""
    assert "Usual tightness accepted: 4/10, from their check-in on " in card, card
    # The record of clinician actions in both reports names it.
    assert "Usual tightness accepted: 4/10" in await _report(lee, f"/report {anna_id}")
    mine = await _report(anna.user, "/report")
    assert "Your clinician noted that tightness around 4/10 is usual for you" in mine

    # The next morning at 4/10 is a training day; a rise to 6/10 a lighter one.
    await _next_morning(w, anna, "4")
    assert _readiness(w, anna_id, clock.now().date()) == "go"
    card = (await open_card(lee, anna_id)).text or ""
    assert "Usual tightness accepted: 4/10 (" in card, card
    await _next_morning(w, anna, "6")
    assert _readiness(w, anna_id, clock.now().date()) == "modify"


async def test_usual_is_refused_while_running_is_stopped_awaiting_a_review(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> None:
    """A warning sign stopped Anna's running: /usual before the review would be ended by the
    review itself, so it is refused with what to do, and nothing is recorded."""
    await telegram.start(services=services)
    w = AthleteWorld(telegram=telegram, sandbox=sandbox, services=services, clock=clock)
    admin = sandbox.user(ADMIN, "Ada")
    lee = await _clinician(w, admin, CLINICIAN, "Lee")
    link = re.search(r"\?start=(\S+)", await say(lee, "/invite"))
    assert link
    anna = w.phone(ANNA, "Anna")
    await anna.onboard(code=link.group(1))
    person = w.person(ANNA)
    assert person is not None and person.id is not None
    w.clock.advance(dt.timedelta(days=1))
    await anna.say("/checkin")
    await anna.tap("▫️ New swelling at the injury")
    stopped = await anna.tap("Done")
    assert (stopped[-1].text or "").startswith("⛔ No training until your clinician has reviewed")

    refused = await say(lee, f"/usual {person.id} 4")
    assert refused == (
        "Not recorded: Anna's running is stopped until your review takes effect (/clear "
        f"{person.id} records it). A review after a stop ends an accepted usual, so send /usual "
        "after their next morning check-in."
    )
    assert _records(w) == []
