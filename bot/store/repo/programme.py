"""Injuries, baselines, programmes, stage moves, engine decisions and clinician actions."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import bindparam, text
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.store.models import (
    CLINICIAN_ACTION_KINDS,
    Baseline,
    Clearance,
    ClinicianActionRecord,
    Decision,
    InjuryRecord,
    Note,
    Programme,
    StageChange,
)
from bot.store.repo._common import (
    NotFoundError,
    StoreError,
    attach_upserted,
    insert_for,
    require_aware,
    update_loaded,
)
from bot.store.repo.people import require_person
from engine.models import Injury, Metrics, Reason

DecisionKind = Literal["morning", "daily"]


def add_injury(
    session: Session, *, athlete_id: int, injury: Injury, now: dt.datetime
) -> InjuryRecord:
    """Store the injury an athlete reported at onboarding."""
    require_person(session, person_id=athlete_id, role="athlete")
    row = InjuryRecord(
        athlete_id=athlete_id, **injury.model_dump(), created_at=require_aware("now", now)
    )
    session.add(row)
    session.flush()
    return row


_INJURY_TABLE = InjuryRecord.__table__  # type: ignore[attr-defined]
_INJURY_FIELDS = ("injury", "muscle", "side", "grade", "injury_date", "mechanism")
_LATEST_INJURY = (
    sa_select(*(_INJURY_TABLE.c[name] for name in _INJURY_FIELDS))
    .where(_INJURY_TABLE.c.athlete_id == bindparam("athlete_id"))
    .order_by(_INJURY_TABLE.c.created_at.desc(), _INJURY_TABLE.c.id.desc())
    .limit(1)
)


def latest_injury(session: Session, *, athlete_id: int) -> Injury | None:
    """Return the athlete's most recently entered injury, or None."""
    row = session.execute(_LATEST_INJURY, {"athlete_id": athlete_id}).first()
    return None if row is None else Injury.model_validate(row._asdict())


def set_baseline(
    session: Session, *, athlete_id: int, metrics: Metrics, now: dt.datetime
) -> Baseline:
    """Record the athlete's pre-injury metrics; the newest record is the baseline."""
    row = Baseline(
        athlete_id=athlete_id,
        metrics=metrics.model_dump(mode="json", exclude_none=True),
        recorded_at=require_aware("now", now),
    )
    session.add(row)
    session.flush()
    return row


_BASELINE_TABLE = Baseline.__table__  # type: ignore[attr-defined]
_LATEST_BASELINE = (
    sa_select(_BASELINE_TABLE.c.metrics)
    .where(_BASELINE_TABLE.c.athlete_id == bindparam("athlete_id"))
    .order_by(_BASELINE_TABLE.c.recorded_at.desc(), _BASELINE_TABLE.c.id.desc())
    .limit(1)
)


def latest_baseline(session: Session, *, athlete_id: int) -> Metrics | None:
    """Return the athlete's newest baseline metrics, or None."""
    metrics = session.execute(_LATEST_BASELINE, {"athlete_id": athlete_id}).scalar()
    return None if metrics is None else Metrics.model_validate(metrics)


def start_programme(
    session: Session,
    *,
    athlete_id: int,
    protocol_name: str,
    protocol_version: int,
    first_stage: str,
    start_date: dt.date,
    now: dt.datetime,
    injury_id: int | None = None,
    state_json: str | None = None,
) -> Programme:
    """Start a programme at ``first_stage``; an athlete has at most one active programme."""
    require_person(session, person_id=athlete_id, role="athlete")
    if get_active_programme(session, athlete_id=athlete_id) is not None:
        raise StoreError(f"athlete {athlete_id} already has an active programme")
    now = require_aware("now", now)
    programme = Programme(
        athlete_id=athlete_id,
        injury_id=injury_id,
        protocol_name=protocol_name,
        protocol_version=protocol_version,
        current_stage=first_stage,
        start_date=start_date,
        status="active",
        state_json=state_json,
        created_at=now,
        updated_at=now,
    )
    session.add(programme)
    session.flush()
    session.add(
        StageChange(
            programme_id=programme.id,  # type: ignore[arg-type]
            from_stage=None,
            to_stage=first_stage,
            at=now,
            by_person_id=None,
            reason="programme started",
        )
    )
    session.flush()
    return programme


def get_active_programme(session: Session, *, athlete_id: int) -> Programme | None:
    """Return the athlete's active or paused programme, or None."""
    return session.exec(
        select(Programme)
        .where(Programme.athlete_id == athlete_id, col(Programme.status).in_(("active", "paused")))
        .order_by(col(Programme.id).desc())
    ).first()


