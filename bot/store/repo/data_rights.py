"""Data rights: export everything stored about one athlete, and delete it for good.

"Everything about an athlete" is found from the schema itself: every row whose foreign key
points at the athlete, and every row pointing at such a row (a stage change of their
programme, an alert on their decision), plus messages queued to their chat and audit
entries about them. A table added later is covered without touching this module.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, or_, select
from sqlmodel import Session

from bot.store.models import metadata
from bot.store.repo._common import require_aware
from bot.store.repo.audit import audit
from bot.store.repo.people import require_person

EXPORT_FORMAT = "sprintback-athlete-export"
EXPORT_VERSION = 1
_AUDIT = "audit_log"


def _athlete_filters(athlete_id: int) -> dict[Table, ColumnElement[bool]]:
    """Map each table holding rows about the athlete to a WHERE clause selecting them."""
    person = metadata.tables["person"]
    filters: dict[Table, ColumnElement[bool]] = {person: person.c.id == athlete_id}
    for table in metadata.sorted_tables:  # referenced tables come first
        if table is person or table.name == _AUDIT:
            continue
        conditions: list[ColumnElement[bool]] = []
        for fk in table.foreign_keys:
            referred = fk.column.table
            if referred is person:
                conditions.append(fk.parent == athlete_id)
            elif referred in filters:
                conditions.append(fk.parent.in_(select(fk.column).where(filters[referred])))
        if "chat_id" in table.c and table.name != "person":
            # Messages queued to the athlete's chat, even when not tagged with their id.
            athlete_chat = (
                select(person.c.chat_id).where(person.c.id == athlete_id).scalar_subquery()
            )
            conditions.append(table.c.chat_id == athlete_chat)
        if conditions:
            filters[table] = or_(*conditions)
    audit_table = metadata.tables[_AUDIT]
    filters[audit_table] = or_(
        audit_table.c.athlete_id == athlete_id, audit_table.c.actor_id == athlete_id
    )
    return filters


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def export_athlete(
    session: Session,
    *,
    athlete_id: int,
    actor_id: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Return everything stored about an athlete as a JSON-ready dict, one list per table.

    With ``now``, the export itself is written to the audit log as done by ``actor_id``
    (None = the system), in the caller's transaction.
    """
    require_person(session, person_id=athlete_id, role="athlete")
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, where in _athlete_filters(athlete_id).items():
        rows = session.connection().execute(
            select(table).where(where).order_by(*table.primary_key.columns)
        )
        tables[table.name] = [{k: _json_value(v) for k, v in row._mapping.items()} for row in rows]
    export = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "athlete_id": athlete_id,
        "tables": tables,
    }
    if now is not None:
        audit(
            session,
            actor_id=actor_id,
            action="export",
            athlete_id=athlete_id,
            now=require_aware("now", now),
            detail={"rows": {name: len(rows) for name, rows in tables.items()}},
        )
    return export


def export_json(export: dict[str, Any]) -> str:
    """Render an export as indented JSON text."""
    return json.dumps(export, indent=2, ensure_ascii=False, sort_keys=False)


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value, ensure_ascii=False)
    else:
        out[prefix] = "" if value is None else value


def export_csv(export: dict[str, Any]) -> dict[str, str]:
    """Render an export as CSV files, one per table: ``{"morning_checkin.csv": text, ...}``.

    Nested answers become dotted columns (``answers.pain_rest``, ``answers.metrics.vmax_ms``);
    lists become JSON text in their cell. Tables with no rows are left out.
    """
    files: dict[str, str] = {}
    for name, rows in export["tables"].items():
        if not rows:
            continue
        flat_rows = []
        for row in rows:
            flat: dict[str, Any] = {}
            _flatten("", row, flat)
            flat_rows.append(flat)
        columns: list[str] = []
        for flat in flat_rows:
            columns.extend(k for k in flat if k not in columns)
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(flat_rows)
        files[f"{name}.csv"] = buffer.getvalue()
    return files


def delete_athlete(
    session: Session, *, athlete_id: int, actor_id: int | None, now: dt.datetime
) -> dict[str, int]:
    """Delete every row about an athlete, links included; return rows deleted per table.

    Only one audit entry remains: that ``actor_id`` deleted athlete ``athlete_id`` at
    ``now`` (with the row counts, no personal data). All in the caller's transaction.
    """
    now = require_aware("now", now)
    require_person(session, person_id=athlete_id, role="athlete")
    session.flush()
    filters = _athlete_filters(athlete_id)
    deleted: dict[str, int] = {}
    connection = session.connection()
    # Children before parents; the person row (referenced by everything) goes last.
    for table in reversed(metadata.sorted_tables):
        where = filters.get(table)
        if where is None:
            continue
        count = connection.execute(delete(table).where(where)).rowcount
        if count:
            deleted[table.name] = int(count)
    session.expunge_all()
    audit(
        session,
        actor_id=actor_id,
        action="delete",
        athlete_id=athlete_id,
        now=now,
        detail={"deleted_rows": deleted},
    )
    return deleted
