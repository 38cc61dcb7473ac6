"""The /athletes overview read from the store: one query per kind of data for all athletes.

A clinician may follow hundreds of athletes, so the overview never queries per athlete: it
reads the current programmes, today's decisions, the last check-ins, the open alerts, the
stage entries and the clearances of every listed athlete in a handful of queries (ids in
chunks of :data:`CHUNK`), then builds each :class:`AthleteSummary` in memory. The meaning of
every field is the one of ``bot.services.clinician.view`` (a sign-off is waiting when the current
stage requires one and no clearance was given since the programme last entered it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.clock import local_date
from bot.reports.shown import stage_words
from bot.services.clinician.view import AthleteSummary
from bot.services.protocol_admin import programme_protocol
from bot.store.models import (
    AlertRecord,
    Clearance,
    ClinicianActionRecord,
    Decision,
    MorningCheckinRecord,
    Person,
    Programme,
    StageChange,
)
from bot.support.i18n import _
from engine.schema import Protocol

# Ids per IN (...) list: far below every backend's bound-parameter limit.
CHUNK = 500


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


def _current_programmes(session: Session, ids: Sequence[int]) -> dict[int, Programme]:
    """Return each athlete's newest active or paused programme."""
    found: dict[int, Programme] = {}
    for chunk in _chunks(ids):
        rows = session.exec(
            select(Programme)
            .where(
                col(Programme.athlete_id).in_(chunk),
                col(Programme.status).in_(("active", "paused")),
            )
            .order_by(col(Programme.id).desc())
        )
        for row in rows:
            found.setdefault(row.athlete_id, row)
    return found


def _today_outcomes(session: Session, today: dict[int, dt.date]) -> dict[int, dict[str, str]]:
    """Return, per athlete, the last outcome of each decision kind on their own today."""
    outcomes: dict[int, dict[str, str]] = {}
    days = sorted(set(today.values()))
    for chunk in _chunks(sorted(today)):
        rows: Any = session.exec(
            select(
                col(Decision.athlete_id),
                col(Decision.local_date),
                col(Decision.kind),
                col(Decision.outcome),
            )
            .where(col(Decision.athlete_id).in_(chunk), col(Decision.local_date).in_(days))
            .order_by(col(Decision.id))
        )
        for athlete_id, day, kind, outcome in rows:
            if today.get(athlete_id) == day:
                outcomes.setdefault(athlete_id, {})[kind] = outcome
    return outcomes


def _last_checkins(session: Session, ids: Sequence[int]) -> dict[int, dt.date]:
    """Return each athlete's latest morning check-in date (athletes without one are absent)."""
    found: dict[int, dt.date] = {}
    for chunk in _chunks(ids):
        rows: Any = session.exec(
            select(MorningCheckinRecord.athlete_id, func.max(MorningCheckinRecord.local_date))
            .where(col(MorningCheckinRecord.athlete_id).in_(chunk))
            .group_by(col(MorningCheckinRecord.athlete_id))
        )
        for athlete_id, day in rows:
            if day is not None:
                found[athlete_id] = day
    return found


