"""A stage that a newer version of an admin's protocol removed, as the clinician reads it.

Version 2 of the club's protocol drops its stage H8 while Anna is on it. The no-progress
alert about H8 reads as a sentence ("… in a stage no longer in the protocol"), never "(stage
an earlier stage)"; the PDF and /athlete show no exit criteria of another stage (the replay
of version 2 starts at H0) and offer no sign-off of it, and say why in words. A stage the
protocol still holds, and one without a display name, keep their "H2 · Return to running" /
"H8 · Stage 3" label in the same sentence.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest

from bot.reports.shown import alert_text
from bot.services.digest import run_digest
from bot.store import standing
from bot.store.standing import parse_text
from bot.support.i18n import use_language
from tests.reports_bot.conftest import WorldFactory
from tests.reports_bot.test_hostile_protocols import (
    LEE,
    alert_cards,
    athlete_card,
    club_athlete,
    club_text,
    publish,
    raise_alerts,
    report_text,
)

NO_PROGRESS = "escalate.no_progress"
GONE = "No progression in a stage no longer in the protocol for 14 days: clinician review."


@pytest.fixture(autouse=True)
def _fresh_protocol_cache() -> Iterator[None]:
    """Each test's database has its own "club_hamstring v2" (see test_hostile_protocols)."""
    standing._PROTOCOLS.clear()
    yield
    standing._PROTOCOLS.clear()


def no_progress(stage: str) -> str:
    return f"No progression for 14 days (stage {stage}): clinician review."


def test_no_progress_names_each_kind_of_stage_in_a_sentence() -> None:
    club = parse_text(club_text(), "club.yaml")
    with use_language("en"):
        # A stage the protocol holds, and one whose name is only its code.
        assert alert_text(NO_PROGRESS, no_progress("H2"), club) == (
            "No progression in H2 · Return to running, jog → ~65 % Vmax for 14 days: "
            "clinician review."
        )
        assert alert_text(NO_PROGRESS, no_progress("H8"), club) == (
            "No progression in H8 · Stage 3 for 14 days: clinician review."
        )
        # A stage a newer version removed, and a protocol that cannot be read.
        assert alert_text(NO_PROGRESS, no_progress("H9"), club) == GONE
        assert alert_text(NO_PROGRESS, no_progress("H9"), None) == (
            "No progression in a stage of a protocol that cannot be read for 14 days: "
            "clinician review."
        )
        # A stall of the removed stage names criteria this version no longer has.
        stall = "No progress in H9 for 14 days. Missing: Club hop test done: not met (last 2)."
        assert alert_text("stall", stall, club) == (
            "No progress for 14 days in a stage no longer in the protocol. Missing: Club hop "
            "test done: not met (last 2)."
        )
        assert "an earlier stage" not in alert_text(NO_PROGRESS, no_progress("H9"), club)


@pytest.mark.parametrize("lang", ["de", "fr", "es", "pt"])
def test_no_progress_of_a_removed_stage_never_puts_a_phrase_after_the_word_stage(
    lang: str,
) -> None:
    """The catalogues word "(stage {stage})" as "(Stufe {stage})", "(étape {stage})",
    "(etapa {stage})": a stage in words there read "(Stufe eine frühere Stufe)"."""
    club = parse_text(club_text(), "club.yaml")
    with use_language(lang):
        line = alert_text(NO_PROGRESS, no_progress("H9"), club)
    assert not re.search(r"\((?:Stufe|étape|etapa) (?:eine|une|uma|una) ", line), line


async def test_a_removed_stage_reads_in_words_and_shows_no_other_stages_criteria(
    world: WorldFactory,
) -> None:
    w = await world()
    publish(w, club_text())
    version = publish(w, club_text(h8=False))
    anna, _lee = club_athlete(w, version=version)
    raise_alerts(w, anna)

    card = (await alert_cards(w, anna))[-1]
    assert GONE in card, card
    assert "an earlier stage" not in card, card

    athlete = await athlete_card(w, anna)
    assert GONE in athlete, athlete
    assert "an earlier stage" not in athlete, athlete
    # Not the criteria of H0 (walking pain, its sign-off), nor "6 days in this stage".
    assert "The athlete's stage is not in the protocol version the programme runs on" in athlete
    assert "walking pain" not in athlete and "Exit criteria met" not in athlete, athlete
    assert "your sign-off is needed" not in athlete, athlete
    assert "A sign-off was asked for a stage that is no longer in the protocol" in athlete

    pdf = await report_text(w)
    assert GONE in pdf, pdf
    assert "an earlier stage" not in pdf, pdf
    assert "What is needed to leave the current stage" in pdf, pdf
    assert "The athlete's stage is not in the protocol version the programme runs on" in pdf
    assert "H0" not in pdf and "Triage" not in pdf and "Walking pain" not in pdf, pdf


async def test_the_digest_names_a_removed_stage_without_stage_before_it(
    world: WorldFactory,
) -> None:
    """The digest's stage line reads "stage H2 · Return to running, no change"; a stage in
    words reads "a stage no longer in the protocol, no change", never "stage a stage …"."""
    w = await world()
    publish(w, club_text())
    version = publish(w, club_text(h8=False))
    anna, _lee = club_athlete(w, version=version)
    raise_alerts(w, anna)
    w.user(LEE, "Lee")
    monday = w.clock.now().date() + dt.timedelta(days=7 - w.clock.now().weekday())
    w.clock.set(dt.datetime.combine(monday, dt.time(8, 5), dt.UTC))
    await run_digest(w.running.application.bot, w.engine, w.clock)
    texts = [m.text or "" for m in w.sandbox.transcript(LEE) if m.sender == "bot"]
    [digest] = [t for t in texts if t.startswith("Weekly digest")]
    assert "stage a stage" not in digest, digest
    assert "a stage no longer in the protocol, no change" in digest, digest
    assert GONE in digest or "No progression in a stage no longer in the protocol" in digest, digest


async def test_actions_on_a_removed_stage_answer_in_sentences_and_never_fail(
    world: WorldFactory,
) -> None:
    """/stepback from a stage the version no longer holds failed ("Something went wrong on
    our side"); a hold there is said without "at a stage …" embedded in a sentence."""
    w = await world()
    publish(w, club_text())
    version = publish(w, club_text(h8=False))
    anna, _lee = club_athlete(w, version=version)
    lee = w.user(LEE, "Lee")

    async def say(text: str) -> str:
        await lee.send(text)
        return "\n".join(m.text or "" for m in await lee.wait_reply(timeout=30))

    back = await say(f"/stepback {anna} too fast")
    assert "went wrong" not in back, back
    assert back == (
        "Not changed: the athlete's stage is not in the protocol version the programme runs "
        "on, so there is no stage to step back to. Please set the stage with /stage."
    ), back
    # Anna is on hold already today (club_athlete records one): said whole.
    held = await say(f"/hold {anna} checking")
    assert held == (
        "Anna Moreau is already on hold today, at a stage no longer in the protocol: nothing "
        "changed. Please set the stage with /stage."
    ), held
