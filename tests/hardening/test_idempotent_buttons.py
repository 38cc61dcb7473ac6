"""Finding 7: a second press of any decision button answers "already done" and changes nothing
(no second clearance, hold or step back stored, the athlete told once)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from bot.clock import FakeClock
from bot.sandbox import SimUser
from bot.services.clinician.decisions import ALREADY_DONE
from bot.store.db import session_scope
from bot.store.models import Clearance, ClinicianActionRecord, StageChange, UsedButton
from bot.store.repo.buttons import use_button
from bot.store.repo.people import create_person
from tests.clinician.conftest import World, open_card
from tests.clinician.test_clinician_flow import link, make_clinician
from tests.hardening.conftest import WorldFactory, audited, press_data

CLINICIAN, ANNA, BEN = 2001, 3001, 3002


def _count(w: World, table: Any, athlete_id: int) -> int:
    with session_scope(w.engine, read_only=True) as session:
        return len(session.exec(select(table).where(table.athlete_id == athlete_id)).all())


async def test_pressing_a_decision_button_twice_changes_nothing_the_second_time(
    world: WorldFactory,
) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H0")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)

    # An early sign-off (H0's walking pain not recorded yet) would lapse in the engine at the
    # end of the day: it is not offered, /clear records nothing, and everyone still reads
    # "waiting" (the card, the athlete: nothing was sent).
    w.raise_alert(ben_id, "info", "gate.8", "Stage H0: sign-off needed to move on.")
    await w.escalate()
    early = lee.last_bot_message
    assert "🟢 Sign off" not in early.button_labels
    assert "Not recorded: a sign-off counts only once" in await _say(lee, f"/clear {ben_id}")
    assert _count(w, Clearance, ben_id) == 0 and audited(w, "clear") == []
    card = await open_card(lee, ben_id)
    assert "Sign-off: you will be asked once the criteria are met." in (card.text or "")
    await w.deliver()
    assert not any("OK to move on" in (m.text or "") for m in ben.bot_messages)

    # Sign off on the alert once the criteria are met, twice.
    w.meet_h0_criteria(ben_id)
    w.raise_alert(ben_id, "info", "gate.8", "Stage H0 criteria met: sign-off needed to move on.")
    await w.escalate()
    gate_message = lee.last_bot_message
    clear = gate_message.find_button("🟢 Sign off")
    assert clear is not None
    await lee.press("🟢 Sign off")
    await lee.wait_until(lambda ms: any("Signed off: Ben" in (m.text or "") for m in ms))
    assert await press_data(w, lee, gate_message, clear["callback_data"]) == ALREADY_DONE
    await w.deliver()
    assert sum("OK to move on from Stage 1 of 8" in (m.text or "") for m in ben.bot_messages) == 1
    assert _count(w, Clearance, ben_id) == 1
    assert len(audited(w, "clear")) == 1
    # The same state everywhere: the card no longer waits for a sign-off.
    signed = await open_card(lee, ben_id)
    assert "Sign-off: given." in (signed.text or "")
    assert "🟢 Sign off" not in signed.button_labels

    card = await open_card(lee, ben_id)

    # Hold on the card, twice.
    hold = card.find_button("⏸ Hold")
    assert hold is not None
    await lee.press("⏸ Hold", card)
    await lee.wait_until(lambda ms: any("Hold recorded" in (m.text or "") for m in ms))
    assert await press_data(w, lee, card, hold["callback_data"]) == ALREADY_DONE
    await w.deliver()
    assert sum("asked you to stay at" in (m.text or "") for m in ben.bot_messages) == 1
    with session_scope(w.engine, read_only=True) as session:
        holds = session.exec(
            select(ClinicianActionRecord).where(
                ClinicianActionRecord.athlete_id == ben_id, ClinicianActionRecord.kind == "hold"
            )
        ).all()
        assert len(holds) == 1
        used = session.exec(select(UsedButton).where(UsedButton.athlete_id == ben_id)).all()
        assert {u.action for u in used} == {"clear", "hold"}
    again = await _say(lee, f"/hold {ben_id}")
    assert again.startswith("Ben is already on hold today at H"), again
    assert " · " in again  # the stage with its name, not the code alone

    # Step back on Anna's card, twice: one stage change, one notice.
    anna_id = w.add_athlete(ANNA, "Anna", stage="H2")
    anna = w.sandbox.user(ANNA, "Anna")
    await link(w, lee, anna)
    card = await open_card(lee, anna_id)
    back = card.find_button("↩️ Step back")
    assert back is not None
    before = _stage_changes(w)
    await lee.press("↩️ Step back", card)
    await lee.wait_until(lambda ms: any("stepped back" in (m.text or "") for m in ms))
    assert await press_data(w, lee, card, back["callback_data"]) == ALREADY_DONE
    assert _stage_changes(w) == before + 1
    await w.deliver()
    assert sum("moved you back" in (m.text or "") for m in anna.bot_messages) == 1


async def test_a_confirmed_review_pressed_twice_is_recorded_once(world: WorldFactory) -> None:
    w = await world()
    ben_id = w.add_athlete(BEN, "Ben", stage="H2")
    lee = await make_clinician(w, CLINICIAN, "Lee")
    ben = w.sandbox.user(BEN, "Ben")
    await link(w, lee, ben)
    w.report_red_flag(ben_id)
    await w.escalate()
    await lee.press("🩺 Reviewed: may run again")
    await lee.wait_reply()
    await _say(lee, "Checked by phone")
    confirmation = lee.last_bot_message
    button = confirmation.find_button("✅ Confirm review")
    assert button is not None
    await lee.press("✅ Confirm review")
    await lee.wait_until(lambda ms: any("Reviewed: Ben" in (m.text or "") for m in ms))
    assert await press_data(w, lee, confirmation, button["callback_data"]) == ALREADY_DONE
    await w.deliver()
    assert sum("may train again" in (m.text or "") for m in ben.bot_messages) == 1
    assert len(audited(w, "review")) == 1


def _stage_changes(w: World) -> int:
    with session_scope(w.engine, read_only=True) as session:
        return len(session.exec(select(StageChange)).all())


async def _say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


def test_the_store_records_a_button_once(db: Engine, clock: FakeClock) -> None:
    """The unique constraint decides: the second record of one button is refused."""
    now = clock.now()
    with session_scope(db) as session:
        athlete = create_person(session, role="athlete", telegram_user_id=1, now=now)
        doctor = create_person(session, role="clinician", telegram_user_id=2, now=now)
        athlete_id, doctor_id = athlete.id or 0, doctor.id or 0
    for expected in (True, False):
        with session_scope(db) as session:
            pressed = use_button(
                session,
                token="al_hold:1.0.0.H0:x:y",
                athlete_id=athlete_id,
                pressed_by=doctor_id,
                action="hold",
                now=now,
            )
            assert pressed is expected
