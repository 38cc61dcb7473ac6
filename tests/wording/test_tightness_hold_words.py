"""The tightness that holds an athlete is named in the words they and their clinician read.

An athlete held at the last stage without running by tightness of 4/10 or more (or held at
any stage by tightness above anybody's usual) gets a weekly stall and, after 14 days, their
clinician a no-progress alert: both say that tightness is the cause and what it needs, in
plain words (no stage code for the athlete). Alerts stored before still read as before.
"""

from __future__ import annotations

import datetime as dt

from bot.services.protocol_files import load_protocol
from bot.support.i18n import use_language
from bot.wording.alerts import alert_words
from bot.wording.reasons import describe_reason
from engine import programme
from engine.models import Reason
from engine.readiness import MorningResult
from engine.stall import TightnessHold, stall_texts

CALF = load_protocol("calf")
HAMSTRING = load_protocol("hamstring")
DAY = dt.date(2026, 3, 2)
GO = MorningResult(readiness="go", level="go")


def _stall(protocol: programme.Protocol, stage: str, hold: TightnessHold) -> tuple[str, str]:
    st = programme.enter_stage(programme.initial_state(protocol, DAY), stage, DAY)
    return stall_texts(protocol, st, [], GO, 21, tightness=hold)


def _plain(text: str | None) -> str:
    assert text is not None
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def test_the_clinician_reads_that_tightness_keeps_running_on_hold() -> None:
    _athlete, clinician = _stall(CALF, "C2", TightnessHold(5, 4, running=True))
    with use_language("en"):
        stall = _plain(alert_words("stall", clinician, CALF))
        review = _plain(
            alert_words(
                "escalate.no_progress",
                "No progression for 14 days (stage C2): clinician review. Morning tightness "
                "5/10 keeps running on hold (below 4/10 needed).",
                CALF,
            )
        )
        before = _plain(
            alert_words(
                "escalate.no_progress",
                "No progression for 14 days (stage C2): clinician review.",
                CALF,
            )
        )
    assert stall.endswith(
        "Missing: morning tightness 5/10 keeps running on hold (below 4/10 needed)."
    )
    assert "no longer in the protocol" not in stall
    assert review.startswith("No progression in C2 · ")
    assert review.endswith(
        "for 14 days: clinician review. Morning tightness 5/10 keeps running on hold "
        "(below 4/10 needed)."
    )
    assert before.startswith("No progression in C2 · ") and "tightness" not in before


def test_the_clinician_reads_that_tightness_keeps_moving_up_on_hold() -> None:
    _athlete, clinician = _stall(HAMSTRING, "H0", TightnessHold(6, 6, running=False))
    with use_language("en"):
        stall = _plain(alert_words("stall", clinician, HAMSTRING))
        review = _plain(
            alert_words(
                "escalate.no_progress",
                "No progression for 14 days (stage H0): clinician review. Morning tightness "
                "6/10 keeps moving up on hold (below 6/10 needed).",
                HAMSTRING,
            )
        )
    assert stall.endswith(
        "Missing: morning tightness 6/10 keeps the athlete from moving up (below 6/10 needed)."
    )
    assert review.endswith(
        "Morning tightness 6/10 keeps the athlete from moving up (below 6/10 needed)."
    )


def test_the_athlete_reads_that_tightness_keeps_them_from_running() -> None:
    athlete, _clinician = _stall(CALF, "C2", TightnessHold(5, 4, running=True))
    with use_language("en"):
        _kind, words = describe_reason(Reason(rule="stall", text=athlete), CALF, "C2")
    assert words == (
        "You have been at this stage for 21 days: tightness 5/10 keeps you from running. "
        "Running starts once it is below 4/10. Your clinician has been told."
    )


def test_the_athlete_reads_why_they_do_not_move_up_above_anybodys_usual() -> None:
    athlete, _clinician = _stall(HAMSTRING, "H0", TightnessHold(6, 6, running=False))
    gate = Reason(
        rule="gate.tightness_usual",
        text="Tightness 6/10: above 5/10, more than anybody's usual, so no moving up today.",
        observed=6,
        threshold="≤ 5 to move up",
    )
    with use_language("en"):
        stall = describe_reason(Reason(rule="stall", text=athlete), HAMSTRING, "H0")[1]
        today = describe_reason(gate, HAMSTRING, "H0")[1]
    assert stall == (
        "You have been at this stage for 21 days: tightness 6/10 keeps you from moving up. "
        "You move up once it is below 6/10. Your clinician has been told."
    )
    assert today == (
        "Tightness 6/10: you move up only on a morning with tightness of 5/10 or less, so not "
        "today."
    )
