"""The read models the bot asks for most: an athlete's status, a clinician's athlete list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.store.models import AlertRecord, Decision, Link, MorningCheckinRecord, Person, Programme
from bot.store.repo._common import NotFoundError, StoreError
from bot.store.repo.alerts import open_alerts
from bot.store.repo.answers import load_day_records
from bot.store.repo.programme import decisions_between
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


_PERSON_AND_PROGRAMME = (
    select(Person, Programme)
    .outerjoin(
        Programme,
        (col(Programme.athlete_id) == col(Person.id))
        & col(Programme.status).in_(("active", "paused")),
    )
    .where(col(Person.id) == bindparam("athlete_id"))
)


def athlete_status(
    session: Session, *, athlete_id: int, today: dt.date, days: int = 14
) -> AthleteStatus:
    """Return the programme, the last ``days`` days of records and decisions, open alerts."""
    # The person and their current programme in one round trip.
    found = session.exec(_PERSON_AND_PROGRAMME, params={"athlete_id": athlete_id}).first()
    if found is None:
        raise NotFoundError(f"no person with id {athlete_id}")
    person, programme = found
    if person.role != "athlete":
        raise StoreError(f"person {athlete_id} has role {person.role!r}, expected 'athlete'")
    since = today - dt.timedelta(days=days - 1)
    return AthleteStatus(
        person=person,
        programme=programme,
        recent_days=load_day_records(session, athlete_id=athlete_id, since=since, until=today),
        recent_decisions=decisions_between(
            session, athlete_id=athlete_id, since=since, until=today
        ),
        open_alerts=open_alerts(session, athlete_id=athlete_id),
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
