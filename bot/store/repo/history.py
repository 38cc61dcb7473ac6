"""What the reports read back about an athlete's record: every stage move with who made it,
every clinician decision with its reason and author, and the day the athlete enrolled.

Read-only; the reports layer turns these rows into words (``bot.reports.from_store``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session, col, select

from bot.store.models import Clearance, ClinicianActionRecord, Note, Person, Programme, StageChange

RecordKind = Literal[
    "hold",
    "step_back",
    "set_stage",
    "pause",
    "resume",
    "review",
    "usual_tightness",
    "clearance",
    "declined",
    "note",
]


@dataclass(frozen=True)
class StageMove:
    """One stage move of a programme: when it was recorded, to which stage, by whom and why.

    ``by_name`` is None for a move the engine made; ``note`` is the clinician's reason when a
    clinician action of the same moment recorded one.
    """

    at: dt.datetime
    from_stage: str | None
    to_stage: str
    by_person_id: int | None
    by_name: str | None
    reason: str
    note: str | None = None


@dataclass(frozen=True)
class RecordEntry:
    """One thing a clinician (or an admin) recorded about an athlete, with its words.

    ``kind`` is the clinician action ("hold", "step_back", "set_stage", "pause", "resume"), a
    sign-off ("clearance") or its refusal ("declined"), or a free-text "note"; ``text`` is the
    reason or the note as typed; ``stage`` the stage it was about (the stage set, or the stage
    signed off); ``value`` the number of a "usual_tightness" (out of 10).
    """

    at: dt.datetime
    kind: RecordKind
    author_id: int
    author_name: str
    local_date: dt.date | None = None
    stage: str | None = None
    text: str | None = None
    value: int | None = None


def _display_name(person: Person | None, person_id: int) -> str:
    """The person's name, else their number ("#4"): the store writes no words of any language."""
    name = (person.display_name or "").strip() if person is not None else ""
    return name or f"#{person_id}"


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    found = {p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(ids)))}
    return {i: _display_name(found.get(i), i) for i in ids}


def stage_moves(session: Session, *, programme_id: int) -> list[StageMove]:
    """Return every stage move of a programme, oldest first, with the mover's name and the
    reason a clinician typed for it (read from the clinician action recorded with it)."""
    changes = list(
        session.exec(
            select(StageChange)
            .where(StageChange.programme_id == programme_id)
            .order_by(col(StageChange.at), col(StageChange.id))
        )
    )
    programme = session.get(Programme, programme_id)
    notes: dict[tuple[dt.datetime, str], str] = {}
    if programme is not None and any(c.by_person_id is not None for c in changes):
        for action in session.exec(
            select(ClinicianActionRecord).where(
                ClinicianActionRecord.athlete_id == programme.athlete_id,
                col(ClinicianActionRecord.kind).in_(("step_back", "set_stage")),
            )
        ):
            if action.stage and action.note:
                notes[(action.at, action.stage)] = action.note
    names = _names(session, {c.by_person_id for c in changes if c.by_person_id is not None})
    return [
        StageMove(
            at=c.at,
            from_stage=c.from_stage,
            to_stage=c.to_stage,
            by_person_id=c.by_person_id,
            by_name=names[c.by_person_id] if c.by_person_id is not None else None,
            reason=c.reason,
            note=notes.get((c.at, c.to_stage)),
        )
        for c in changes
    ]


def clinician_record(session: Session, *, athlete_id: int) -> list[RecordEntry]:
    """Return every clinician action, sign-off (or refusal) and note about the athlete,
    oldest first, each with its author's name and the reason or note as typed."""
    actions = list(
        session.exec(
            select(ClinicianActionRecord).where(ClinicianActionRecord.athlete_id == athlete_id)
        )
    )
    clearances = list(session.exec(select(Clearance).where(Clearance.athlete_id == athlete_id)))
    notes = list(session.exec(select(Note).where(Note.athlete_id == athlete_id)))
    names = _names(
        session,
        {a.clinician_id for a in actions}
        | {c.clinician_id for c in clearances}
        | {n.author_id for n in notes},
    )
    entries: list[tuple[dt.datetime, int, int, RecordEntry]] = []
    for a in actions:
        assert a.id is not None
        entry = RecordEntry(
            at=a.at,
            kind=a.kind,  # type: ignore[arg-type]  # the table's CHECK keeps it to the kinds
            author_id=a.clinician_id,
            author_name=names[a.clinician_id],
            local_date=a.local_date,
            stage=a.stage,
            text=a.note,
            value=a.value,
        )
        entries.append((a.at, 0, a.id, entry))
    for c in clearances:
        assert c.id is not None
        entry = RecordEntry(
            at=c.at,
            kind="declined" if c.declined else "clearance",
            author_id=c.clinician_id,
            author_name=names[c.clinician_id],
            local_date=c.local_date,
            stage=c.stage,
            text=c.note,
        )
        entries.append((c.at, 1, c.id, entry))
    for n in notes:
        assert n.id is not None
        entry = RecordEntry(
            at=n.created_at,
            kind="note",
            author_id=n.author_id,
            author_name=names[n.author_id],
            text=n.text,
        )
        entries.append((n.created_at, 2, n.id, entry))
    entries.sort(key=lambda item: item[:3])
    return [entry for *_, entry in entries]


def enrolment_date(session: Session, *, athlete_id: int) -> dt.date | None:
    """Return the day the athlete enrolled in the programme the reports are about (the start
    of the current programme, else of the newest one), or None before any programme."""
    programmes = list(
        session.exec(
            select(Programme)
            .where(Programme.athlete_id == athlete_id)
            .order_by(col(Programme.id).desc())
        )
    )
    current = [p for p in programmes if p.status in ("active", "paused")]
    chosen = (current or programmes)[:1]
    return chosen[0].start_date if chosen else None
