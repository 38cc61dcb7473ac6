"""Data rights: export everything stored about one athlete, and delete it for good.

"Everything about an athlete" is found from the schema itself: every row whose foreign key
points at the athlete, and every row pointing at such a row (a stage change of their
programme, an alert on their decision), plus messages queued to their chat and audit
entries about them. A table added later is covered without touching this module.

The export holds the athlete's own data only: messages sent to them (not the alert messages
about them in their clinicians' chats), their own audit entries in full and, of the entries
others made about them, what was done and when (never who, nor any detail). A deletion
removes every row about them and replaces their name in any message that remains (a digest,
a notice to someone else) by their number; the deletion's audit entry keeps counts, no name.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, or_, select, update
from sqlmodel import Session

from bot.store.models import Person, metadata
from bot.store.repo._common import require_aware
from bot.store.repo.audit import audit
from bot.store.repo.people import require_person

EXPORT_FORMAT = "sprintback-athlete-export"
EXPORT_VERSION = 2
_AUDIT = "audit_log"
# Rows about the athlete that are not theirs to take away: which buttons their clinicians
# pressed (deleted with the athlete all the same).
# Workflow state, not a record about the athlete: a button's press, a clinician's step
# waiting for its second part (a note not yet confirmed is the clinician's draft).
_NOT_EXPORTED = frozenset({"used_button", "pending_step"})
# Of an audit entry made by someone else about the athlete, only these are exported.
_OTHERS_AUDIT_COLUMNS = ("id", "action", "athlete_id", "at")


_INBOX = "inbox_update"


def _athlete_filters(athlete_id: int, chat_ids: Sequence[int]) -> dict[Table, ColumnElement[bool]]:
    """Map each table holding rows about the athlete to a WHERE clause selecting them.

    ``chat_ids``: the athlete's chats (their stored chat and their Telegram id), given as
    values: a subquery on the person row would find nothing once that row is deleted, and
    the tables holding chats (the inbox of raw updates) come after it in deletion order."""
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
        if "chat_id" in table.c and table.name != "person" and chat_ids:
            # Messages to or from the athlete's chat, even when not tagged with their id.
            chat: ColumnElement[bool] = table.c.chat_id.in_(list(chat_ids))
            if table.name == _INBOX:
                # Only updates already handled: the one being handled (this /delete) must stay
                # until it is done, so a redelivery of it is still recognised, and one still
                # waiting is handled first (its raw data is cleared once it is).
                chat = and_(chat, table.c.status == "done")
            conditions.append(chat)
        if conditions:
            filters[table] = or_(*conditions)
    audit_table = metadata.tables[_AUDIT]
    filters[audit_table] = or_(
        audit_table.c.athlete_id == athlete_id, audit_table.c.actor_id == athlete_id
    )
    return filters


def _chats_of(person: Person) -> list[int]:
    """The chats a person's messages go to and come from."""
    return sorted({c for c in (person.chat_id, person.telegram_user_id) if c is not None})


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
    athlete = require_person(session, person_id=athlete_id, role="athlete")
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, where in _athlete_filters(athlete_id, _chats_of(athlete)).items():
        if table.name in _NOT_EXPORTED:
            continue
        if "chat_id" in table.c and table.name != "person":
            # Messages: those sent to the athlete, not those about them to someone else.
            mine = [table.c.chat_id == (athlete.chat_id or athlete.telegram_user_id)]
            if "person_id" in table.c:
                mine.append(table.c.person_id == athlete_id)
            where = or_(*mine)
        rows = session.connection().execute(
            select(table).where(where).order_by(*table.primary_key.columns)
        )
        tables[table.name] = [
            _own_part(table.name, {k: _json_value(v) for k, v in row._mapping.items()}, athlete_id)
            for row in rows
        ]
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


def _own_part(table: str, row: dict[str, Any], athlete_id: int) -> dict[str, Any]:
    """Return what of ``row`` is the athlete's: all of it, except for an audit entry someone
    else made (then only what was done about them, and when)."""
    if table != _AUDIT or row.get("actor_id") == athlete_id:
        return row
    return {key: row[key] for key in _OTHERS_AUDIT_COLUMNS}


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
    ``now`` (with the row counts, no personal data); their name is replaced by their number
    in any message left in the outbox. All in the caller's transaction.
    """
    now = require_aware("now", now)
    athlete = require_person(session, person_id=athlete_id, role="athlete")
    name = athlete.display_name
    session.flush()
    filters = _athlete_filters(athlete_id, _chats_of(athlete))
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
    redacted = _redact_name(session, name, f"athlete #{athlete_id}")
    session.expunge_all()
    audit(
        session,
        actor_id=actor_id,
        action="delete",
        athlete_id=athlete_id,
        now=now,
        detail={"deleted_rows": deleted, "redacted_messages": redacted},
    )
    return deleted


# Where a name is shown cut short (characters kept, with the ellipsis): the digest and charts.
_NAME_CUTS = (80, 60)


def _redact_name(session: Session, name: str, replacement: str) -> int:
    """Replace ``name`` (as a whole word) by ``replacement`` in every message left in the
    outbox (a digest listing several athletes, a notice to someone else); return how many
    messages changed."""
    if len(name.strip()) < 2:
        return 0
    outbox = metadata.tables["outbox"]
    # A long name may be written cut short, with an ellipsis (the digest keeps 80 characters).
    forms = [name, *(name[: limit - 1] + "…" for limit in _NAME_CUTS if len(name) > limit)]
    head = name[:20]
    escaped = head.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    alternatives = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
    connection = session.connection()
    candidates = connection.execute(
        select(outbox.c.id, outbox.c.text).where(outbox.c.text.like(f"%{escaped}%", escape="\\"))
    ).all()
    changed = 0
    for row_id, text in candidates:
        new_text = pattern.sub(replacement, text)
        if new_text != text:
            connection.execute(update(outbox).where(outbox.c.id == row_id).values(text=new_text))
            changed += 1
    return changed
