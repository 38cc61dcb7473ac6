"""Athletes' answers: morning check-ins, session reports, checks, questionnaire progress.

Answers are validated against ``engine.models`` before they are written, stored with the
instant they were given (UTC) and the athlete's UTC offset at that instant, one row per
athlete, local date and kind. A corrected answer replaces the row and the earlier version
is kept in the audit log, so nothing the athlete said is lost.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    BindParameter,
    Date,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.store.models import (
    AuditLog,
    ChecksRecord,
    Clearance,
    ClinicianActionRecord,
    MorningCheckinRecord,
    QuestionnaireProgress,
    SessionReportRecord,
)
from bot.store.repo._common import (
    NotFoundError,
    StoreError,
    attach_inserted,
    insert_for,
    null_padding,
    require_aware,
    update_loaded,
)
from bot.store.repo.audit import audit
from bot.store.types import JSONType, UTCDateTime
from engine.models import (
    Checks,
    ClinicianAction,
    DayRecord,
    LaterRun,
    MorningCheckIn,
    SessionReport,
)

AnswerTable = type[MorningCheckinRecord] | type[SessionReportRecord] | type[ChecksRecord]
_MODELS: dict[str, type[BaseModel]] = {
    "morning": MorningCheckIn,
    "session": SessionReport,
    "checks": Checks,
}


_ANSWER_COLUMNS = ("answers", "answered_at", "utc_offset_minutes", "updated_at")


@functools.cache
def _previous_answer(table: AnswerTable) -> Select[Any]:
    """The stored answers of one athlete and date, locked until the transaction ends."""
    columns = table.__table__.c  # type: ignore[union-attr]
    return (
        sa_select(columns.answers, columns.answered_at)
        .where(
            columns.athlete_id == bindparam("athlete_id"),
            columns.local_date == bindparam("local_date"),
        )
        .with_for_update()
    )


@functools.cache
def _upsert_answer_statement(dialect: str, table: AnswerTable) -> Any:
    """Insert-or-replace one athlete's answers of a date, returning the stored row (prepared
    once per database kind and table)."""
    insert = insert_for(dialect, table)
    names = ("athlete_id", "local_date", *_ANSWER_COLUMNS)
    statement = insert.values({name: bindparam(name) for name in names})
    return statement.on_conflict_do_update(
        index_elements=["athlete_id", "local_date"],
        set_={name: statement.excluded[name] for name in _ANSWER_COLUMNS},
    ).returning(table)


def _upsert_answer(
    session: Session,
    table: AnswerTable,
    *,
    kind: str,
    athlete_id: int,
    local_date: dt.date,
    answers: BaseModel,
    answered_at: dt.datetime,
    utc_offset_minutes: int,
) -> Any:
    answered_at = require_aware("answered_at", answered_at)
    if not -16 * 60 <= utc_offset_minutes <= 16 * 60:
        raise StoreError(f"utc_offset_minutes must be within ±960, got {utc_offset_minutes}")
    payload = answers.model_dump(mode="json", exclude_none=True)
    key = {"athlete_id": athlete_id, "local_date": local_date}
    previous = session.execute(_previous_answer(table), key).first()
    unchanged = previous is not None and previous[0] == payload
    values = {
        **key,
        "answers": payload,
        # The same answers saved again keep their instant: it says when they were given
        # (a session given before the day's check-in stays so; no correction to audit).
        "answered_at": previous[1] if unchanged and previous is not None else answered_at,
        "utc_offset_minutes": utc_offset_minutes,
        "updated_at": answered_at,
    }
    stmt = _upsert_answer_statement(session.get_bind().dialect.name, table)
    row = session.scalars(stmt, values, execution_options={"populate_existing": True}).one()
    if previous is not None and not unchanged:
        audit(
            session,
            actor_id=athlete_id,
            action="correct_answer",
            athlete_id=athlete_id,
            now=answered_at,
            detail={
                "kind": kind,
                "local_date": local_date.isoformat(),
                "previous": previous[0],
                "previous_answered_at": previous[1].isoformat(),
            },
        )
    return row


def upsert_morning_checkin(
    session: Session,
    *,
    athlete_id: int,
    local_date: dt.date,
    answers: MorningCheckIn,
    answered_at: dt.datetime,
    utc_offset_minutes: int,
) -> MorningCheckinRecord:
    """Store the morning check-in of ``local_date``; a second call corrects it."""
    row: MorningCheckinRecord = _upsert_answer(
        session,
        MorningCheckinRecord,
        kind="morning",
        athlete_id=athlete_id,
        local_date=local_date,
        answers=answers,
        answered_at=answered_at,
        utc_offset_minutes=utc_offset_minutes,
    )
    return row


def upsert_session_report(
    session: Session,
    *,
    athlete_id: int,
    local_date: dt.date,
    answers: SessionReport,
    answered_at: dt.datetime,
    utc_offset_minutes: int,
) -> SessionReportRecord:
    """Store the session report (metrics, checks) of ``local_date``; a second call corrects it."""
    row: SessionReportRecord = _upsert_answer(
        session,
        SessionReportRecord,
        kind="session",
        athlete_id=athlete_id,
        local_date=local_date,
        answers=answers,
        answered_at=answered_at,
        utc_offset_minutes=utc_offset_minutes,
    )
    return row


def upsert_checks(
    session: Session,
    *,
    athlete_id: int,
    local_date: dt.date,
    answers: Checks,
    answered_at: dt.datetime,
    utc_offset_minutes: int,
) -> ChecksRecord:
    """Store stand-alone functional checks of ``local_date``; a second call corrects them."""
    row: ChecksRecord = _upsert_answer(
        session,
        ChecksRecord,
        kind="checks",
        athlete_id=athlete_id,
        local_date=local_date,
        answers=answers,
        answered_at=answered_at,
        utc_offset_minutes=utc_offset_minutes,
    )
    return row


def get_morning_checkin(
    session: Session, *, athlete_id: int, local_date: dt.date
) -> MorningCheckIn | None:
    """Return the morning check-in stored for that date, or None."""
    row = session.exec(
        select(MorningCheckinRecord).where(
            MorningCheckinRecord.athlete_id == athlete_id,
            MorningCheckinRecord.local_date == local_date,
        )
    ).first()
    return None if row is None else MorningCheckIn.model_validate(row.answers)


def get_session_report(
    session: Session, *, athlete_id: int, local_date: dt.date
) -> SessionReport | None:
    """Return the session report stored for that date, or None."""
    row = session.exec(
        select(SessionReportRecord).where(
            SessionReportRecord.athlete_id == athlete_id,
            SessionReportRecord.local_date == local_date,
        )
    ).first()
    return None if row is None else SessionReport.model_validate(row.answers)


# --- questionnaire progress -------------------------------------------------------------


def start_questionnaire(
    session: Session,
    *,
    athlete_id: int,
    kind: str,
    local_date: dt.date,
    now: dt.datetime,
    layout: str | None = None,
) -> QuestionnaireProgress:
    """Return the open questionnaire of this kind and date, or open a new one at step 0.

    ``layout``: the fingerprint of the questionnaire's questions a new one is begun in (see
    ``QuestionnaireProgress.layout``); an open one returned keeps its own.

    An athlete has at most one open questionnaire (a unique index). When another process
    opened one meanwhile (two ``/checkin`` at once on two replicas), that row is the answer
    if it is of the same kind and date; one of another kind is cancelled, as opening a
    questionnaire cancels the others, and this one is opened.
    """
    now = require_aware("now", now)
    for _ in range(3):
        existing = get_open_questionnaire(
            session, athlete_id=athlete_id, kind=kind, local_date=local_date
        )
        if existing is not None:
            return existing
        values: dict[str, Any] = {
            "athlete_id": athlete_id,
            "kind": kind,
            "local_date": local_date,
            "step": 0,
            "answers": {},
            "status": "open",
            "layout": layout,
            "started_at": now,
            "updated_at": now,
        }
        new_id = session.execute(_open_questionnaire(session.get_bind().dialect.name), values)
        row_id = new_id.scalar()
        if row_id is not None:
            progress = QuestionnaireProgress(id=row_id, **values)
            attach_inserted(session, progress)
            return progress
        other = session.exec(
            select(QuestionnaireProgress)
            .where(
                QuestionnaireProgress.athlete_id == athlete_id,
                QuestionnaireProgress.status == "open",
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if other is not None and (other.kind, other.local_date) != (kind, local_date):
            other.status = "cancelled"
            other.updated_at = now
            session.add(other)
            session.flush()
    raise StoreError(f"could not open a {kind} questionnaire for athlete {athlete_id}")


@functools.cache
def _open_questionnaire(dialect: str) -> Any:
    """INSERT an open questionnaire unless the athlete has one open (returns no id then)."""
    table: Any = QuestionnaireProgress.__table__  # type: ignore[attr-defined]
    columns = ("athlete_id", "kind", "local_date", "step", "answers", "status", "layout",
               "started_at", "updated_at")  # fmt: skip
    return (
        insert_for(dialect, table)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .on_conflict_do_nothing()
        .returning(table.c.id)
    )


def get_open_questionnaire(
    session: Session,
    *,
    athlete_id: int,
    kind: str | None = None,
    local_date: dt.date | None = None,
) -> QuestionnaireProgress | None:
    """Return the athlete's most recently touched open questionnaire (of a kind/date), or None."""
    query = select(QuestionnaireProgress).where(
        QuestionnaireProgress.athlete_id == athlete_id, QuestionnaireProgress.status == "open"
    )
    if kind is not None:
        query = query.where(QuestionnaireProgress.kind == kind)
    if local_date is not None:
        query = query.where(QuestionnaireProgress.local_date == local_date)
    query = query.order_by(col(QuestionnaireProgress.updated_at).desc())
    return session.exec(query).first()


