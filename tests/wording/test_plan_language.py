"""Today's session reads in the athlete's language (the compiled catalogues of bot/locale):
drill names, notes and rests from the protocol's translations, numbers with the language's
decimal sign, and record words (Vmax) replaced by plain words in that language."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.store.standing import parse_text
from bot.support import i18n
from bot.wording.plan import drill_line, plan_lines
from bot.wording.reasons import plain
from engine.plan import PlannedDrill, prescribe
from engine.schema import Protocol

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hamstring() -> object:
    return parse_text((ROOT / "protocols" / "hamstring.yaml").read_text(), "hamstring")


def _drill(protocol: object, stage: str, name: str, **planned: object) -> PlannedDrill:
    for each in protocol.stages:  # type: ignore[attr-defined]
        if each.id == stage:
            for drill in each.session:
                if drill.name == name:
                    fields = drill.model_dump(include=set(PlannedDrill.model_fields))
                    return PlannedDrill(**{**fields, **planned})
    raise AssertionError(f"no drill {name!r} at {stage}")


@pytest.fixture(autouse=True)
def _fresh_catalogues() -> None:
    i18n.reload_catalogues()


def test_the_session_reads_in_german(hamstring: object) -> None:
    walk = _drill(hamstring, "H0", "Walking as tolerated")
    iso = _drill(hamstring, "H0", "Submaximal isometrics (heel digs, 2-leg bridge holds)")
    with i18n.use_language("de"):
        assert drill_line(walk, hamstring) == "• Gehen, soweit verträglich: 10–20 min"
        line = drill_line(iso, hamstring)
    assert line.startswith("• Submaximale isometrische Übungen")
    assert "5 s halten, Schmerz ≤ 3/10" in line
    assert "holds" not in line and "pain" not in line


def test_rests_targets_and_decimals_follow_the_language(hamstring: object) -> None:
    runs = _drill(
        hamstring,
        "H2",
        "Run-throughs, walk-back recovery",
        pct_vmax=(50, 65),
        target_s=(11.88, 15.4),
    )
    runs = runs.model_copy(update={"distance_m": 70.0, "reps": (6, 10)})
    with i18n.use_language("es"):
        spanish = drill_line(runs, hamstring)
    with i18n.use_language("de"):
        german = drill_line(runs, hamstring)
    english = drill_line(runs, hamstring)
    # The times run from the fastest allowed to the slowest, as a range is read.
    assert "11,9–15,4 s" in spanish
    assert "walk back" not in spanish and "recuperación: vuelta caminando al inicio" in spanish
    assert "11,9–15,4 s" in german and "Pause: zurückgehen" in german
    assert "6–10 × 70 m at 50–65 % of your top speed, each in 11.9–15.4 s" in english
    assert english.endswith("recovery: walk back"), english  # "rest walk back" read as a verb
    # A band that rounds to one time reads as one time, not "2.3–2.3 s".
    narrow = runs.model_copy(update={"target_s": (2.28, 2.33), "timed_m": 20.0})
    assert "20 m in about 2.3 s" in drill_line(narrow, hamstring)
    half = runs.model_copy(update={"distance_m": 2.5, "reps": (6, 6)})
    with i18n.use_language("fr"):
        assert "6 × 2,5 m" in drill_line(half, hamstring)


def test_record_words_become_plain_words_in_the_readers_language(hamstring: object) -> None:
    exposure = _drill(hamstring, "H7", "Speed exposure")
    assert drill_line(exposure, hamstring).startswith(
        "• Speed exposure: 2–3 × 60 m at 95–100 % of your top speed"
    )
    assert plain("Exposure ≥ 95 % Vmax") == "Exposure ≥ 95 % of your top speed"
    with i18n.use_language("de"):
        german = drill_line(exposure, hamstring)
        assert plain("bei 70 % Vmax") == "bei 70 % deiner Höchstgeschwindigkeit"
    assert "95–100 % deiner Höchstgeschwindigkeit" in german
    assert "of your" not in german and "Vmax" not in german
    with i18n.use_language("pt"):
        assert "95–100 % da sua velocidade máxima" in drill_line(exposure, hamstring)


def test_the_first_run_back_after_time_away_is_said_in_the_readers_words(
    hamstring: object,
) -> None:
    assert isinstance(hamstring, Protocol)
    plan = prescribe(hamstring, "H4", None, None, max_pct_vmax=85, after_gap=True)
    assert any(note.startswith("First run back") for note in plan.notes)
    with i18n.use_language("de"):
        german = "\n".join(plan_lines(plan, hamstring))
    with i18n.use_language("en"):
        english = "\n".join(plan_lines(plan, hamstring))
    assert "⚠ Erster Lauf nach einer Pause: Bleib bei den Geschwindigkeiten unten." in german
    assert "⚠ First run back after time away: keep to the speeds below." in english
    assert "Vmax" not in english  # the record's words never reach the athlete


def test_the_first_run_back_at_the_final_stage_says_no_match_today(hamstring: object) -> None:
    """At the final stage the capped first run back also leaves out full training and matches:
    the athlete reads that, in their words, not only "keep to the speeds below"."""
    assert isinstance(hamstring, Protocol)
    plan = prescribe(hamstring, "H7", None, None, max_pct_vmax=90, after_gap=True)
    assert not any(d.kind == "sport" for d in plan.drills)
    with i18n.use_language("en"):
        english = "\n".join(plan_lines(plan, hamstring))
    with i18n.use_language("fr"):
        french = "\n".join(plan_lines(plan, hamstring))
    assert "⚠ No full team or event training or match today: this is your first session" in (
        english
    )
    # The drill's name says no speed of its own: the capped range is the only one read.
    assert "• Speed exposure: 2–3 × 60 m at 80–90 % of your top speed" in english
    assert "Vmax" not in english and "Vmax" not in french
    assert "match aujourd'hui" in french
