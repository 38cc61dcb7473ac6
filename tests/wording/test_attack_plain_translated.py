"""A protocol's own sentence an athlete reads in their language never has a clinician's term
swapped for plain words that break it.

The record words (LSI, Vmax, RSI, AKE) are language-neutral inside the protocols'
translations, so a plain word put in their place sits where the term was: "El LSI de salto
baja del 85 %" read "El comparado con tu otra pierna de salto baja del 85 %", "Sprung-LSI fällt
unter 85 %" read "Sprung-im Vergleich zu deinem anderen Bein fällt unter 85 %". An athlete's
own /report said so of the regression trigger that stepped them back. A criterion or trigger
with such a term is said in the athlete's words of what it measures instead (as the report's
criteria table and the chat already say it), and a term outside one is moved where the plain
words fit. Driven through the real bot on the Bot API sandbox, in Spanish and German.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox import SimUser
from bot.services.protocol_admin import ensure_seeded
from bot.services.protocol_files import load_protocol
from bot.store import repo
from bot.store.db import session_scope
from bot.support.i18n import use_language
from bot.support.protocol_texts import protocol_text
from bot.wording.reasons import plain
from engine.models import Injury, Metrics, MorningCheckIn
from engine.programme import ProgrammeState
from tests.reports_bot.conftest import World, WorldFactory, pdf_text, sqlite_url, world
from tests.store.conftest import sqlite_template

__all__ = ["sqlite_template", "sqlite_url", "world"]

ROBIN = 3301
ZONE = ZoneInfo("Europe/London")
# What stepped Robin back, as the engine stores it (engine.programme._trigger): the calf
# protocol's "Hop LSI falls below 85 %" (C4r3) at stage 5 of 8.
TRIGGER = {
    "rule": "C4r3",
    "text": "Hop LSI falls below 85 %: step back to the previous stage.",
    "observed": 80.0,
    "threshold": 85,
}
# The athlete's words for it (the chat says the same when it happens), and what the swap made.
THEIR_WORDS = {
    "es": "Una etapa atrás durante unos días: Distancia de salto en comparación con tu otra "
    "pierna menos de 85 %",
    "de": "Sprungweite im Vergleich zu deinem anderen Bein weniger als 85 %",
}
BROKEN = {
    "es": "El comparado con tu otra pierna de salto",
    "de": "Sprung-im Vergleich",
}
CLINICIAN_TERMS = re.compile(r"\b(?:LSI|RSI|AKET?|SLR|SLCR|Vmax)\b")
# A plain phrase put where "LSI" headed its phrase: "comparado con tu otra pierna de fuerza".
WEDGED = re.compile(r"(?:otra pierna|outra perna|autre jambe) (?:de|del|da|do|dos|das|du|des) ")
# The plain words in English, which a Spanish or German sentence must not hold.
ENGLISH_WORDS = ("compared with", "other leg", "top speed", "reactive strength")


def _space(text: str) -> str:
    """Babel's no-break spaces as spaces, runs of white space (PDF line breaks) as one."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def _write_step_back(w: World, lang: str) -> None:
    """Robin, calf strain, moved up to stage 5 of 8 (C4) and stepped back by C4r3 the next
    day, reading in ``lang``."""
    engine, clock = w.engine, w.clock
    start = clock.now().astimezone(ZONE).date() - dt.timedelta(days=6)

    def at(day: int, hour: int) -> dt.datetime:
        return dt.datetime.combine(start + dt.timedelta(days=day), dt.time(hour), ZONE)

    with session_scope(engine) as session:
        ensure_seeded(session, "calf", at(0, 9))
        robin = repo.create_person(
            session, role="athlete", telegram_user_id=ROBIN, chat_id=ROBIN,
            display_name="Robin Vale", timezone="Europe/London", now=at(0, 9),
        )  # fmt: skip
        assert robin.id is not None
        repo.set_language(session, person_id=robin.id, language=lang, chosen=True)
        injury = Injury(injury="calf", side="left", grade=1, injury_date=start - dt.timedelta(30))
        repo.add_injury(session, athlete_id=robin.id, injury=injury, now=at(0, 9))
        repo.set_baseline(session, athlete_id=robin.id, metrics=Metrics(vmax_ms=9.0), now=at(0, 9))
        programme = repo.start_programme(
            session, athlete_id=robin.id, protocol_name="calf", protocol_version=1,
            first_stage="C3", start_date=start, now=at(0, 10),
        )  # fmt: skip
        assert programme.id is not None
        days = [(0, "hold", "C3", "C3"), (1, "progress", "C3", "C4"), (2, "step_back", "C4", "C3")]
        for day, outcome, stage, after in days:
            date = start + dt.timedelta(days=day)
            repo.upsert_morning_checkin(
                session, athlete_id=robin.id, local_date=date, answered_at=at(day, 7),
                answers=MorningCheckIn(red_flags=[], pain_rest=0, pain_test=0),
                utc_offset_minutes=0,
            )  # fmt: skip
            reasons = [TRIGGER] if outcome == "step_back" else []
            repo.record_decision(
                session, athlete_id=robin.id, local_date=date, kind="daily", outcome=outcome,
                decision={"stage": stage, "stage_after": after, "reasons": reasons, "alerts": []},
                protocol_name="calf", protocol_version=1, now=at(day, 19),
            )  # fmt: skip
            if after != stage:
                repo.move_stage(
                    session, programme_id=programme.id, to_stage=after, now=at(day, 20),
                    reason=f"engine: {outcome} on {date.isoformat()}",
                )  # fmt: skip
        entered = start + dt.timedelta(days=2)
        state = ProgrammeState(
            stage="C3", stage_entered=entered, start=start, last_progress=start + dt.timedelta(1)
        )
        snapshot = {"as_of": entered.isoformat(), "state": state.model_dump(mode="json")}
        repo.save_programme_state(
            session, programme_id=programme.id, now=at(2, 21), state_json=json.dumps(snapshot)
        )


