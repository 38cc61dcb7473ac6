"""/athlete and the PDF count what the stage needs alike, and the card's "Still needed" list
is what its count says is left.

Read as a busy clinician: the card said "Exit criteria met: 0 of 8" above thirteen "Still
needed" lines, while the PDF of the same moment said "3 of 16 met"."""

from __future__ import annotations

import re

from tests.reports_bot.conftest import WorldFactory, pdf_text
from tests.reports_bot.test_hostile_protocols import has_document

ANNA, LEE = 3001, 2001


async def test_the_card_and_the_pdf_count_the_same_and_the_card_lists_the_rest(
    world: WorldFactory,
) -> None:
    w = await world()
    anna = w.add_athlete(ANNA, "Anna Moreau", days=120)  # at H5: many items, a sign-off
    lee = w.add_clinician(LEE, "Dr Lee")
    w.link(anna, lee)
    user = w.user(LEE, "Lee")

    await user.send(f"/athlete {anna}")
    [card] = await user.wait_reply(timeout=30)
    text = card.text or ""
    m = re.search(r"Exit criteria met: (\d+) of (\d+)", text)
    assert m is not None, text
    met, total = int(m[1]), int(m[2])
    listed = text.count("  ⬜ ")
    more = re.search(r"… and (\d+) more", text)
    needed = listed + (int(more[1]) if more else 0)
    assert total - met == needed, text

    await user.send("/report Anna")
    await user.wait_until(has_document, timeout=60)
    pdf = " ".join(pdf_text(user.documents[-1].data).split())
    assert f"{met} of {total} met." in pdf, pdf
