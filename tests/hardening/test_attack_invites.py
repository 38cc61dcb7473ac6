"""Invite codes used by the wrong person, through the real bot: a clinician who opens a
colleague's clinician invite (forwarded to them, or pasted by mistake) does not use it up."""

from __future__ import annotations

import re

from tests.clinician.test_clinician_flow import make_clinician
from tests.hardening.conftest import ADMIN, WorldFactory, audited, say


async def test_a_clinician_opening_a_colleagues_invite_leaves_it_for_the_colleague(
    world: WorldFactory,
) -> None:
    """Lee, a clinician already, opened the invite the admin made for Kim: Lee was welcomed
    "You are now a clinician" again and the code was used up, so Kim was told "This invite
    has already been used", and nobody knew why. Now Lee is told the code is not for their
    account, and Kim can still use it."""
    w = await world()
    lee = await make_clinician(w, 2001, "Lee")
    reply = await say(w.sandbox.user(ADMIN, "Ada"), "/invite_clinician")
    found = re.search(r"start=(clin_\S+)", reply)
    assert found, reply
    code = found.group(1)

    assert await say(lee, f"/start {code}") == "This code is not meant for your account."
    assert [e.detail["reason"] for e in audited(w, "invite_refused")] == ["wrong_role"]

    kim = w.sandbox.user(2002, "Kim")
    assert (await say(kim, f"/start {code}")).startswith(
        "Welcome! You are now a clinician on Sprintback."
    )
    person = w.person(2002)
    assert person is not None and person.role == "clinician"
    # Once used, Lee opening it again is told it was used, as anyone would be.
    used = "This invite has already been used. Ask for a new one."
    assert await say(lee, f"/start {code}") == used
