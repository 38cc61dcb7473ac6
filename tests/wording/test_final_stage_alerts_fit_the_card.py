"""The final stage's alerts after days away or without a run keep their review request on the
clinician's card, in every language.

History: the card cuts each alert line at ``ALERT_LINE_CHARS``. These lines said the capped
next session, the easy day after it and when matches return, and only then "Re-tests are due:
please review before matches", the one action asked of the clinician. In English they fitted;
translated they ran to 330–396 characters, so the card cut off exactly that request. Each line
is read here in every language with the longest stage label the protocols have and long
placeholder values (14 days, 90 %, 72 h), as the card reads it; so is the shorter sentence of
an alert recorded before the easy day was told, which overflowed as well.
"""

from __future__ import annotations

import pytest

from bot.reports.shown import alert_text
from bot.services.clinician.escalation import ALERT_LINE_CHARS
from bot.support.i18n import use_language
from bot.wording.stages import stage_label
from engine.schema import Protocol
from tests.engine.builders import protocol

LANGS = ("en", "es", "pt", "fr", "de")
PROTOCOLS = {name: protocol(name) for name in ("hamstring", "calf")}

# The engine's records (engine.programme._final_gap), with the stage id left to fill.
_NO_RUN = (
    "At the final stage {stage}, no run at its speed for 14 days (check-ins alone do not keep "
    "it): the first session back is capped at 90 % Vmax, without full training or matches. An "
    "easy day follows it: {easy} and no full training or matches; the usual sessions return "
    "72 h after that run. Its sprint and strength re-tests are due: please review whether a "
    "re-test or a move back a stage is needed before matches."
)
_AWAY = (
    "Back after 14 days without a check-in or session (or paused) at the final stage {stage}: "
    "the first session back is capped at 90 % Vmax, without full training or matches. An easy "
    "day follows it: {easy} and no full training or matches; the usual sessions return 72 h "
    "after that run. Its sprint and strength re-tests are due: please review whether a "
    "re-test or a move back a stage is needed before matches."
)
_EASY = ("nothing at or above 95 % Vmax", "no running")
# A record from before the easy day was told (still read from stored alerts).
_AWAY_BEFORE_EASY_DAY = (
    "Back after 14 days without a check-in or session (or paused) at the final stage {stage}: "
    "the first session back is capped at 90 % Vmax, without full training or matches. Its "
    "sprint and strength re-tests are due: please review whether a re-test or a move back a "
    "stage is needed before matches."
)


def _longest_stage(lang: str) -> tuple[Protocol, str]:
    """The protocol and stage whose clinician label is the longest in ``lang``."""
    with use_language(lang):
        return max(
            ((p, s.id) for p in PROTOCOLS.values() for s in p.stages),
            key=lambda ps: len(stage_label(ps[0], ps[1], "clinician")),
        )


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("record", [_NO_RUN, _AWAY], ids=["no_run", "days_away"])
@pytest.mark.parametrize("easy", _EASY, ids=["easy_percent", "no_running"])
def test_the_final_stage_alert_fits_the_card_line_in_every_language(
    lang: str, record: str, easy: str
) -> None:
    p, stage = _longest_stage(lang)
    text = record.format(stage=stage, easy=easy)
    with use_language(lang):
        line = alert_text("gap.final", text, p, None, brief=True)
        label = stage_label(p, stage, "clinician")
    # Worded (not the engine's sentence), with the stage named where the line names it.
    assert "capped at" not in line and "Its sprint and strength" not in line, line
    if record is _AWAY:
        assert label in line, line
    assert len(line) <= ALERT_LINE_CHARS, f"{lang}: {len(line)} characters: {line}"


@pytest.mark.parametrize("lang", LANGS)
def test_an_alert_recorded_before_the_easy_day_was_told_fits_too(lang: str) -> None:
    p, stage = _longest_stage(lang)
    with use_language(lang):
        line = alert_text("gap.final", _AWAY_BEFORE_EASY_DAY.format(stage=stage), p, None)
        label = stage_label(p, stage, "clinician")
    assert label in line and "capped at" not in line, line
    assert len(line) <= ALERT_LINE_CHARS, f"{lang}: {len(line)} characters: {line}"
