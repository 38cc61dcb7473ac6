"""Alerts about a stage the protocol cannot name read as sentences in every language.

A stage a newer version removed, or any stage of a protocol that cannot be read, is a phrase
("a stage no longer in the protocol", "a stage of a protocol that cannot be read"). Sentences
made for a stage's label put it after "from", "in" or "at": German then read "von eine
Stufe eines Protokolls, das nicht gelesen werden kann", "in eine nicht mehr im Protokoll
enthaltene Stufe", and French "de une étape", "en une étape". Such a stage is now left out
of the sentence (its own sentence, naming the stage that can be named); the early sign-off's
French says "pour" ("Validation pour une étape …").

The German and French sentences of the new texts need the lead's compile of the catalogues;
until then they read in English, which these tests accept (they check the broken forms are
gone, and the English sentences whole).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bot.reports.shown import alert_text
from bot.store import standing
from bot.store.standing import parse_text
from bot.support.i18n import use_language
from tests.reports_bot.test_hostile_protocols import club_text

# Engine sentences naming H8, a stage version 2 of the club's protocol removed.
GAP_STEP_BACK = (
    "Back after 10 days without a check-in or session (or paused): moved back from H8 to H2; "
    "its criteria, sessions and any sign-off are earned again."
)
REINJURY = (
    "Possible re-injury in H8: the athlete is moved back to H4 (max-sprint re-test and "
    "sign-off needed again after your review)."
)
RECOMMENDED = "Athlete moved from H8 to H3. A clinician review is recommended: Check it."
OTHER_STAGE = (
    "A clearance recorded for H2 was not applied: the athlete is in H8, whose gate needs its "
    "own sign-off."
)
UNKNOWN_STAGE = "Stage 'X9' does not exist in protocol club_hamstring: the athlete stays in H8."
EARLY = (
    "Sign-off for H8 recorded before its criteria were met (missing: Foo): it does not open "
    "the gate; you will be asked again."
)
CASES = [
    ("gap.step_back", GAP_STEP_BACK),
    ("stop.reinjury", REINJURY),
    ("gate.8.recommended", RECOMMENDED),
    ("clinician.clear.other_stage", OTHER_STAGE),
    ("clinician.set_stage", UNKNOWN_STAGE),
    ("gate.8.early", EARLY),
]
# A stage phrase after a preposition that needs another case (German) or an elision (French).
BROKEN = {
    "de": re.compile(r"\b(?:von|in|ab|aus|bei|mit|nach|zu) eine\b"),
    "fr": re.compile(r"\b(?:de|en|que) une\b"),
    "es": re.compile(r"\ben en\b"),
    "pt": re.compile(r"\bem uma etapa\b"),
}


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    standing._PROTOCOLS.clear()
    yield
    standing._PROTOCOLS.clear()


@pytest.mark.parametrize("lang", ["de", "fr", "es", "pt"])
@pytest.mark.parametrize(("rule", "text"), CASES)
def test_no_stage_phrase_in_a_wrong_case(lang: str, rule: str, text: str) -> None:
    club = parse_text(club_text(h8=False), "club.yaml")
    with use_language(lang):
        lines = [alert_text(rule, text, club), alert_text(rule, text, None)]
    for line in lines:
        assert not BROKEN[lang].search(line), line


def test_the_sentences_name_what_can_be_named() -> None:
    club = parse_text(club_text(h8=False), "club.yaml")
    with use_language("en"):
        assert alert_text("gap.step_back", GAP_STEP_BACK, club) == (
            "Back after 10 days without a check-in or session (or paused): moved back a stage, "
            "to H2 · Return to running, jog → ~65 % Vmax; its criteria, sessions and any "
            "sign-off are earned again."
        )
        assert alert_text("gap.step_back", GAP_STEP_BACK, None) == (
            "Back after 10 days without a check-in or session (or paused): moved back a stage; "
            "its criteria, sessions and any sign-off are earned again."
        )
        assert alert_text("stop.reinjury", REINJURY, club).startswith(
            "Possible re-injury: the athlete is moved back to H4 · "
        )
        assert alert_text("stop.reinjury", REINJURY, None) == (
            "Possible re-injury: the athlete is moved back to an earlier stage (max-sprint "
            "re-test and sign-off needed again after your review)."
        )
        assert alert_text("gate.8.recommended", RECOMMENDED, club).startswith(
            "Athlete moved up to H3 · "
        )
        assert alert_text("gate.8.recommended", RECOMMENDED, None) == (
            "Athlete moved up a stage. A clinician review is recommended: Check it."
        )
        for protocol in (club, None):
            assert alert_text("clinician.clear.other_stage", OTHER_STAGE, protocol) == (
                "A sign-off recorded for another stage was not applied: the athlete's current "
                "stage needs its own sign-off."
            )
            assert alert_text("clinician.set_stage", UNKNOWN_STAGE, protocol).endswith(
                ": the athlete stays at their current stage."
            )
    # A stage the protocol holds keeps its sentence.
    with use_language("en"):
        held = alert_text("stop.reinjury", REINJURY.replace("H8", "H5"), club)
    assert held.startswith("Possible re-injury in H5 · "), held


def test_a_removed_stage_never_reads_a_stage_phrase_after_from_or_in() -> None:
    club = parse_text(club_text(h8=False), "club.yaml")
    with use_language("en"):
        for rule, text in CASES[:5]:
            for protocol in (club, None):
                line = alert_text(rule, text, protocol)
                assert not re.search(r"\b(?:from|in|to) a stage (?:no longer|of a)", line), line