def latest_questionnaire_of_day(
    session: Session, *, athlete_id: int, kind: str, local_date: dt.date
) -> QuestionnaireProgress | None:
    """Return the athlete's most recently touched questionnaire of ``kind`` for
    ``local_date``, whatever its status, or None."""
    return session.exec(
        select(QuestionnaireProgress)
        .where(
            QuestionnaireProgress.athlete_id == athlete_id,
            QuestionnaireProgress.kind == kind,
            QuestionnaireProgress.local_date == local_date,
        )
        .order_by(
            col(QuestionnaireProgress.updated_at).desc(), col(QuestionnaireProgress.id).desc()
        )
    ).first()


def get_questionnaire(session: Session, *, progress_id: int) -> QuestionnaireProgress | None:
    """Return the questionnaire progress with this id, or None."""
    return session.get(QuestionnaireProgress, progress_id)


def validate_answer(kind: str, key: str, value: Any) -> Any:
    """Return ``value`` as it will be stored, or raise StoreError naming the bad key.

    Morning, session and checks answers are checked against the data dictionary; other
    questionnaires (onboarding, settings...) store any JSON value.
    """
    model = _MODELS.get(kind)
    if model is None:
        return value
    if key not in model.model_fields:
        raise StoreError(
            f"{key!r} is not a {kind} answer; expected one of {', '.join(model.model_fields)}"
        )
    try:
        parsed = model.model_validate({key: value})
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise StoreError(f"{kind} answer {key!r}={value!r} refused: {problem['msg']}") from None
    # Nested answers (metrics, checks) keep only the keys that were given.
    return parsed.model_dump(mode="json", exclude_none=True).get(key)


