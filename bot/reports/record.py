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
from bot.support.i18n import L_, _
from bot.wording import record_action_name
from bot.wording.record import ENGINE_MOVER
from engine.schema import Protocol

# A review that a later warning sign voided: its row at its own time, and its alert's action.
VOIDED_REVIEW = L_("Reviewed: may run again (voided later)")
# The voiding, by the rules, at the time the warning sign came.
REVIEW_VOIDED = L_("Review voided: a red flag was reported after it")
REVIEW_VOIDED_NOTE = L_("{name}'s review no longer counts: running needs a new review.")


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


def voided_review_rows(voided: Sequence[VoidedReview]) -> list[RecordRow]:
    """Return the record rows of the voided reviews: each review at its own time, named as
    voided, with its note; then the voiding, by the rules, saying what it means."""
    rows: list[RecordRow] = []
    for review in voided:
        by = review.by[:60] or _("a clinician")
        rows.append(
            RecordRow(
                at=review.reviewed_at,
                action=str(VOIDED_REVIEW)[:120],
                by=by,
                text=_whole(review.note),
            )
        )
        rows.append(
            RecordRow(
                at=review.voided_at,
                action=str(REVIEW_VOIDED)[:120],
                by=_(ENGINE_MOVER)[:60],
                text=_whole(str(REVIEW_VOIDED_NOTE).format(name=by)),
            )
        )
    return rows


def record_rows(
    entries: Sequence[RecordEntry], stops: Sequence[dt.datetime], protocol: Protocol | None
) -> list[RecordRow]:
    """Return the clinician's record in time order, each action named in words."""
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
            where = stage_words(protocol, entry.stage, "clinician")
        rows.append(
            RecordRow(
                at=entry.at,
                action=record_action_name(entry.kind, where, review=review)[:120],
                by=shown_name(entry.author_name, entry.author_id)[:60] or "someone",
                text=_whole(entry.text),
            )
        )
    return rows
