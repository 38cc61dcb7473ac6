"""The clinician's record for the report: every action with its plain name, author and reason.

A review (the clinician's own action since reviews were kept apart from sign-offs) is
"Reviewed: may run again"; so is a clearance or a ``/resume`` given while running was stopped
after a red flag (as reviews were recorded before); any other clearance is a sign-off of the
stage's gate. A stop is known from the stored decisions
(outcome "stop"); it waits until the first clearance or resume recorded after it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from bot.reports.data import RecordRow
from bot.store.models import Decision
from bot.store.repo import RecordEntry
from bot.wording import record_action_name, stage_label
from engine.schema import Protocol


def _clip(text: str | None, limit: int) -> str | None:
    value = (text or "").strip()
    if not value:
        return None
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def stop_times(decisions: Iterable[Decision]) -> list[dt.datetime]:
    """Return when each stop was first recorded (one per day), oldest first."""
    first: dict[dt.date, dt.datetime] = {}
    for row in decisions:
        if row.outcome == "stop" and (
            row.local_date not in first or row.created_at < first[row.local_date]
        ):
            first[row.local_date] = row.created_at
    return sorted(first.values())


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
            where = stage_label(protocol, entry.stage, "clinician") if protocol else entry.stage
        rows.append(
            RecordRow(
                at=entry.at,
                action=record_action_name(entry.kind, where, review=review)[:120],
                by=entry.author_name[:60] or "someone",
                text=_clip(entry.text, 1000),
            )
        )
    return rows