def save_answer(
    session: Session,
    *,
    progress_id: int,
    key: str,
    value: Any,
    now: dt.datetime,
    step: int | None = None,
) -> QuestionnaireProgress:
    """Store one answer of an open questionnaire and move it to ``step`` (default: next).

    Call it after EVERY answer, in the update's transaction: a restart then resumes here.
    """
    progress = session.exec(
        select(QuestionnaireProgress)
        .where(QuestionnaireProgress.id == progress_id)
        .with_for_update()
    ).first()
    if progress is None:
        raise NotFoundError(f"no questionnaire with id {progress_id}")
    if progress.status != "open":
        raise StoreError(f"questionnaire {progress_id} is {progress.status}, not open")
    stored = validate_answer(progress.kind, key, value)
    # A new dict, so the JSON column sees the change.
    progress.answers = {**progress.answers, key: stored}
    progress.step = progress.step + 1 if step is None else step
    progress.updated_at = require_aware("now", now)
    session.add(progress)
    session.flush()
    return progress


def finish_questionnaire(
    session: Session,
    *,
    progress_id: int,
    now: dt.datetime,
    status: Literal["done", "cancelled"] = "done",
) -> QuestionnaireProgress:
    """Close a questionnaire as done or cancelled; its answers stay stored."""
    if status not in ("done", "cancelled"):
        raise StoreError(f"a questionnaire is closed as 'done' or 'cancelled', not {status!r}")
    progress = session.get(QuestionnaireProgress, progress_id)
    if progress is None:
        raise NotFoundError(f"no questionnaire with id {progress_id}")
    update_loaded(session, progress, status=status, updated_at=require_aware("now", now))
    return progress


