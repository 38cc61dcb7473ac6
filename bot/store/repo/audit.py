"""The audit log: who viewed, changed, cleared, exported or deleted what, and when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from bot.store.models import AuditLog
from bot.store.repo._common import StoreError, require_aware


def audit(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    now: dt.datetime,
    athlete_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Record that ``actor_id`` (None = the system) did ``action`` about ``athlete_id``.

    Usual actions: ``view``, ``change``, ``correct_answer``, ``clear``, ``export``,
    ``delete``, ``link``, ``unlink``, ``acknowledge``, ``publish_protocol``,
    ``activate_protocol``, ``set_stage``.
    """
    if not action:
        raise StoreError("an audit entry needs an action (e.g. 'view', 'export')")
    entry = AuditLog(
        actor_id=actor_id,
        action=action,
        athlete_id=athlete_id,
        detail=_storable(dict(detail or {})),
        at=require_aware("now", now),
    )
    session.add(entry)
    session.flush()
    return entry


def _storable(value: Any) -> Any:
    """Return ``value`` with every string storable as JSON on both databases: PostgreSQL
    refuses NUL characters and lone surrogates, which crafted input (button data) can hold."""
    if isinstance(value, str):
        return value.encode("utf-8", errors="replace").decode("utf-8").replace("\x00", "?")
    if isinstance(value, dict):
        return {str(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    return value


def audit_entries(
    session: Session,
    *,
    athlete_id: int | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    limit: int = 100,
) -> list[AuditLog]:
    """Return the newest audit entries, optionally only about an athlete, actor or action."""
    query = select(AuditLog)
    if athlete_id is not None:
        query = query.where(AuditLog.athlete_id == athlete_id)
    if actor_id is not None:
        query = query.where(AuditLog.actor_id == actor_id)
    if action is not None:
        query = query.where(AuditLog.action == action)
    query = query.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).limit(limit)
    return list(session.exec(query))
