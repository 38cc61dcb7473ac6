"""The clinician's record in words: what each stored action is called, who moved the athlete
and why ("Reviewed: may run again", not "clear"; "Sprintback rules", not "engine")."""

from __future__ import annotations

from typing import Literal

from bot.support.i18n import L_, N_, Text, _, labelled, text

RecordKind = Literal[
    "hold", "step_back", "set_stage", "pause", "resume", "review", "clearance", "declined", "note"
]

# English ids, marked for the catalogue: show them with ``_(...)`` where they are written.
ENGINE_MOVER = N_("Sprintback rules")
PROGRAMME_STARTED = N_("Programme started")
REVIEWED = N_("Reviewed: may run again")


def record_action_name(kind: RecordKind, stage: str | None = None, *, review: bool = False) -> str:
    """Return the plain name of a recorded clinician action.

    ``stage`` is the stage's label ("H2 · Return to running"); ``review`` marks a clearance
    or a resume that lifted a stop after a red flag (the athlete may run again).
    """
    where = stage or _("the stage")
    if kind == "review" or (review and kind in ("clearance", "resume")):
        return _(REVIEWED)
    names = {
        "hold": L_("Held: no progression that day"),
        "step_back": L_("Stepped back to {stage}"),
        "set_stage": L_("Moved to {stage}"),
        "pause": L_("Paused the programme"),
        "resume": L_("Resumed the programme"),
        "clearance": L_("Signed off: may leave {stage}"),
        "declined": L_("Sign-off declined: stays in {stage}"),
        "note": L_("Note"),
    }
    return names[kind].format(stage=where)


# What an alert's stored ``action_taken`` says in words (the button the clinician pressed).
_ALERT_ACTIONS: dict[str, Text] = {
    "decline": L_("sign-off declined"),
    "hold": L_("held at the stage"),
    "step_back": L_("stepped back"),
    "set_stage": L_("stage set"),
    "pause": L_("programme paused"),
    "resume": L_("programme resumed"),
    "review": L_(REVIEWED),
}


def alert_action_words(taken: str | None, *, signoff_alert: bool) -> str | None:
    """Return what a clinician did about an alert in words; a "clear" is a sign-off on a
    sign-off alert and a review ("Reviewed: may run again") on any other alert."""
    if not taken:
        return None
    if taken == "clear":
        return _("signed off") if signoff_alert else _(REVIEWED)
    found = _ALERT_ACTIONS.get(taken)
    return text(found) if found is not None else taken.replace("_", " ")


def engine_move_reason(decision: str, cause: str | None) -> str:
    """Return why the rules moved the athlete: "Exit criteria met", or the step back's or the
    stop's first reason (``cause``, the engine's sentence) after a short lead."""
    if decision == "progress":
        return _("Exit criteria met: moved up")
    leads = {"step_back": L_("Stepped back"), "stop": L_("Stopped after a red flag")}
    lead = text(leads.get(decision, L_("Moved")))
    if not cause:
        return lead
    return labelled(lead, cause.rstrip("."))


def clinician_move_reason(kind: str, note: str | None) -> str:
    """Return why a clinician moved the athlete: the action and the reason they typed."""
    leads = {
        "step_back": L_("Stepped back by the clinician"),
        "set_stage": L_("Stage set by the clinician"),
    }
    said = text(leads.get(kind, L_("Moved by the clinician")))
    return labelled(said, note.strip()) if note and note.strip() else said
