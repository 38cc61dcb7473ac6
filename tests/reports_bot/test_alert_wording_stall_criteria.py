"""A stall alert naming a criterion the athlete's protocol version does not hold.

"No progress in H1 for 9 days. Missing: …" lists the stage's missing criteria by their text.
When one of them is not in the protocol version the alert is read with (an admin's upload
renamed it, a newer version moved it), the whole line used to give up: the German clinician
read the engine's English sentence. Now the unknown item is worded on its own (its text
through the protocol catalogue, "not met", its last value), the rest of the line stays in the
reader's language, and an item the wording cannot place at all reads "a criterion no longer in
the protocol: not met".
"""

from __future__ import annotations

from bot.reports.shown import alert_text
from bot.services.protocol_files import load_protocol
from bot.support.i18n import use_language
from bot.wording import protocol_text
from tests.i18n.leaks import leaks
from tests.wording.test_alert_words import _stall_alerts

HAMSTRING = load_protocol("hamstring")
# A criterion of another stage (the version the alert was raised under had it in H1).
MOVED = HAMSTRING.stage("H3").exit_criteria[2].text  # "Single-leg bridge reps-to-failure …"


def _with_item(item: str) -> str:
    """The engine's stall of H1 (its real items) with ``item`` listed first."""
    _rule, text = _stall_alerts()[1]
    head, missing = text.split(" Missing: ", 1)
    return f"{head} Missing: {item}; {missing}"


def test_a_criterion_not_in_this_version_is_worded_and_the_rest_stays_german() -> None:
    stall = _with_item(f"{MOVED}: not met (last 62)")
    with use_language("de"):
        line = alert_text("stall", stall, HAMSTRING)
        criterion = protocol_text(MOVED)
    assert line.startswith("Keine Progression in H1 · "), line
    assert f"{criterion}: nicht erfüllt (zuletzt 62)" in line, line
    assert criterion != MOVED and MOVED not in line, line
    assert "Missing" not in line and not leaks([line]), line


def test_an_item_that_cannot_be_placed_is_named_without_the_engines_words() -> None:
    stall = _with_item("Hop-and-hold drill after the club's warm-up; twice")
    with use_language("en"):
        line = alert_text("stall", stall, HAMSTRING)
    assert line.startswith("No progress in H1 · Early loading for 9 days. Missing: "), line
    assert "a criterion no longer in the protocol: not met; " in line, line
    assert "Hop-and-hold" not in line and "twice" not in line, line
    # The items after it are worded as before.
    assert "Painless single-leg squat: not met (last 2/10); Painless bike" in line, line


def test_a_stall_of_a_protocol_that_cannot_be_read_keeps_its_criteria() -> None:
    """The protocol version cannot be read: the stage is said in words (never "in H1" and
    never "in a stage of …" run into a sentence made for a stage's label)."""
    _rule, stall = _stall_alerts()[1]
    with use_language("en"):
        line = alert_text("stall", stall, None)
    assert line.startswith(
        "No progress for 9 days in a stage of a protocol that cannot be read. Missing: "
    ), line
    assert "Painless single-leg squat: not met (last 2)" in line, line
