"""Alerts about a stage that a newer version of the protocol removed read as sentences.

The no-progress alert used to say "(stage {stage})", so a stage in words read "(stage a stage
no longer in the protocol)" and needed a sentence of its own; it now names the stage where a
label and a phrase both read ("No progression in H2 · Return to running for 14 days"). A
lapsed sign-off of such a stage read "Sign-off for a stage no longer in the protocol no longer
holds".
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

NO_PROGRESS = "escalate.no_progress"


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    standing._PROTOCOLS.clear()
    yield
    standing._PROTOCOLS.clear()


def _no_progress(stage: str) -> str:
    return f"No progression for 14 days (stage {stage}): clinician review."


def _lapsed(stage: str) -> str:
    return (
        f"Sign-off for {stage} no longer holds: a result after it did not meet Deleted club "
        "criterion. You will be asked again once the criteria are met."
    )


@pytest.mark.parametrize("stage", ["H2", "H8", "H9"])
def test_no_progress_never_puts_a_stage_after_the_word_stage(stage: str) -> None:
    """A stage the protocol holds, one named only by its code, one a newer version removed:
    one sentence shape, with "stage" never before the stage's label or phrase."""
    club = parse_text(club_text(), "club.yaml")
    with use_language("en"):
        line = alert_text(NO_PROGRESS, _no_progress(stage), club)
        unreadable = alert_text(NO_PROGRESS, _no_progress(stage), None)
    named = {
        "H2": "H2 · Return to running, jog → ~65 % Vmax",
        "H8": "H8 · Stage 3",
        "H9": "a stage no longer in the protocol",
    }[stage]
    assert line == f"No progression in {named} for 14 days: clinician review."
    assert unreadable == (
        "No progression in a stage of a protocol that cannot be read for 14 days: clinician review."
    )
    assert not re.search(r"\bstage (?:H\d|a stage)", line + unreadable, re.IGNORECASE), line


def test_a_lapsed_sign_off_of_a_removed_stage_is_one_clear_sentence() -> None:
    club = parse_text(club_text(h8=False), "club.yaml")
    with use_language("en"):
        line = alert_text("gate.8.lapsed", _lapsed("H8"), club)
    assert line == (
        "The sign-off for a stage since removed from the protocol has lapsed: a later result "
        "did not meet “Deleted club criterion”. Please set the athlete's stage with /stage."
    )
    assert line.count("no longer") == 0 and "asked again" not in line, line


def test_a_lapsed_sign_off_on_a_deleted_criterion_reads_in_german() -> None:
    """The criterion an admin deleted since is named by its text: the line is not the
    engine's English record."""
    club = parse_text(club_text(), "club.yaml")
    with use_language("de"):
        line = alert_text("gate.8.lapsed", _lapsed("H8"), club)
    assert line.startswith("Die Freigabe für H8 · "), line
    assert "„Deleted club criterion“" in line and "no longer holds" not in line, line
