"""The report's "what is needed" table names a stage's sign-off in the clinician's language:
the stage's sign-off note as the protocol's texts are translated, and the early confirmation
(the next stage reached in under half the expected time) in our words, never the engine's
English sentence."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot.sandbox.state import TranscriptMessage
from bot.store import repo
from bot.store.db import session_scope
from engine.programme import ProgrammeState
from tests.reports_bot.conftest import World, WorldFactory, pdf_text

LEE = 2001


def has_document(messages: list[TranscriptMessage]) -> bool:
    """A wait_until predicate: a document has arrived."""
    return any(m.kind == "document" for m in messages)


def put_in_stage(w: World, athlete_id: int, stage: str) -> None:
    """Move the athlete to ``stage`` today, with the engine's snapshot there (as a clinician's
    set-stage and the next run of the athlete flow leave it)."""
    now = w.clock.now()
    today = now.date()
    with session_scope(w.engine) as session:
        programme = repo.get_active_programme(session, athlete_id=athlete_id)
        assert programme is not None and programme.id is not None
        repo.move_stage(session, programme_id=programme.id, to_stage=stage, now=now, reason="test")
        state = ProgrammeState(
            stage=stage, stage_entered=today, start=programme.start_date, last_progress=today
        )
        snapshot = {
            "as_of": (today - dt.timedelta(days=1)).isoformat(),
            "state": state.model_dump(mode="json"),
        }
        repo.save_programme_state(
            session, programme_id=programme.id, state_json=json.dumps(snapshot), now=now
        )


@pytest.mark.parametrize(
    ("stage", "english"),
    [
        # H0 needs the clinician's diagnosis: the sign-off note is a protocol text.
        ("H0", "Clinician-entered"),
        # A week after a grade 1 strain, H5 comes before half the expected 17 days.
        ("H4", "Clinician confirmation"),
    ],
)
async def test_a_german_clinician_reads_the_sign_off_in_german(
    world: WorldFactory, stage: str, english: str
) -> None:
    w = await world()
    anna_id = w.add_athlete(3001, "Anna Moreau", days=4)
    lee_id = w.add_clinician(LEE, "Dr Lee")
    w.link(anna_id, lee_id)
    put_in_stage(w, anna_id, stage)
    with session_scope(w.engine) as session:
        repo.set_language(session, person_id=lee_id, language="de", chosen=True)
    lee = w.user(LEE, "Lee")
    await lee.send("/report Anna")
    await lee.wait_until(has_document)
    text = " ".join(pdf_text(lee.documents[-1].data).split())
    assert "Freigabe" in text, text
    assert english not in text, text
    assert "Clinician-entered" not in text and "Clinician confirmation" not in text, text