async def _own_report(user: SimUser) -> str:
    before = len(user.documents)
    await user.send("/report")
    await user.wait_until(lambda _messages: len(user.documents) > before, timeout=30)
    return _space(pdf_text(user.documents[-1].data))


@pytest.mark.parametrize("lang", ["es", "de"])
async def test_the_trigger_that_stepped_an_athlete_back_reads_in_their_words(
    world: WorldFactory, lang: str
) -> None:
    w = await world()
    _write_step_back(w, lang)
    mine = await _own_report(w.sandbox.user(ROBIN, "Robin", language_code=lang))
    assert THEIR_WORDS[lang] in mine, mine
    assert BROKEN[lang] not in mine, mine
    assert CLINICIAN_TERMS.findall(mine) == [], mine
    for english in ENGLISH_WORDS:
        assert english not in mine, (english, mine)


def _protocol_sentences(name: str) -> list[str]:
    """Every exit criterion and regression trigger text of a shipped protocol (English)."""
    protocol = load_protocol(name)
    return [
        rule.text
        for stage in protocol.stages
        for rule in (*stage.exit_criteria, *stage.regression_triggers)
    ]


@pytest.mark.parametrize("lang", ["es", "pt", "fr", "de"])
@pytest.mark.parametrize("name", ["hamstring", "calf"])
def test_no_criterion_of_a_shipped_protocol_reads_with_a_clinicians_term_or_english(
    name: str, lang: str
) -> None:
    """Each criterion and trigger as the athlete reads it where the protocol's own sentence is
    shown to them (the report's stage history, a criterion's name): in their language, without
    LSI, RSI, AKE or Vmax, and never a plain word wedged into a compound or before the words
    it should follow."""
    protocol = load_protocol(name)
    with use_language(lang):
        for source in _protocol_sentences(name):
            said = _space(plain(protocol_text(source), protocol))
            assert CLINICIAN_TERMS.findall(said) == [], (source, said)
            assert not any(english in said for english in ENGLISH_WORDS), (source, said)
            assert "-im Vergleich" not in said and "Geschwindigkeit-" not in said, (source, said)
            assert WEDGED.search(said) is None, (source, said)


def test_the_strength_criterion_reads_as_its_measure_in_spanish_and_french() -> None:
    """ "LSI de fuerza ≥ 90 %" (hamstring H4): the measure, then the comparison, then how much."""
    hamstring = load_protocol("hamstring")
    for lang, expected in (
        ("es", "Fuerza en comparación con tu otra pierna 90 % o más"),
        ("fr", "Force par rapport à ton autre jambe 90 % ou plus"),
    ):
        with use_language(lang):
            assert _space(plain(protocol_text("Strength LSI ≥ 90 %"), hamstring)) == expected
