"""The read models the bot asks for most: an athlete's status, a clinician's athlete list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, literal_column, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.store.models import AlertRecord, Decision, Link, MorningCheckinRecord, Person, Programme
from bot.store.repo._common import NotFoundError, StoreError, null_padding
from bot.store.repo.answers import (
    DAY_COLUMNS,
    day_null_columns,
    day_records_from_rows,
    day_row_selects,
)
from engine.models import DayRecord


@dataclass(frozen=True)
class AthleteStatus:
    """Where an athlete stands today and what happened over the last days."""

    person: Person
    programme: Programme | None
    recent_days: list[DayRecord]
    recent_decisions: list[Decision]
    open_alerts: list[AlertRecord]


@dataclass(frozen=True)
class AthleteSummary:
    """One line of a clinician's athlete list."""

    athlete_id: int
    display_name: str
    paused: bool
    unreachable: bool
    protocol_name: str | None
    current_stage: str | None
    last_checkin_date: dt.date | None
    open_alert_count: int


def _columns(model: Any, prefix: str) -> tuple[list[Any], list[tuple[str, Any]]]:
    """A model's columns labelled ``prefix_name``, and their (label, type) pairs."""
    columns = list(model.__table__.columns)
    return [c.label(f"{prefix}_{c.name}") for c in columns], [
        (f"{prefix}_{c.name}", c.type) for c in columns
    ]


def _sql(value: str) -> Any:
    # A constant written into the SQL, not a bound parameter: nothing to expand per call.
    return literal_column(f"'{value}'")


def _athlete_status_query() -> Any:
    """Person, programme, decisions, open alerts and day rows of one athlete: ONE round trip.

    A UNION ALL of rows of different sources, each source in its own columns (NULL in the
    others). The first row ('head') carries the person and current programme through two
    outer joins, so a missing person still yields that row, with no person in it; its NULLs
    are typed, which types every column of the UNION.
    """
    decision, decision_labels = _columns(Decision, "d")
    alert, alert_labels = _columns(AlertRecord, "a")
    no_decision = null_padding(decision_labels, typed=False)
    no_alert = null_padding(alert_labels, typed=False)
    no_day = day_null_columns(typed=False)

    def source(name: str) -> Any:
        return _sql(name).label("item_src")

    head = sa_select(
        source("head"),
        *null_padding(decision_labels, typed=True),
        *null_padding(alert_labels, typed=True),
        *day_null_columns(typed=True),
    )
    decisions = sa_select(source("decision"), *decision, *no_alert, *no_day).where(
        col(Decision.athlete_id) == bindparam("athlete_id"),
        col(Decision.local_date) >= bindparam("since"),
        col(Decision.local_date) <= bindparam("until"),
    )
    alerts = sa_select(source("alert"), *no_decision, *alert, *no_day).where(
        col(AlertRecord.athlete_id) == bindparam("athlete_id"),
        col(AlertRecord.acknowledged_at).is_(None),
    )
    days = day_row_selects(
        padding_before=[source("day"), *no_decision, *no_alert], typed_first=False
    )
    items = union_all(head, decisions, alerts, *days).subquery("i")
    decision_entity = aliased(Decision, items)
    alert_entity = aliased(AlertRecord, items)
    c = items.c
    return (
        sa_select(
            c.item_src,
            Person,
            Programme,
            decision_entity,
            alert_entity,
            *(c[name] for name, _ in DAY_COLUMNS),
        )
        .select_from(items)
        .outerjoin(
            Person, (c.item_src == _sql("head")) & (col(Person.id) == bindparam("athlete_id"))
        )
        # At most one active or paused programme per athlete (a partial unique index).
        .outerjoin(
            Programme,
            (col(Programme.athlete_id) == col(Person.id))
            & col(Programme.status).in_([_sql("active"), _sql("paused")]),
        )
        .order_by(c.item_src, c.d_local_date, c.d_id, c.a_created_at, c.a_id)
    )


_ATHLETE_STATUS = _athlete_status_query()


def athlete_status(
    session: Session, *, athlete_id: int, today: dt.date, days: int = 14
) -> AthleteStatus:
    """Return the programme, the last ``days`` days of records and decisions, open alerts."""
    since = today - dt.timedelta(days=days - 1)
    params = {"athlete_id": athlete_id, "since": since, "until": today}
    rows = session.execute(_ATHLETE_STATUS, params).all()
    head = next(row for row in rows if row[0] == "head")
    person, programme = head[1], head[2]
    if person is None:
        raise NotFoundError(f"no person with id {athlete_id}")
    if person.role != "athlete":
        raise StoreError(f"person {athlete_id} has role {person.role!r}, expected 'athlete'")
    return AthleteStatus(
        person=person,
        programme=programme,
        recent_days=day_records_from_rows(rows, since=since, until=today),
        recent_decisions=[row[3] for row in rows if row[0] == "decision"],
        open_alerts=[row[4] for row in rows if row[0] == "alert"],
    )


def _clinician_athletes_query() -> Any:
    """A clinician's athletes with current stage, last check-in date and open alert count."""
    last_checkin = (
        select(func.max(MorningCheckinRecord.local_date))
        .where(MorningCheckinRecord.athlete_id == Person.id)
        .correlate(Person)
        .scalar_subquery()
    )
    alert_count = (
        select(func.count(col(AlertRecord.id)))
        .where(AlertRecord.athlete_id == Person.id, col(AlertRecord.acknowledged_at).is_(None))
        .correlate(Person)
        .scalar_subquery()
    )
    return (
        sa_select(
            col(Person.id),
            col(Person.display_name),
            col(Person.paused),
            col(Person.unreachable),
            col(Programme.protocol_name),
            col(Programme.current_stage),
            last_checkin,
            alert_count,
        )
        .join(Link, col(Link.athlete_id) == col(Person.id))
        # At most one active or paused programme per athlete (a partial unique index).
        .outerjoin(
            Programme,
            (col(Programme.athlete_id) == col(Person.id))
            & col(Programme.status).in_(("active", "paused")),
        )
        .where(col(Link.clinician_id) == bindparam("clinician_id"))
        .order_by(col(Person.display_name), col(Person.id))
    )


_CLINICIAN_ATHLETES = _clinician_athletes_query()


def clinician_athletes(session: Session, *, clinician_id: int) -> list[AthleteSummary]:
    """Return the clinician's linked athletes with stage, last check-in and open alerts, by name."""
    return [
        AthleteSummary(
            athlete_id=row[0],
            display_name=row[1],
            paused=row[2],
            unreachable=row[3],
            protocol_name=row[4],
            current_stage=row[5],
            last_checkin_date=row[6],
            open_alert_count=int(row[7] or 0),
        )
        for row in session.connection().execute(_CLINICIAN_ATHLETES, {"clinician_id": clinician_id})
    ]
