"""What the dry-run says about athletes before a publish, checked against what the publish
then does, through the real bot (SQLite and PostgreSQL).

The dry-run's athlete lines replay each athlete's last 60 days under the draft: what it would
have decided. A publish re-decides nothing: each athlete stays in the stage they are in and
moves to the new version at their next decision. So a stage the draft adds before an
athlete's stage is one they never go through, which the replays (showing them in it) hid.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable

import yaml
from sqlmodel import select

from bot.sandbox import SimUser
from bot.services.protocol_files import PROTOCOL_DIR
from bot.store.db import session_scope
from bot.store.models import Programme
from tests.clinician.conftest import ADMIN, World

WorldFactory = Callable[[], Awaitable[World]]
SHIPPED = (PROTOCOL_DIR / "hamstring.yaml").read_text(encoding="utf-8")


async def say(user: SimUser, text: str) -> str:
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply(timeout=15))


def with_h8() -> bytes:
    """The shipped protocol with an extra stage H8 (a copy of H4) between H4 and H5."""
    data = yaml.safe_load(SHIPPED)
    h4 = next(s for s in data["stages"] if s["id"] == "H4")
    data["stages"].insert(5, {**copy.deepcopy(h4), "id": "H8", "name": "Extra HV block"})
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def stages(w: World) -> dict[int, tuple[str, int]]:
    with session_scope(w.engine, read_only=True) as session:
        rows = session.exec(select(Programme))
        return {p.athlete_id: (p.current_stage, p.protocol_version) for p in rows}


async def test_the_dry_run_says_who_will_not_go_through_an_added_stage(
    world: WorldFactory,
) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocols")
    anna = w.add_athlete(3001, "Anna", stage="H5")  # past where H8 goes
    ben = w.add_athlete(3002, "Ben", stage="H3")  # before it: he will go through it
    await admin.send_document("hamstring.yaml", with_h8())
    await admin.wait_until(lambda ms: any("Draft of" in (m.text or "") for m in ms), timeout=15)
    dry = await say(admin, "/protocol dryrun hamstring")
    assert (
        "⚠️ hamstring: 1 athlete is already past where the draft adds H8, so will not go "
        "through what is added unless their clinician moves them back"
    ) in dry, dry
    assert dry.endswith(
        "Past decisions stand: each athlete moves to the new version at their next decision, "
        "in the stage they are in now; a criterion the draft changes starts counting again "
        "at that decision."
    ), dry

    # What the dry-run said is what happens: Anna stays in H5 (never in H8), Ben in H3.
    await admin.press("✅ Publish")
    await admin.wait_until(lambda ms: any("v2 is published" in (m.text or "") for m in ms))
    assert stages(w) == {anna: ("H5", 2), ben: ("H3", 2)}


async def test_a_dry_run_without_athletes_says_nothing_of_them(world: WorldFactory) -> None:
    w = await world()
    admin = w.sandbox.user(ADMIN, "Ada")
    await say(admin, "/protocol set hamstring H3 min_days.value 6")
    dry = await say(admin, "/protocol dryrun hamstring")
    assert "Dry-run of the draft of hamstring" in dry, dry
    assert "Past decisions stand" not in dry and "⚠️" not in dry, dry