# --- day records for the engine ---------------------------------------------------------


# A session booked to a date this much later than another day's answers can still have been
# answered before them (a move west: local dates differ by at most 2 between time zones).
LATER_RUN_DAYS = 2


def load_day_records(
    session: Session, *, athlete_id: int, since: dt.date, until: dt.date
) -> list[DayRecord]:
    """Return, oldest first, one DayRecord per date in [since, until] with anything recorded.

    Merges the morning check-in, session report, stand-alone checks, clearances (a
    non-declined one sets ``clearance``) and clinician actions of each date. ``paused`` is
    true on every date where the latest pause/resume ordered on or before it was a pause;
    such dates are included even when nothing else was recorded. ``morning_at`` and
    ``session_at`` are the instants the check-in and the session report were first answered,
    and ``later_runs`` the sessions of the next ``LATER_RUN_DAYS`` dates (``until``'s too)
    answered before the day's answers (see ``day_records_from_rows``). One round trip.
    """
    if until < since:
        raise StoreError(f"until ({until}) is before since ({since})")
    window = {
        "athlete_id": athlete_id,
        "since": since,
        "until": until,
        "runs_until": until + dt.timedelta(days=LATER_RUN_DAYS),
        "corrections_since": since - dt.timedelta(days=1),
    }
    rows = session.connection().execute(DAY_ROWS_BETWEEN, window)
    return day_records_from_rows(rows, since=since, until=until)


def day_records_from_rows(
    rows: Iterable[Any], *, since: dt.date, until: dt.date
) -> list[DayRecord]:
    """Build the DayRecords of [since, until] from rows shaped like ``DAY_COLUMNS``.

    Each row has ``day_src`` ("answer", "action" or "correction"), ``day_date``, ``day_at``,
    ``day_kind``, ``day_stage``, ``day_note`` and ``day_answers``; rows of other sources
    (``day_src`` None or anything else) are ignored, so one query can carry more than day
    rows.

    An answer's instant is when it was first given: a later addition (the pain an hour after
    the session, a warning sign reported with /problem) rewrites the row and its
    ``answered_at``, and the audit log's corrections keep the instants before (their
    ``previous_answered_at``). So a session answered before the day's check-in stays so,
    whatever is added to it afterwards, and a check-in stays before the session it preceded.
    """
    morning: dict[dt.date, MorningCheckIn] = {}
    sessions: dict[dt.date, SessionReport] = {}
    checks: dict[dt.date, Checks] = {}
    first_at: dict[tuple[str, dt.date], dt.datetime] = {}
    corrections: list[Any] = []
    action_rows: list[tuple[dt.date, dt.datetime, str, str | None, str | None, int | None]] = []
    for row in rows:
        if row.day_src == "answer":
            if row.day_kind == "morning":
                morning[row.day_date] = MorningCheckIn.model_validate(row.day_answers)
            elif row.day_kind == "session":
                sessions[row.day_date] = SessionReport.model_validate(row.day_answers)
            else:
                checks[row.day_date] = Checks.model_validate(row.day_answers)
            if row.day_at is not None:
                first_at[(row.day_kind, row.day_date)] = row.day_at
        elif row.day_src == "correction":
            corrections.append(row.day_answers)
        elif row.day_src == "action":
            action_rows.append(
                (
                    row.day_date,
                    row.day_at,
                    row.day_kind,
                    row.day_stage,
                    row.day_note,
                    row.day_value,
                )
            )
    _first_answered(first_at, corrections)
    # Pauses before ``since`` must be replayed in time order to know the state on ``since``.
    action_rows.sort(key=lambda r: (r[0], r[1]))
    actions: dict[dt.date, list[tuple[dt.datetime, ClinicianAction]]] = defaultdict(list)
    cleared: set[dt.date] = set()
    paused_at_start = False
    pause_changes: dict[dt.date, bool] = {}
    for local_date, at, kind, stage, note, value in action_rows:
        if local_date < since:  # an earlier pause or resume: the state on ``since``
            paused_at_start = kind == "pause"
            continue
        action = ClinicianAction(kind=kind, stage=stage, note=note, value=value)
        actions[local_date].append((at, action))
        if kind == "clear":
            cleared.add(local_date)
        elif kind in ("pause", "resume"):
            pause_changes[local_date] = kind == "pause"
    records: list[DayRecord] = []
    paused = paused_at_start
    day = since
    while day <= until:
        paused = pause_changes.get(day, paused)
        has_data = day in morning or day in sessions or day in checks or day in actions
        if has_data or paused:
            morning_at = first_at.get(("morning", day)) if day in morning else None
            session_at = first_at.get(("session", day)) if day in sessions else None
            records.append(
                DayRecord(
                    date=day,
                    morning=morning.get(day),
                    session=sessions.get(day),
                    checks=checks.get(day),
                    clearance=day in cleared,
                    paused=paused,
                    clinician_actions=[
                        a for _, a in sorted(actions.get(day, []), key=lambda x: x[0])
                    ],
                    morning_at=morning_at,
                    session_at=session_at,
                    later_runs=_later_runs(day, (morning_at, session_at), sessions, first_at),
                )
            )
        day += dt.timedelta(days=1)
    return records