def lock_programme(session: Session, *, athlete_id: int) -> Programme | None:
    """Return the athlete's active or paused programme, read afresh and locked until the
    transaction ends, or None.

    Whatever decides on the athlete's day (the engine after an answer, a clinician's review,
    sign-off or stage change) takes this lock first, so two replicas never decide on one
    athlete at once: the second waits, then reads what the first committed (PostgreSQL's
    READ COMMITTED gives each later statement a fresh snapshot). SQLite needs no row lock:
    its writers already queue (``BEGIN IMMEDIATE``)."""
    return session.exec(
        select(Programme)
        .where(Programme.athlete_id == athlete_id, col(Programme.status).in_(("active", "paused")))
        .order_by(col(Programme.id).desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()


def require_programme(session: Session, *, programme_id: int) -> Programme:
    """Return the programme with this id or raise NotFoundError."""
    programme = session.get(Programme, programme_id)
    if programme is None:
        raise NotFoundError(f"no programme with id {programme_id}")
    return programme


def save_programme_state(
    session: Session, *, programme_id: int, state_json: str, now: dt.datetime
) -> Programme:
    """Replace the engine's state snapshot of a programme."""
    programme = require_programme(session, programme_id=programme_id)
    update_loaded(session, programme, state_json=state_json, updated_at=require_aware("now", now))
    return programme


def set_programme_status(
    session: Session,
    *,
    programme_id: int,
    status: Literal["active", "paused", "completed", "stopped"],
    now: dt.datetime,
) -> Programme:
    """Mark a programme active, paused, completed or stopped."""
    programme = require_programme(session, programme_id=programme_id)
    programme.status = status
    programme.updated_at = require_aware("now", now)
    session.add(programme)
    session.flush()
    return programme


def move_stage(
    session: Session,
    *,
    programme_id: int,
    to_stage: str,
    now: dt.datetime,
    reason: str,
    by_person_id: int | None = None,
) -> StageChange:
    """Move a programme to ``to_stage`` and record who (None = the engine) and why.

    Which moves are allowed is the engine's call; storage records them faithfully.
    """
    programme = require_programme(session, programme_id=programme_id)
    now = require_aware("now", now)
    change = StageChange(
        programme_id=programme_id,
        from_stage=programme.current_stage,
        to_stage=to_stage,
        at=now,
        by_person_id=by_person_id,
        reason=reason,
    )
    programme.current_stage = to_stage
    programme.updated_at = now
    session.add(programme)
    session.add(change)
    session.flush()
    return change


def stage_history(session: Session, *, programme_id: int) -> list[StageChange]:
    """Return every stage move of a programme, oldest first."""
    return list(
        session.exec(
            select(StageChange)
            .where(StageChange.programme_id == programme_id)
            .order_by(col(StageChange.at), col(StageChange.id))
        )
    )


def record_decision(
    session: Session,
    *,
    athlete_id: int,
    local_date: dt.date,
    kind: DecisionKind,
    outcome: str,
    decision: Mapping[str, Any] | BaseModel,
    protocol_name: str,
    protocol_version: int,
    now: dt.datetime,
) -> Decision:
    """Store an engine verdict (``kind="morning"``) or daily decision with its reasons.

    ``decision`` is the engine's output (model or dict); it must carry ``reasons``, a list
    of ``{rule, observed, threshold, text}``. ``outcome`` is the verdict or decision word
    (go/modify/rest/stop, progress/hold/step_back/stop).
    """
    payload = (
        decision.model_dump(mode="json") if isinstance(decision, BaseModel) else dict(decision)
    )
    reasons = payload.get("reasons")
    if not isinstance(reasons, list):
        raise StoreError(
            "a decision must carry 'reasons', a list of {rule, observed, threshold, text}"
        )
    try:
        payload["reasons"] = [Reason.model_validate(r).model_dump(mode="json") for r in reasons]
    except ValidationError as exc:
        raise StoreError(f"a decision reason is malformed: {exc.errors()[0]['msg']}") from None
    row = Decision(
        athlete_id=athlete_id,
        local_date=local_date,
        kind=kind,
        outcome=outcome,
        decision=payload,
        protocol_name=protocol_name,
        protocol_version=protocol_version,
        created_at=require_aware("now", now),
    )
    values = {c: getattr(row, c) for c in _DECISION_COLUMNS}
    row.id = session.execute(_upsert_decision(session.get_bind().dialect.name), values).scalar()
    stored: Decision = attach_upserted(session, row)
    return stored


_DECISION_COLUMNS = (
    "athlete_id", "local_date", "kind", "outcome", "decision", "protocol_name",
    "protocol_version", "created_at",
)  # fmt: skip


@functools.cache
def _upsert_decision(dialect: str) -> Any:
    """INSERT a decision; on a second one for the same athlete, day and kind (the database
    keeps one), the stored row takes the newer content and keeps its id."""
    table: Any = Decision.__table__  # type: ignore[attr-defined]
    stmt = insert_for(dialect, table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in _DECISION_COLUMNS}
    )
    return stmt.on_conflict_do_update(
        index_elements=["athlete_id", "local_date", "kind"],
        set_={
            name: stmt.excluded[name]
            for name in ("outcome", "decision", "protocol_name", "protocol_version", "created_at")
        },
    ).returning(table.c.id)


_DECISIONS_BETWEEN = (
    select(Decision)
    .where(
        Decision.athlete_id == bindparam("athlete_id"),
        col(Decision.local_date) >= bindparam("since"),
        col(Decision.local_date) <= bindparam("until"),
    )
    .order_by(col(Decision.local_date), col(Decision.id))
)
_DECISIONS_OF_KIND_BETWEEN = _DECISIONS_BETWEEN.where(Decision.kind == bindparam("kind"))


def decisions_between(
    session: Session,
    *,
    athlete_id: int,
    since: dt.date,
    until: dt.date,
    kind: DecisionKind | None = None,
) -> list[Decision]:
    """Return the athlete's decisions dated in [since, until], oldest first."""
    params: dict[str, Any] = {"athlete_id": athlete_id, "since": since, "until": until}
    if kind is None:
        return list(session.exec(_DECISIONS_BETWEEN, params=params))
    return list(session.exec(_DECISIONS_OF_KIND_BETWEEN, params={**params, "kind": kind}))


def record_clearance(
    session: Session,
    *,
    athlete_id: int,
    stage: str,
    clinician_id: int,
    local_date: dt.date,
    now: dt.datetime,
    declined: bool = False,
    note: str | None = None,
) -> Clearance:
    """Record a clinician's sign-off (or refusal, ``declined=True``) of a stage gate.

    A gate is signed off once: a second sign-off of the same stage on the same day (a second
    press, or two processes at once) resolves to the stored row, which takes the newer
    time, clinician and note, so it is again the latest word on that gate.
    """
    require_person(session, person_id=clinician_id, role="clinician")
    row = Clearance(
        athlete_id=athlete_id,
        stage=stage,
        clinician_id=clinician_id,
        local_date=local_date,
        at=require_aware("now", now),
        declined=declined,
        note=note,
    )
    if declined:
        session.add(row)
        session.flush()
        return row
    values = {c: getattr(row, c) for c in _CLEARANCE_COLUMNS}
    row.id = session.execute(_upsert_clearance(session.get_bind().dialect.name), values).scalar()
    stored: Clearance = attach_upserted(session, row)
    return stored


_CLEARANCE_COLUMNS = (
    "athlete_id", "stage", "clinician_id", "local_date", "at", "declined", "note",
)  # fmt: skip


@functools.cache
def _upsert_clearance(dialect: str) -> Any:
    table: Any = Clearance.__table__  # type: ignore[attr-defined]
    stmt = insert_for(dialect, table).values(
        {name: bindparam(name, type_=table.c[name].type) for name in _CLEARANCE_COLUMNS}
    )
    return stmt.on_conflict_do_update(
        index_elements=["athlete_id", "stage", "local_date"],
        index_where=text("NOT declined"),
        set_={name: stmt.excluded[name] for name in ("clinician_id", "at", "note")},
    ).returning(table.c.id)


def has_clearance(session: Session, *, athlete_id: int, stage: str) -> bool:
    """Tell whether the latest decision on ``stage``'s gate is a sign-off."""
    latest = session.exec(
        select(Clearance)
        .where(Clearance.athlete_id == athlete_id, Clearance.stage == stage)
        .order_by(col(Clearance.at).desc(), col(Clearance.id).desc())
    ).first()
    return latest is not None and not latest.declined


def record_clinician_action(
    session: Session,
    *,
    athlete_id: int,
    clinician_id: int,
    local_date: dt.date,
    kind: Literal["hold", "step_back", "set_stage", "pause", "resume", "review"],
    now: dt.datetime,
    stage: str | None = None,
    note: str | None = None,
) -> ClinicianActionRecord:
    """Record a clinician's order for a day (hold, step back, set stage, pause, resume, or a
    review that lifts a stop after a red flag)."""
    if kind not in CLINICIAN_ACTION_KINDS:
        raise StoreError(
            f"unknown clinician action {kind!r}: "
            f"expected one of {', '.join(CLINICIAN_ACTION_KINDS)}"
        )
    if kind == "set_stage" and not stage:
        raise StoreError("a 'set_stage' action needs the stage to set")
    row = ClinicianActionRecord(
        athlete_id=athlete_id,
        clinician_id=clinician_id,
        local_date=local_date,
        kind=kind,
        stage=stage,
        note=note,
        at=require_aware("now", now),
    )
    session.add(row)
    session.flush()
    return row


def add_note(
    session: Session, *, athlete_id: int, author_id: int, text: str, now: dt.datetime
) -> Note:
    """Store a free-text note about an athlete."""
    if not text.strip():
        raise StoreError("a note needs some text")
    row = Note(
        athlete_id=athlete_id, author_id=author_id, text=text, created_at=require_aware("now", now)
    )
    session.add(row)
    session.flush()
    return row


def notes_about(session: Session, *, athlete_id: int, limit: int = 50) -> list[Note]:
    """Return the newest notes about an athlete."""
    return list(
        session.exec(
            select(Note)
            .where(Note.athlete_id == athlete_id)
            .order_by(col(Note.created_at).desc(), col(Note.id).desc())
            .limit(limit)
        )
    )
