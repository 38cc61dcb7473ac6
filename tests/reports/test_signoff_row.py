"""The sign-off row of the report's criteria table: the stage's sign-off note in the reader's
language, and the engine's own sign-off sentences (the early confirmation, a stage without a
note) in our words, never the engine's English."""

from __future__ import annotations

from bot.support.i18n import use_language
from bot.wording import describe_gate_item
from engine.programme import GateItem

EARLY = "Clinician confirmation: next stage reached before 50 % of the expected time"
H0_NOTE = (
    "Clinician-entered diagnosis, grade, mechanism and muscle; red flags excluded (eligibility)."
)


def _signoff(text: str) -> GateItem:
    return GateItem(rule="gate.8", met=False, text=text, observed="not recorded")


def test_the_early_confirmation_is_worded_with_the_readers_percent_sign() -> None:
    with use_language("en"):
        name = describe_gate_item(_signoff(EARLY), "clinician").name
    assert (
        name == "Clinician confirmation: next stage reached before 50\u00a0% of the expected time"
    )
    assert describe_gate_item(_signoff("Clinician sign-off"), "clinician").name == (
        "Clinician sign-off"
    )


def test_a_stages_sign_off_note_is_translated_as_a_protocol_text() -> None:
    with use_language("de"):
        name = describe_gate_item(_signoff(H0_NOTE), "clinician").name
    assert name.startswith("Freigabe: ") and "Clinician-entered" not in name, name