def _open_severities(session: Session, ids: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """Return the severities of each athlete's unacknowledged alerts, oldest first."""
    found: dict[int, list[str]] = {}
    for chunk in _chunks(ids):
        rows: Any = session.exec(
            select(AlertRecord.athlete_id, AlertRecord.severity)
            .where(
                col(AlertRecord.athlete_id).in_(chunk),
                col(AlertRecord.acknowledged_at).is_(None),
            )
            .order_by(col(AlertRecord.created_at), col(AlertRecord.id))
        )
        for athlete_id, severity in rows:
            found.setdefault(athlete_id, []).append(severity)
    return {k: tuple(v) for k, v in found.items()}


# A clinician's move the engine takes as the review of a stop (the bot records a step back or
# a stage change only once a review is on record; a resume of a pause lifts nothing).
_LIFTING_ACTIONS = ("review", "step_back", "set_stage")


def _reviews_awaited(session: Session, ids: Sequence[int]) -> set[int]:
    """Return the athletes whose running stays stopped until a clinician reviews: their latest
    engine decision says so and no review (or sign-off) is recorded for a later day.

    A review recorded after that decision is dated the day it takes effect, which is later
    than the decision's day; one recorded before the decision was already applied by it.
    """
    awaited: set[int] = set()
    for chunk in _chunks(ids):
        latest = (
            select(Decision.athlete_id, func.max(Decision.local_date).label("day"))
            .where(col(Decision.athlete_id).in_(chunk))
            .group_by(col(Decision.athlete_id))
            .subquery()
        )
        rows: Any = session.exec(
            select(col(Decision.athlete_id), col(Decision.local_date), col(Decision.decision)).join(
                latest,
                (col(Decision.athlete_id) == latest.c.athlete_id)
                & (col(Decision.local_date) == latest.c.day),
            )
        )
        last: dict[int, tuple[dt.date, bool]] = {}
        for athlete_id, day, payload in rows:
            # Any of the day's decisions (a morning decided again after /problem keeps its
            # row): within a day running only becomes stopped, a review counts from the next.
            pending = bool((payload or {}).get("review_pending"))
            last[athlete_id] = (day, pending or last.get(athlete_id, (day, False))[1])
        stopped = [a for a, (_, pending) in last.items() if pending]
        if not stopped:
            continue
        lifted: dict[int, dt.date] = {}
        moves: Any = session.exec(
            select(ClinicianActionRecord.athlete_id, func.max(ClinicianActionRecord.local_date))
            .where(
                col(ClinicianActionRecord.athlete_id).in_(stopped),
                col(ClinicianActionRecord.kind).in_(_LIFTING_ACTIONS),
            )
            .group_by(col(ClinicianActionRecord.athlete_id))
        )
        signed: Any = session.exec(
            select(Clearance.athlete_id, func.max(Clearance.local_date))
            .where(
                col(Clearance.athlete_id).in_(stopped),
                Clearance.declined == False,  # noqa: E712
            )
            .group_by(col(Clearance.athlete_id))
        )
        for athlete_id, day in [*moves, *signed]:
            if day is not None and day > lifted.get(athlete_id, dt.date.min):
                lifted[athlete_id] = day
        awaited.update(a for a in stopped if lifted.get(a, dt.date.min) <= last[a][0])
    return awaited


def _needs_signoff(protocol: Protocol | None, stage_id: str) -> bool:
    if protocol is None:
        return False
    try:
        return protocol.stage(stage_id).signoff == "required"
    except KeyError:
        return False


def _gates_pending(session: Session, programmes: Sequence[Programme]) -> set[int]:
    """Return the ids of the programmes (all at a stage that requires a sign-off) for which no
    clinician cleared the current stage since the programme last entered it."""
    if not programmes:
        return set()
    entered: dict[int, dt.datetime] = {}
    cleared: dict[tuple[int, str], list[dt.datetime]] = {}
    by_id = {p.id: p for p in programmes if p.id is not None}
    for chunk in _chunks(sorted(by_id)):
        changes: Any = session.exec(
            select(StageChange.programme_id, StageChange.to_stage, StageChange.at).where(
                col(StageChange.programme_id).in_(chunk)
            )
        )
        for programme_id, to_stage, at in changes:
            latest = entered.get(programme_id)
            if to_stage == by_id[programme_id].current_stage and (latest is None or at > latest):
                entered[programme_id] = at
    athletes = sorted({p.athlete_id for p in programmes})
    for chunk in _chunks(athletes):
        rows: Any = session.exec(
            select(Clearance.athlete_id, Clearance.stage, Clearance.at).where(
                col(Clearance.athlete_id).in_(chunk),
                Clearance.declined == False,  # noqa: E712
            )
        )
        for athlete_id, stage, at in rows:
            cleared.setdefault((athlete_id, stage), []).append(at)
    pending: set[int] = set()
    for programme_id, programme in by_id.items():
        since = entered.get(programme_id)
        given = cleared.get((programme.athlete_id, programme.current_stage), [])
        if not any(since is None or at >= since for at in given):
            pending.add(programme_id)
    return pending


def athletes_by_id(session: Session, ids: Sequence[int]) -> list[Person]:
    """Return the athletes with the given ids (unknown ids skipped), in ascending id order."""
    found: list[Person] = []
    for chunk in _chunks(sorted(ids)):
        found.extend(session.exec(select(Person).where(col(Person.id).in_(chunk))))
    return sorted((p for p in found if p.role == "athlete"), key=lambda p: p.id or 0)


def athlete_summaries(
    session: Session, athletes: Sequence[Person], now: dt.datetime
) -> list[AthleteSummary]:
    """Return the overview data of ``athletes`` (in their order) as of ``now``, each in the
    athlete's own calendar day: stage, today's verdict and decision, last check-in, open
    alerts, a waiting sign-off or review and the pause. Seven to nine queries whatever the
    number of athletes (per chunk of :data:`CHUNK`), plus one per distinct protocol version."""
    ids = [a.id for a in athletes if a.id is not None]
    today = {a.id: local_date(a, now) for a in athletes if a.id is not None}
    programmes = _current_programmes(session, ids)
    protocols: dict[tuple[str, int], Protocol | None] = {}
    for programme in programmes.values():
        key = (programme.protocol_name, programme.protocol_version)
        if key not in protocols:
            protocols[key] = programme_protocol(session, programme, now)
    gated = [
        p
        for p in programmes.values()
        if _needs_signoff(protocols[(p.protocol_name, p.protocol_version)], p.current_stage)
    ]
    pending = _gates_pending(session, gated)
    last = _last_checkins(session, ids)
    for athlete_id, day in last.items():
        # After a move west the athlete's day already started stays theirs (their working
        # day, ``bot.store.standing.working_day``): it is "today", not "-1 days ago".
        if day > today.get(athlete_id, day):
            today[athlete_id] = day
    outcomes = _today_outcomes(session, today)
    alerts = _open_severities(session, ids)
    awaited = _reviews_awaited(session, ids)
    summaries: list[AthleteSummary] = []
    for athlete in athletes:
        if athlete.id is None:
            continue
        current = programmes.get(athlete.id)
        seen = outcomes.get(athlete.id, {})
        protocol = protocols[(current.protocol_name, current.protocol_version)] if current else None
        summaries.append(
            AthleteSummary(
                athlete_id=athlete.id,
                name=athlete.display_name or _("Athlete #{number}").format(number=athlete.id),
                stage=current.current_stage if current else None,
                stage_title=(
                    stage_words(protocol, current.current_stage, "clinician")
                    if current is not None
                    else None
                ),
                verdict_today=seen.get("morning"),
                decision_today=seen.get("daily"),
                last_checkin=last.get(athlete.id),
                today=today[athlete.id],
                open_alert_severities=alerts.get(athlete.id, ()),
                gate_pending=current is not None and current.id in pending,
                review_awaited=current is not None and athlete.id in awaited,
                paused=athlete.paused or (current is not None and current.status == "paused"),
                unreachable=athlete.unreachable,
                enrolled=current.start_date if current is not None else None,
            )
        )
    return summaries


def athlete_summary(session: Session, athlete: Person, now: dt.datetime) -> AthleteSummary:
    """Return the overview line's data for one athlete (stage, today, check-in, alerts, gate)."""
    [summary] = athlete_summaries(session, [athlete], now)
    return summary