def _first_answered(
    first_at: dict[tuple[str, dt.date], dt.datetime], corrections: list[Any]
) -> None:
    """Move each answer's instant in ``first_at`` back to the earliest version the audit log's
    ``corrections`` (their ``detail``) record for it."""
    for detail in corrections:
        if not isinstance(detail, dict):
            continue
        try:
            key = (str(detail["kind"]), dt.date.fromisoformat(str(detail["local_date"])))
            before = dt.datetime.fromisoformat(str(detail["previous_answered_at"]))
        except (KeyError, ValueError):
            continue
        now = first_at.get(key)
        if now is not None and before.utcoffset() is not None and before < now:
            first_at[key] = before.astimezone(dt.UTC)


def _later_runs(
    day: dt.date,
    answered: tuple[dt.datetime | None, dt.datetime | None],
    sessions: dict[dt.date, SessionReport],
    first_at: dict[tuple[str, dt.date], dt.datetime],
) -> list[LaterRun]:
    """The sessions of the next ``LATER_RUN_DAYS`` dates answered before the last of the
    day's answers (``answered``): runs that came first although booked to a later date, as
    after a move west. None without a change of time zone."""
    known = [at for at in answered if at is not None]
    if not known:
        return []
    last = max(known)
    out: list[LaterRun] = []
    for ahead in range(1, LATER_RUN_DAYS + 1):
        date = day + dt.timedelta(days=ahead)
        at = first_at.get(("session", date))
        if date in sessions and at is not None and at < last:
            out.append(LaterRun(date=date, at=at, session=sessions[date]))
    return out


# The hot queries are built once, with bound parameters: building SQLAlchemy statements
# costs more than running these small indexed lookups.
_ATHLETE: BindParameter[int] = bindparam("athlete_id")
_SINCE: BindParameter[dt.date] = bindparam("since")
_UNTIL: BindParameter[dt.date] = bindparam("until")
# The last date whose session reports are read as well (``load_day_records``: a few days
# after ``until``, see ``LATER_RUN_DAYS``); callers that leave it out read up to ``until``.
_RUNS_UNTIL: BindParameter[dt.date | None] = bindparam("runs_until", value=None, type_=Date())
# The first (UTC) date whose corrections of answers are read (``load_day_records``: the day
# before ``since``, as a correction of ``since`` made in a zone ahead of UTC falls on it);
# callers that leave it out read those from ``since`` on.
_CORRECTIONS_SINCE: BindParameter[dt.date | None] = bindparam(
    "corrections_since", value=None, type_=Date()
)

DAY_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("day_src", String()),
    ("day_date", Date()),
    ("day_at", UTCDateTime()),
    ("day_kind", String()),
    ("day_stage", String()),
    ("day_note", Text()),
    ("day_answers", JSONType),
    ("day_value", Integer()),
)
"""Labels and types of the columns ``day_records_from_rows`` reads."""


