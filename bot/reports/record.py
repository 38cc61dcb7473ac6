"""The clinician's record for the report: every action with its plain name, author and reason.

A review (the clinician's own action since reviews were kept apart from sign-offs) is
"Reviewed: may run again"; so is a clearance or a ``/resume`` given while running was stopped
after a red flag (as reviews were recorded before); any other clearance is a sign-off of the
stage's gate. A stop is known from the stored decisions
(outcome "stop"); it waits until the first clearance or resume recorded after it.

A review voided by a warning sign reported after it the same day is deleted; its audit entry
(``void_review``) keeps it. The record shows it all the same, at its own time and said to be
voided, and the voiding after it, by the rules (:func:`voided_review_rows`): otherwise the
clinician's review would vanish from the record while its alert still read as reviewed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.reports.data import RecordRow
from bot.reports.glyphs import shown_name
from bot.reports.shown import stage_words
from bot.store.models import Decision
from bot.store.repo import RecordEntry
from bot.support.i18n import L_, LazyText, _
from bot.wording import Audience, record_action_name
from bot.wording.record import ENGINE_MOVER, RecordKind
from engine.schema import Protocol

# A review that a later warning sign voided: its row at its own time, and its alert's action.
VOIDED_REVIEW = L_("Reviewed: may run again (voided later)")
# The voiding, by the rules, at the time the warning sign came.
REVIEW_VOIDED = L_("Review voided: a red flag was reported after it")
REVIEW_VOIDED_NOTE = L_("{name}'s review no longer counts: running needs a new review.")
# The same rows in the athlete's own report (voice.md: "a warning sign", "your clinician").
VOIDED_REVIEW_ATHLETE = L_("Checked by your clinician: you may run again (no longer counts)")
REVIEW_VOIDED_ATHLETE = L_("Check no longer counts: you reported a warning sign after it")
REVIEW_VOIDED_NOTE_ATHLETE = L_(
    "{name}'s check no longer counts: no running until your clinician checks in again."
)
# What each recorded clinician action is called in the athlete's own report
# (``bot.wording.record_action_name`` names them for clinicians).
_ATHLETE_ACTIONS: dict[str, LazyText] = {
    "hold": L_("Your clinician kept you at your stage that day"),
    "step_back": L_("Your clinician moved you back to {stage}"),
    "set_stage": L_("Your clinician moved you to {stage}"),
    "pause": L_("Programme paused"),
    "resume": L_("Programme resumed"),
    "clearance": L_("Your clinician's OK to move on from {stage}"),
    "declined": L_("Your clinician said not yet: you stay at {stage}"),
    "note": L_("Note"),
}
ATHLETE_REVIEWED = L_("Checked by your clinician: you may run again")
# A tightness the clinician accepted as usual (/usual), for each audience: with its value, and
# without it for a record that has none.
USUAL_ACCEPTED = {
    "clinician": (L_("Usual tightness accepted: {value}/10"), L_("Usual tightness accepted")),
    "athlete": (
        L_("Your clinician noted that tightness around {value}/10 is usual for you"),
        L_("Your clinician noted the tightness that is usual for you"),
    ),
}


def _usual_name(entry: RecordEntry, audience: Audience) -> str:
    """What an accepted usual tightness is called for ``audience``, with its value if known."""
    with_value, without = USUAL_ACCEPTED["athlete" if audience == "athlete" else "clinician"]
    if entry.value is None:
        return str(without)
    return str(with_value).format(value=entry.value)


def _action_name(kind: RecordKind, where: str | None, review: bool, audience: Audience) -> str:
    """What a recorded action is called for ``audience``."""
    if audience != "athlete":
        return record_action_name(kind, where, review=review)
    if kind == "review" or (review and kind in ("clearance", "resume")):
        return str(ATHLETE_REVIEWED)
    return str(_ATHLETE_ACTIONS[kind]).format(stage=where or _("your stage"))


def _whole(text: str | None) -> str | None:
    """A reason or note as typed, whole (the record is never cut), or None if blank."""
    value = (text or "").strip()
    return value or None


def stop_times(decisions: Iterable[Decision]) -> list[dt.datetime]:
    """Return when each stop was first recorded (one per day), oldest first."""
    first: dict[dt.date, dt.datetime] = {}
    for row in decisions:
        if row.outcome == "stop" and (
            row.local_date not in first or row.created_at < first[row.local_date]
        ):
            first[row.local_date] = row.created_at
    return sorted(first.values())


@dataclass(frozen=True)
class VoidedReview:
    """A review a later warning sign voided (from its ``void_review`` audit entry): when it
    was given (``reviewed_at``; the voiding's time when no record of it is left), by whom
    (``by``: their name), with which note, and when it was voided."""

    reviewed_at: dt.datetime
    voided_at: dt.datetime
    by: str
    note: str | None


def voided_review_rows(
    voided: Sequence[VoidedReview], audience: Audience = "clinician"
) -> list[RecordRow]:
    """Return the record rows of the voided reviews: each review at its own time, named as
    voided, with its note; then the voiding, by the rules, saying what it means (in the
    athlete's words in their own report)."""
    athlete = audience == "athlete"
    rows: list[RecordRow] = []
    for review in voided:
        by = review.by[:60] or _("a clinician")
        rows.append(
            RecordRow(
                at=review.reviewed_at,
                action=str(VOIDED_REVIEW_ATHLETE if athlete else VOIDED_REVIEW)[:120],
                by=by,
                text=_whole(review.note),
            )
        )
        note = REVIEW_VOIDED_NOTE_ATHLETE if athlete else REVIEW_VOIDED_NOTE
        rows.append(
            RecordRow(
                at=review.voided_at,
                action=str(REVIEW_VOIDED_ATHLETE if athlete else REVIEW_VOIDED)[:120],
                by=_(ENGINE_MOVER)[:60],
                text=_whole(str(note).format(name=by)),
            )
        )
    return rows


def record_rows(
    entries: Sequence[RecordEntry],
    stops: Sequence[dt.datetime],
    protocol: Protocol | None,
    audience: Audience = "clinician",
) -> list[RecordRow]:
    """Return the clinician's record in time order, each action named in words for
    ``audience`` (the athlete's own report names stages as they read them, never by code).
    Reasons and notes are given as typed: the athlete reads them in their export too."""
    waiting = list(stops)
    paused = False
    rows: list[RecordRow] = []
    for entry in entries:
        review = False
        if entry.kind == "pause":
            paused = True
        elif entry.kind == "resume" and paused:
            paused = False
        elif entry.kind in ("clearance", "resume", "review", "set_stage", "step_back"):
            lifted = [t for t in waiting if t <= entry.at]
            review = bool(lifted) and entry.kind in ("clearance", "resume")
            waiting = [t for t in waiting if t > entry.at]
        where = None
        if entry.stage:
            where = stage_words(protocol, entry.stage, audience)
        rows.append(
            RecordRow(
                at=entry.at,
                action=(
                    _usual_name(entry, audience)
                    if entry.kind == "usual_tightness"
                    else _action_name(entry.kind, where, review, audience)
                )[:120],
                by=shown_name(entry.author_name, entry.author_id)[:60] or "someone",
                text=_whole(entry.text),
            )
        )
    return rows
