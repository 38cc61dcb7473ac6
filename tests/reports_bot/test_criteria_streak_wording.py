"""A criterion met over several sessions in a row, as the PDF's "What is needed" table says
what was seen: in the clinician's language ("0 von 2 in Folge, zuletzt …"), never the
engine's English "0/2 in a row (last —)"."""

from __future__ import annotations

import re

from bot.store.db import session_scope
from bot.store.repo.people import set_language
from tests.reports_bot.conftest import WorldFactory, pdf_text
from tests.reports_bot.test_hostile_protocols import has_document

ANNA, LEE = 3001, 2001


async def _report(world: WorldFactory, lang: str) -> str:
    w = await world()
    # 120 days of history: Anna is at H5, whose session-pain criterion needs 2 in a row.
    anna = w.add_athlete(ANNA, "Anna Moreau", days=120)
    lee = w.add_clinician(LEE, "Dr Lee")
    w.link(anna, lee)
    with session_scope(w.engine) as session:
        set_language(session, person_id=lee, language=lang)
    user = w.user(LEE, "Lee")
    await user.send("/report Anna")
    await user.wait_until(has_document, timeout=60)
    return " ".join(pdf_text(user.documents[-1].data).split())


async def test_a_streak_reads_in_words_in_english(world: WorldFactory) -> None:
    pdf = await _report(world, "en")
    assert "in a row (last" not in pdf, pdf
    assert re.search(r"\d of 2 in a row, last ", pdf), pdf


async def test_a_streak_reads_in_german_in_a_german_report(world: WorldFactory) -> None:
    pdf = await _report(world, "de")
    assert "in a row" not in pdf, pdf
    assert re.search(r"\d von 2 in Folge, zuletzt ", pdf), pdf
