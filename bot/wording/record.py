"""The clinician's record in words: what each stored action is called, who moved the athlete
and why ("Reviewed: may run again", not "clear"; "Sprintback rules", not "engine")."""

from __future__ import annotations

from typing import Literal

RecordKind = Literal[
    "hold", "step_back", "set_stage", "pause", "resume", "review", "clearance", "declined", "note"
]

ENGINE_MOVER = "Sprintback rules"
PROGRAMME_STARTED = "Programme started"
REVIEWED = "Reviewed: may run again"


def record_action_name(kind: RecordKind, stage: str | None = None, *, review: bool = False) -> str:
    """Return the plain name of a recorded clinician action.

    ``stage`` is the stage's label ("H2 · Return to running"); ``review`` marks a clearance
    or a resume that lifted a stop after a red flag (the athlete may run again).
    """
    where = stage or "the stage"
    if kind == "review" or (review and kind in ("clearance", "resume")):
        return REVIEWED
    names = {
        "hold": "Held: no progression that day",
        "step_back": f"Stepped back to {where}",
        "set_stage": f"Moved to {where}",
        "pause": "Paused the programme",
        "resume": "Resumed the programme",
        "clearance": f"Signed off: may leave {where}",
        "declined": f"Sign-off declined: stays in {where}",
        "note": "Note",
    }
    return names[kind]


# What an alert's stored ``action_taken`` says in words (the button the clinician pressed).
_ALERT_ACTIONS = {
    "decline": "sign-off declined",
    "hold": "held at the stage",
    "step_back": "stepped back",
    "set_stage": "stage set",
    "pause": "programme paused",
    "resume": "programme resumed",
    "review": REVIEWED,
}


def alert_action_words(taken: str | None, *, signoff_alert: bool) -> str | None:
    """Return what a clinician did about an alert in words; a "clear" is a sign-off on a
    sign-off alert and a review ("Reviewed: may run again") on any other alert."""
    if not taken:
        return None
    if taken == "clear":
        return "signed off" if signoff_alert else REVIEWED
    return _ALERT_ACTIONS.get(taken, taken.replace("_", " "))


def engine_move_reason(decision: str, cause: str | None) -> str:
    """Return why the rules moved the athlete: "Exit criteria met", or the step back's or the
    stop's first reason (``cause``, the engine's sentence) after a short lead."""
    if decision == "progress":
        return "Exit criteria met: moved up"
    lead = {"step_back": "Stepped back", "stop": "Stopped after a red flag"}.get(decision, "Moved")
    if not cause:
        return lead
    return f"{lead}: {cause.rstrip('.')}"


def clinician_move_reason(kind: str, note: str | None) -> str:
    """Return why a clinician moved the athlete: the action and the reason they typed."""
    lead = {"step_back": "Stepped back by the clinician", "set_stage": "Stage set by the clinician"}
    text = lead.get(kind, "Moved by the clinician")
    return f"{text}: {note.strip()}" if note and note.strip() else text
