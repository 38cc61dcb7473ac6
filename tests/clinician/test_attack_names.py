"""A clinician acting on an athlete by name, through the real bot: every action reaches the
athlete meant, or asks for the number; it never picks another athlete whose name is the first
word of the one typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import col, select

from bot.store.db import session_scope
from bot.store.models import ClinicianActionRecord, Note, Programme
from tests.clinician.conftest import World
from tests.clinician.test_clinician_flow import link, make_clinician, say

WorldFactory = Callable[[], Awaitable[World]]
LEE, JO, JO_SMITH, SAM = 2001, 3001, 3002, 3003


def stages(world: World) -> dict[int, str]:
    """Return each athlete's current stage."""
    with session_scope(world.engine, read_only=True) as session:
        return {p.athlete_id: p.current_stage for p in session.exec(select(Programme))}


def actions(world: World, athlete_id: int) -> list[tuple[str, str | None]]:
    """Return the clinician actions recorded for the athlete (kind, note), set-up excluded."""
    with session_scope(world.engine, read_only=True) as session:
        rows = session.exec(
            select(ClinicianActionRecord)
            .where(ClinicianActionRecord.athlete_id == athlete_id)
            .order_by(col(ClinicianActionRecord.id))
        ).all()
        return [(r.kind, r.note) for r in rows if r.note != "set up for the test"]


async def test_a_name_that_starts_with_another_athletes_name_asks_for_the_number(
    world: WorldFactory,
) -> None:
    """Lee follows "Jo" and "Jo Smith". "/stepback Jo Smith tight" stepped Jo back (with the
    reason "Smith tight") and "/note Jo Smith …" wrote on Jo's record: the first word was
    taken as the name. Now Lee is asked for the number, and nothing changes."""
    w = await world()
    lee = await make_clinician(w, LEE, "Lee")
    jo = w.add_athlete(JO, "Jo", stage="H2")
    jo_smith = w.add_athlete(JO_SMITH, "Jo Smith", stage="H2")
    await link(w, lee, w.sandbox.user(JO, "Jo"))
    await link(w, lee, w.sandbox.user(JO_SMITH, "Jo"))

    for command in ("/stepback Jo Smith tight after sprint", "/note Jo Smith called today"):
        reply = await say(lee, command)
        assert reply.startswith("To be sure it is the right athlete, send "), reply
        assert f"#{jo} Jo\n#{jo_smith} Jo Smith" in reply
    assert stages(w) == {jo: "H2", jo_smith: "H2"}
    assert actions(w, jo) == [] and actions(w, jo_smith) == []
    with session_scope(w.engine, read_only=True) as session:
        assert session.exec(select(Note)).all() == []

    # By number, it reaches the one meant.
    reply = await say(lee, f"/stepback {jo_smith} tight after sprint")
    assert "Jo Smith stepped back" in reply
    assert stages(w) == {jo: "H2", jo_smith: "H1"}


async def test_a_full_name_reaches_its_athlete_and_a_part_of_one_asks(
    world: WorldFactory,
) -> None:
    """The full name, in any case, is the athlete and the words after it the reason; a part
    of a name ("Jo" for Jo Smith) is not enough to act on: the number is asked for."""
    w = await world()
    lee = await make_clinician(w, LEE, "Lee")
    jo_smith = w.add_athlete(JO_SMITH, "Jo Smith", stage="H2")
    sam = w.add_athlete(SAM, "Sam", stage="H2")
    await link(w, lee, w.sandbox.user(JO_SMITH, "Jo"))
    await link(w, lee, w.sandbox.user(SAM, "Sam"))

    reply = await say(lee, "/hold jo smith sore hamstring")
    assert reply.startswith("Hold recorded for Jo Smith"), reply
    assert actions(w, jo_smith) == [("hold", "sore hamstring")]

    reply = await say(lee, "/stepback Jo tight")
    assert reply == (
        f"To be sure it is the right athlete, send /stepback with their number:\n#{jo_smith} "
        "Jo Smith"
    )
    assert stages(w) == {jo_smith: "H2", sam: "H2"}
    assert actions(w, sam) == []
