"""Clinician alerts and what happened to them (acknowledged, re-sent, escalated)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import bindparam, func, update
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


def claim_acknowledgement(
    session: Session, *, alert_id: int, by_person_id: int, now: dt.datetime
) -> tuple[AlertRecord, bool]:
    """Acknowledge an alert by ``by_person_id`` unless someone already has; return the alert
    as stored (with who acknowledged it first) and whether this call was the first.

    One conditional UPDATE (``... WHERE acknowledged_at IS NULL``): of two acknowledgements
    at once on PostgreSQL, the second waits for the first's row lock, then finds the alert
    acknowledged and changes nothing, so the first is kept and the second is told so."""
    at = require_aware("now", now)
    claimed = session.execute(
        update(AlertRecord)
        .where(col(AlertRecord.id) == alert_id, col(AlertRecord.acknowledged_at).is_(None))
        .values(acknowledged_at=at, acknowledged_by=by_person_id)
        .execution_options(synchronize_session=False)
    )
    row = session.exec(
        select(AlertRecord)
        .where(col(AlertRecord.id) == alert_id)
        .execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise NotFoundError(f"no alert with id {alert_id}")
    return row, bool(claimed.rowcount)  # type: ignore[attr-defined]


def acknowledge_alert(
    session: Session,
    *,
    alert_id: int,
    by_person_id: int,
    now: dt.datetime,
    action_taken: str | None = None,
) -> AlertRecord:
    """Mark an alert acknowledged by a clinician (the first acknowledgement is kept, even
    when two are given at once: see :func:`claim_acknowledgement`)."""
    row, _first = claim_acknowledgement(
        session, alert_id=alert_id, by_person_id=by_person_id, now=now
    )
    if action_taken is not None:
        row.action_taken = action_taken
        session.add(row)
        session.flush()
    return row


def newest_alert_id(session: Session, *, athlete_id: int) -> int:
    """Return the id of the athlete's newest alert (0: none yet). Alert ids grow with time:
    a prompt that keeps it can tell the alerts raised after it was shown."""
    found = session.exec(
        select(func.max(AlertRecord.id)).where(AlertRecord.athlete_id == athlete_id)
    ).first()
    return int(found or 0)


# What a step records on the alerts it covers: ``new`` (the first message about them)
# records nothing on the alert (the message itself says they were told), the others a time.
EscalationKind = Literal["new", "resend", "to_admin"]


def claim_for_escalation(
    session: Session, *, alert_ids: Sequence[int], kind: EscalationKind
) -> list[AlertRecord]:
    """Lock and return those of ``alert_ids`` that a ``kind`` step may still be taken on:
    unacknowledged and, for ``resend`` / ``to_admin``, not yet re-sent or handed to the
    admins (``new``: unacknowledged only; whether they were told already is for the caller
    to read once they are locked), read afresh, oldest first.

    The escalation job reads the open alerts without locking them; an acknowledgement, a
    sign-off or a review committed on another replica since then must stop the step. On
    PostgreSQL the rows are locked (``FOR UPDATE SKIP LOCKED``) until the job's transaction
    ends: an alert whose acknowledgement is being written, or that another replica's job or
    athlete update is telling the clinicians about, is skipped (that one sends it; the next
    run looks at it again), and an acknowledgement that comes later waits for the job's
    step. SQLite runs one writer at a time (the job holds the write lock), so reading afresh
    is enough."""
    if not alert_ids:
        return []
    conditions = [
        col(AlertRecord.id).in_(sorted(set(alert_ids))),
        col(AlertRecord.acknowledged_at).is_(None),
    ]
    if kind == "resend":
        conditions.append(col(AlertRecord.resent_at).is_(None))
    elif kind == "to_admin":
        conditions.append(col(AlertRecord.escalated_to_admin_at).is_(None))
    query = (
        select(AlertRecord)
        .where(*conditions)
        .order_by(col(AlertRecord.created_at), col(AlertRecord.id))
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
    return list(session.exec(query))


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