def day_null_columns(*, typed: bool) -> list[Any]:
    """NULLs for ``DAY_COLUMNS``: they pad a row of another source in a wider UNION.

    ``typed`` makes them CASTs, needed in the first SELECT of a UNION only: PostgreSQL types
    its columns pairwise, left to right, and a bare NULL then takes the type found so far.
    """
    return null_padding(DAY_COLUMNS, typed=typed)


def _sql(value: str) -> Any:
    # A constant written into the SQL, not a bound parameter: the statement stays one
    # prepared query with nothing to expand or convert per call.
    return literal_column(f"'{value}'")


def _day_row(typed: bool, *values: Any) -> list[Any]:
    return [
        ((cast(null(), type_) if typed else null()) if value is None else value).label(name)
        for value, (name, type_) in zip(values, DAY_COLUMNS, strict=True)
    ]


def day_row_selects(
    padding_before: Sequence[Any] = (),
    padding_after: Sequence[Any] = (),
    *,
    typed_first: bool = True,
) -> list[Any]:
    """The SELECTs of one athlete's day rows in [since, until], each padded for a wider UNION.

    Answers (morning, session, checks) with the instant each was answered, clearances and
    clinician actions of the window, plus earlier pauses and resumes (so the caller knows
    whether the first day is paused), the audit log's corrections of answers (the instants of
    earlier versions) made since ``corrections_since`` (default ``since``), and the session
    reports up to ``runs_until`` when given. ``typed_first``: the first SELECT's NULLs are
    CASTs (when it opens the UNION). Parameters: ``athlete_id``, ``since``, ``until``,
    optional ``runs_until`` and ``corrections_since``.
    """
    answers = [
        sa_select(
            *padding_before,
            *_day_row(
                typed_first and i == 0,
                _sql("answer"),
                table.local_date,
                table.answered_at,
                _sql(kind),
                None,
                None,
                table.answers,
                None,
            ),
            *padding_after,
        ).where(
            col(table.athlete_id) == _ATHLETE,
            col(table.local_date) >= _SINCE,
            col(table.local_date)
            <= (func.coalesce(_RUNS_UNTIL, _UNTIL) if kind == "session" else _UNTIL),
        )
        for i, (kind, table) in enumerate(
            (
                ("morning", MorningCheckinRecord),
                ("session", SessionReportRecord),
                ("checks", ChecksRecord),
            )
        )
    ]
    clearances = sa_select(
        *padding_before,
        *_day_row(
            False,
            _sql("action"),
            Clearance.local_date,
            Clearance.at,
            case((col(Clearance.declined), _sql("decline")), else_=_sql("clear")),
            Clearance.stage,
            Clearance.note,
            None,
            None,
        ),
        *padding_after,
    ).where(
        col(Clearance.athlete_id) == _ATHLETE,
        col(Clearance.local_date) >= _SINCE,
        col(Clearance.local_date) <= _UNTIL,
    )
    orders = sa_select(
        *padding_before,
        *_day_row(
            False,
            _sql("action"),
            ClinicianActionRecord.local_date,
            ClinicianActionRecord.at,
            ClinicianActionRecord.kind,
            ClinicianActionRecord.stage,
            ClinicianActionRecord.note,
            None,
            ClinicianActionRecord.value,
        ),
        *padding_after,
    ).where(
        col(ClinicianActionRecord.athlete_id) == _ATHLETE,
        col(ClinicianActionRecord.local_date) <= _UNTIL,
        (col(ClinicianActionRecord.local_date) >= _SINCE)
        | col(ClinicianActionRecord.kind).in_([_sql("pause"), _sql("resume")]),
    )
    corrections = sa_select(
        *padding_before,
        *_day_row(
            False, _sql("correction"), None, AuditLog.at, None, None, None, AuditLog.detail, None
        ),
        *padding_after,
    ).where(
        col(AuditLog.athlete_id) == _ATHLETE,
        col(AuditLog.action) == _sql("correct_answer"),
        func.date(col(AuditLog.at), type_=Date()) >= func.coalesce(_CORRECTIONS_SINCE, _SINCE),
    )
    return [*answers, clearances, orders, corrections]


DAY_ROWS_BETWEEN = union_all(*day_row_selects())
"""Answers, clearances and clinician actions of one athlete's date range, in one query."""
