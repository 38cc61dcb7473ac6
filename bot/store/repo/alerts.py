"""Clinician alerts and what happened to them (acknowledged, re-sent, escalated)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bot.store.models import SEVERITIES, AlertRecord
from bot.store.repo._common import NotFoundError, StoreError, require_aware
from engine.models import Alert

# The scheduler's alert when an athlete misses morning check-ins in a row (raised as it
# happens); the engine's own "escalate.missed" alert about the same absence is then redundant.
MISSED_CHECKINS_RULE = "missed_checkins"


def raise_alert(
    session: Session,
    *,
    athlete_id: int,
    alert: Alert,
    now: dt.datetime,
    local_date: dt.date | None = None,
    decision_id: int | None = None,
) -> AlertRecord:
    """Store an alert raised by a rule for the athlete's clinicians."""
    row = AlertRecord(
        athlete_id=athlete_id,
        decision_id=decision_id,
        severity=alert.severity,
        rule=alert.rule,
        text=alert.text,
        local_date=local_date,
        created_at=require_aware("now", now),
    )
    session.add(row)
    session.flush()
    return row


def _require_alert(session: Session, alert_id: int) -> AlertRecord:
    row = session.get(AlertRecord, alert_id)
    if row is None:
        raise NotFoundError(f"no alert with id {alert_id}")
    return row


def acknowledge_alert(
    session: Session,
    *,
    alert_id: int,
    by_person_id: int,
    now: dt.datetime,
    action_taken: str | None = None,
) -> AlertRecord:
    """Mark an alert acknowledged by a clinician (the first acknowledgement is kept)."""
    row = _require_alert(session, alert_id)
    if row.acknowledged_at is None:
        row.acknowledged_at = require_aware("now", now)
        row.acknowledged_by = by_person_id
    if action_taken is not None:
        row.action_taken = action_taken
    session.add(row)
    session.flush()
    return row


def mark_alert_resent(session: Session, *, alert_id: int, now: dt.datetime) -> AlertRecord:
    """Record that an unacknowledged alert was sent again."""
    row = _require_alert(session, alert_id)
    row.resent_at = require_aware("now", now)
    session.add(row)
    session.flush()
    return row


def mark_alert_escalated(session: Session, *, alert_id: int, now: dt.datetime) -> AlertRecord:
    """Record that an unacknowledged alert was escalated to the admins."""
    row = _require_alert(session, alert_id)
    row.escalated_to_admin_at = require_aware("now", now)
    session.add(row)
    session.flush()
    return row


_OPEN_FOR_ATHLETE = (
    select(AlertRecord)
    .where(
        col(AlertRecord.acknowledged_at).is_(None),
        AlertRecord.athlete_id == bindparam("athlete_id"),
    )
    .order_by(col(AlertRecord.created_at), col(AlertRecord.id))
)


def open_alerts(
    session: Session, *, athlete_id: int | None = None, severity: str | None = None
) -> list[AlertRecord]:
    """Return unacknowledged alerts (of an athlete / severity), oldest first."""
    if severity is not None and severity not in SEVERITIES:
        raise StoreError(f"unknown severity {severity!r}: expected one of {', '.join(SEVERITIES)}")
    if athlete_id is not None and severity is None:
        return list(session.exec(_OPEN_FOR_ATHLETE, params={"athlete_id": athlete_id}))
    query = select(AlertRecord).where(col(AlertRecord.acknowledged_at).is_(None))
    if athlete_id is not None:
        query = query.where(AlertRecord.athlete_id == athlete_id)
    if severity is not None:
        query = query.where(AlertRecord.severity == severity)
    return list(session.exec(query.order_by(col(AlertRecord.created_at), col(AlertRecord.id))))


def unacknowledged_older_than(
    session: Session, *, before: dt.datetime, severity: str | None = None
) -> list[AlertRecord]:
    """Return unacknowledged alerts raised before ``before`` (to re-send or escalate)."""
    query = select(AlertRecord).where(
        col(AlertRecord.acknowledged_at).is_(None),
        col(AlertRecord.created_at) < require_aware("before", before),
    )
    if severity is not None:
        query = query.where(AlertRecord.severity == severity)
    return list(session.exec(query.order_by(col(AlertRecord.created_at))))
