"""Data rights: export everything stored about one athlete, and delete it for good.

"Everything about an athlete" is found from the schema itself: every row whose foreign key
points at the athlete, and every row pointing at such a row (a stage change of their
programme, an alert on their decision), plus messages queued to their chat and audit
entries about them. A table added later is covered without touching this module.

The export holds the athlete's own data only: messages sent to them (not the alert messages
about them in their clinicians' chats), their own audit entries in full (said to be done by
"you") and, of the entries others made about them, what was done, when and by which clinician
or admin (nor any detail but the note of a review a later warning sign voided, which no other
row keeps; an entry made by the system or by anyone else names nobody). Where a row names a
clinician or an admin by number (their link, a note's author, who acknowledged an alert or
moved their stage, the clinician they unlinked, who made an audit entry about them), their name
and role stand beside it. It is written to be read: the engine's state as data (not JSON text),
a message's buttons as their labels (not the keys they send back), none of the delivery
machinery's bookkeeping (which names servers). A deletion removes every row about them (every
message about them included) and replaces their name by their number in the digests of the
clinicians they were linked to, and nowhere else: another athlete's message or digest line is
never rewritten. The deletion's audit entry keeps counts, no name; the /delete update's own
inbox row keeps its update id, not their chat (so does, once handled, an update of theirs that
waited on another replica), and its replies (the farewell) go once Telegram
took them, also when sent again after a crash (:func:`forget_replies_to_nobody`). In the CSV
export, text a spreadsheet would run as a formula is made inert.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, Table, and_, cast, delete, or_, select, update
from sqlmodel import Session, col

from bot.store.models import DIGEST_KIND, REPLY_KIND, Person, metadata
from bot.store.repo._common import StoreError, require_aware
from bot.store.repo.audit import audit
from bot.store.repo.people import require_person
from bot.support.i18n import _

EXPORT_FORMAT = "sprintback-athlete-export"
# 3: the engine's state as data (not JSON text), keyboards as their labels, no delivery
# bookkeeping, the note of a voided review. Since added, without a new version (a reader of
# version 3 reads them as before): the name and role of each clinician or admin a row names by
# number, in fields beside the number (``clinician_name``, ``clinician_role``); who made each
# audit entry about them (``actor_id``, ``actor_name``, ``actor_role``; ``actor_name`` "you" on
# their own).
EXPORT_VERSION = 3
_AUDIT = "audit_log"
# Rows about the athlete that are not theirs to take away: which buttons their clinicians
# pressed (deleted with the athlete all the same).
# Workflow state, not a record about the athlete: a button's press, a clinician's step
# waiting for its second part (a note not yet confirmed is the clinician's draft).
_NOT_EXPORTED = frozenset({"used_button", "pending_step"})
# Of an audit entry made by someone else about the athlete, only these are exported; its
# ``actor_id`` only when that is a clinician or an admin (named beside it, as everywhere).
_OTHERS_AUDIT_COLUMNS = ("id", "actor_id", "action", "athlete_id", "at")
# ... and, of a few such entries, the part of the detail that is about the athlete and kept
# nowhere else: a review voided by a later warning sign is deleted, so its entry alone holds
# the clinician's note about them (never whom else it went to; the entry itself is the
# system's).
_OTHERS_AUDIT_DETAIL: dict[str, tuple[str, ...]] = {
    "void_review": ("review_for", "note", "reason"),
}


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
                # waiting (on another replica) is handled after it, as a stranger's: once done,
                # its row keeps neither its raw data nor the chat (``repo.inbox.mark_done``).
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


# The delivery machinery's bookkeeping (which process holds a row, until when): nothing about
# the athlete, and it names the servers. Left out of the export.
_MACHINERY_COLUMNS = frozenset({"claimed_by", "claimed_at", "processed_by", "lease_until"})


def _buttons(markup: Any) -> Any:
    """Return a message's keyboard as the athlete saw it: rows of button labels (with the
    address of a link button), without the internal key each button sends back."""
    if not isinstance(markup, dict):
        return markup
    rows = markup.get("inline_keyboard") or markup.get("keyboard")
    if not isinstance(rows, list):
        return None
    shown: list[list[str]] = []
    for row in rows:
        labels: list[str] = []
        for button in row if isinstance(row, list) else []:
            if isinstance(button, str):
                labels.append(button)
            elif isinstance(button, dict):
                label = str(button.get("text", ""))
                url = button.get("url")
                labels.append(f"{label} ({url})" if isinstance(url, str) and url else label)
        shown.append(labels)
    return shown


def _parsed(value: Any) -> Any:
    """Return JSON text stored in a column (the engine's state) as the data it holds."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _readable(mapping: Any) -> dict[str, Any]:
    """Return a stored row as the export shows it: instants and dates as ISO 8601 text, JSON
    text as the data it holds, a keyboard as its labels, the machinery's columns left out."""
    row: dict[str, Any] = {}
    for key, value in mapping.items():
        if key in _MACHINERY_COLUMNS:
            continue
        if key == "reply_markup":
            value = _buttons(value)
        elif key == "state_json":
            value = _parsed(value)
        row[key] = _json_value(value)
    return row


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
    # What they were refused before they signed up (audited by their Telegram id, no person
    # yet): theirs, as the deletion takes it.
    refusals = _refusals_of(session, _chats_of(athlete))
    staff = _staff_actors(session, athlete_id)
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, where in _athlete_filters(athlete_id, _chats_of(athlete)).items():
        if table.name in _NOT_EXPORTED:
            continue
        if table.name == _AUDIT and refusals:
            where = or_(where, table.c.id.in_(refusals))
        if "chat_id" in table.c and table.name != "person":
            # Messages: those sent to the athlete, not those about them to someone else.
            mine = [table.c.chat_id == athlete.reply_chat]
            if "person_id" in table.c:
                mine.append(table.c.person_id == athlete_id)
            where = or_(*mine)
        rows = session.connection().execute(
            select(table).where(where).order_by(*table.primary_key.columns)
        )
        tables[table.name] = [
            _own_part(table.name, _readable(row._mapping), athlete_id, refusals, staff)
            for row in rows
        ]
    _name_staff(session, tables, athlete_id)
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


def _own_part(
    table: str,
    row: dict[str, Any],
    athlete_id: int,
    own: Sequence[int] = (),
    staff: frozenset[int] = frozenset(),
) -> dict[str, Any]:
    """Return what of ``row`` is the athlete's: all of it (an audit entry of theirs said to be
    done by "you"), except for an audit entry someone else made (then only what was done about
    them, when, and by whom if one of ``staff`` did it and was not refused, with the part of
    the detail :data:`_OTHERS_AUDIT_DETAIL` names). ``own``: audit entries of theirs made
    before they had a person row (a refusal before they signed up)."""
    if table != _AUDIT:
        return row
    if row.get("actor_id") == athlete_id or row.get("id") in own:
        yours: dict[str, Any] = {}
        for key, value in row.items():
            yours[key] = value
            if key == "actor_id":
                # Who did it, in the athlete's language: themselves.
                # TRANSLATORS: in the athlete's data export, who made an entry of their
                # record when they made it themselves (informal: tú, você, toi, du).
                yours["actor_name"] = _("you")
        return yours
    # A refusal names nobody: nothing of the athlete's was shown, and naming a clinician who
    # is not theirs (a mistyped number, a colleague's athlete) would tell their name instead.
    named = row.get("actor_id") in staff and row.get("action") != "refused"
    part = {key: row[key] for key in _OTHERS_AUDIT_COLUMNS if key != "actor_id" or named}
    keys = _OTHERS_AUDIT_DETAIL.get(str(row.get("action")))
    detail = row.get("detail")
    if keys and isinstance(detail, dict):
        part["detail"] = {key: detail[key] for key in keys if key in detail}
    return part


# Where an exported row names someone by number: its columns with a foreign key to the person
# table, and the clinician an athlete's own (un)link entry names in its detail.
_DETAIL_PEOPLE = ("clinician_id",)
# Whom the export names beside their number: the staff who saw or acted on the athlete's data
# (never another athlete).
_NAMED_ROLES = ("clinician", "admin")


def _staff_actors(session: Session, athlete_id: int) -> frozenset[int]:
    """Return the clinicians and admins who made an audit entry about the athlete (the entries
    that name who made them)."""
    person, table = metadata.tables["person"], metadata.tables[_AUDIT]
    actors = select(table.c.actor_id).where(table.c.athlete_id == athlete_id)
    rows = session.connection().execute(
        select(person.c.id).where(person.c.id.in_(actors), person.c.role.in_(_NAMED_ROLES))
    )
    return frozenset(person_id for (person_id,) in rows)


def _person_columns() -> dict[str, list[str]]:
    """Map each table to its columns holding a person's number (foreign keys to person, and
    who made an audit entry, which has no foreign key: it outlives a deleted athlete)."""
    columns = {
        table.name: [
            fk.parent.name for fk in table.foreign_keys if fk.column.table.name == "person"
        ]
        for table in metadata.sorted_tables
    }
    columns[_AUDIT] = [*columns.get(_AUDIT, []), "actor_id"]
    return columns


def _stem(column: str) -> str:
    """The name the added fields start with: "clinician_id" → "clinician", "acknowledged_by"
    stays as it is."""
    return column.removesuffix("_id")


def _name_staff(session: Session, tables: dict[str, list[dict[str, Any]]], athlete_id: int) -> None:
    """Add, beside every number of a clinician or admin in the export's rows, their display
    name and role (``clinician_id`` → ``clinician_name``, ``clinician_role``), so the athlete
    reads who their data was shared with and who acted on their programme. Numbers of anyone
    else (the athlete, another athlete, someone no longer stored) get nothing added."""
    columns = _person_columns()
    wanted: set[int] = set()
    for name, rows in tables.items():
        for row in rows:
            detail = row.get("detail") if name == _AUDIT else None
            found = [row.get(c) for c in columns.get(name, ())]
            if isinstance(detail, dict):
                found += [detail.get(key) for key in _DETAIL_PEOPLE]
            wanted.update(value for value in found if isinstance(value, int))
    wanted.discard(athlete_id)
    if not wanted:
        return
    person = metadata.tables["person"]
    staff = {
        person_id: (display_name, role)
        for person_id, display_name, role in session.connection().execute(
            select(person.c.id, person.c.display_name, person.c.role).where(
                person.c.id.in_(sorted(wanted)), person.c.role.in_(_NAMED_ROLES)
            )
        )
    }
    if not staff:
        return
    for name, rows in tables.items():
        for index, row in enumerate(rows):
            rows[index] = _with_names(row, columns.get(name, ()), staff)
            detail = row.get("detail") if name == _AUDIT else None
            if isinstance(detail, dict):
                rows[index]["detail"] = _with_names(detail, _DETAIL_PEOPLE, staff)


def _with_names(
    row: dict[str, Any], columns: Sequence[str], staff: dict[int, tuple[str, str]]
) -> dict[str, Any]:
    """Return ``row`` with ``<stem>_name`` and ``<stem>_role`` right after each of its
    ``columns`` that holds a number of ``staff``; a field of that name already there stays."""
    named: dict[str, Any] = {}
    for key, value in row.items():
        named[key] = value
        if key not in columns or not isinstance(value, int) or value not in staff:
            continue
        display_name, role = staff[value]
        for field, shown in ((f"{_stem(key)}_name", display_name), (f"{_stem(key)}_role", role)):
            if field not in row:
                named[field] = shown
    return named


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


# What a spreadsheet reads as the start of a formula (or, tab and carriage return, what lets
# one through): such a cell is written with a leading apostrophe, which the spreadsheet shows
# as text and does not display.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(value: Any) -> Any:
    """Return ``value`` as a CSV cell a spreadsheet cannot run: text that starts like a
    formula (``=HYPERLINK(...)`` typed in a note by anyone) gets a leading "'"; numbers and
    any other value stay as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def export_csv(export: dict[str, Any]) -> dict[str, str]:
    """Render an export as CSV files, one per table: ``{"morning_checkin.csv": text, ...}``.

    Nested answers become dotted columns (``answers.pain_rest``, ``answers.metrics.vmax_ms``);
    lists become JSON text in their cell. Text that a spreadsheet would run as a formula is
    made inert (:func:`_inert`). Tables with no rows are left out.
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
        writer.writerows({k: _inert(v) for k, v in flat.items()} for flat in flat_rows)
        files[f"{name}.csv"] = buffer.getvalue()
    return files


def delete_athlete(
    session: Session, *, athlete_id: int, actor_id: int | None, now: dt.datetime
) -> dict[str, int]:
    """Delete every row about an athlete, links included; return rows deleted per table.

    Only one audit entry remains: that ``actor_id`` deleted athlete ``athlete_id`` at
    ``now`` (with the row counts, no personal data); their name is replaced by their number
    in the digests of their clinicians (:func:`_redact_name`); their updates already handled
    lose their chat (:func:`_unchain_handled_updates`). All in the caller's transaction.
    """
    now = require_aware("now", now)
    # Lock the person row first: a transaction on another replica that is writing a row about
    # the athlete (a prompt, an alert) holds a key-share lock on it, so the deletion waits for
    # it to commit and then deletes its rows too; one that starts later waits for the deletion
    # and fails on the missing person instead of making the deletion fail.
    session.execute(select(col(Person.id)).where(col(Person.id) == athlete_id).with_for_update())
    athlete = require_person(session, person_id=athlete_id, role="athlete")
    name = athlete.display_name
    session.flush()
    # Read before the links go: whose digests name the athlete, and who else they list.
    digests = _digest_readers(session, athlete_id)
    filters = _athlete_filters(athlete_id, _chats_of(athlete))
    refusals = _refusals_of(session, _chats_of(athlete))
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
    if refusals:
        audit_table = metadata.tables[_AUDIT]
        connection.execute(delete(audit_table).where(audit_table.c.id.in_(refusals)))
        deleted[_AUDIT] = deleted.get(_AUDIT, 0) + len(refusals)
    _unchain_handled_updates(session, _chats_of(athlete))
    redacted = _redact_name(session, athlete_id, name, digests)
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


def _unchain_handled_updates(session: Session, chats: Sequence[int]) -> None:
    """Take the athlete's chat off the updates of theirs already handled but not done (this
    /delete itself: its effects commit with the deletion, its farewell is on its way): kept
    two days as the guard against a redelivery, the row needs its update id only. Updates of
    theirs still waiting keep their chat, so they are handled after the deletion, in order;
    they lose it when done, as every done update of a chat no person has
    (``repo.inbox.mark_done``)."""
    if not chats:
        return
    inbox = metadata.tables[_INBOX]
    session.connection().execute(
        update(inbox)
        .where(inbox.c.chat_id.in_(list(chats)), inbox.c.status == "processed")
        .values(chat_id=0)
    )


def forget_replies_to_nobody(session: Session, *, outbox_ids: Sequence[int]) -> int:
    """Delete, of the rows ``outbox_ids`` just recorded as sent, the replies to a chat no
    person has (someone who deleted their data: the farewell, sent right after the /delete or
    again after a crash; or a stranger's chat: a refusal), in the caller's transaction:
    nobody is there to keep the row for, and it holds the chat of someone who left or never
    joined. Return how many went."""
    if not outbox_ids:
        return 0
    outbox, person = metadata.tables["outbox"], metadata.tables["person"]
    someone = select(person.c.id).where(
        or_(person.c.telegram_user_id == outbox.c.chat_id, person.c.chat_id == outbox.c.chat_id)
    )
    result = session.connection().execute(
        delete(outbox).where(
            outbox.c.id.in_(sorted(outbox_ids)),
            outbox.c.status == "sent",
            outbox.c.kind == REPLY_KIND,
            outbox.c.person_id.is_(None),
            ~someone.exists(),
        )
    )
    return int(result.rowcount)


# Where a name is shown cut short (characters kept, with the ellipsis): the digest and charts.
_NAME_CUTS = (80, 60)


@dataclass(frozen=True)
class _DigestReaders:
    """The clinicians linked to an athlete about to be deleted: their digests list the
    athlete. ``others``: per clinician, the names of their other athletes; ``chats``: the
    clinician of each of their chats (a digest is found by its reader or by its chat)."""

    others: dict[int, list[str]]
    chats: dict[int, int]

    def of(self, person_id: int | None, chat_id: int) -> list[str]:
        """The other athletes of the clinician a digest row is for."""
        reader = person_id if person_id in self.others else self.chats.get(chat_id)
        return self.others.get(reader or 0, [])


def _refusals_of(session: Session, chats: Sequence[int]) -> list[int]:
    """Return the ids of the audit entries of refusals made before the person signed up (no
    actor yet): they hold the Telegram id they came from."""
    if not chats:
        return []
    table = metadata.tables[_AUDIT]
    rows = session.connection().execute(
        select(table.c.id, table.c.detail).where(
            table.c.actor_id.is_(None), table.c.action.in_(("refused", "invite_refused"))
        )
    )
    wanted = set(chats)
    return [row_id for row_id, detail in rows if (detail or {}).get("telegram_id") in wanted]


def _former_clinicians(session: Session, athlete_id: int) -> set[int]:
    """Return the clinicians the athlete unlinked (their audit entries say who)."""
    table = metadata.tables[_AUDIT]
    rows = session.connection().execute(
        select(table.c.detail).where(table.c.athlete_id == athlete_id, table.c.action == "unlink")
    )
    found = {(detail or {}).get("clinician_id") for (detail,) in rows}
    return {c for c in found if isinstance(c, int)}


def _digest_readers(session: Session, athlete_id: int) -> _DigestReaders:
    """Return the clinicians linked to the athlete, and those they unlinked (a digest of
    theirs may still name them), with their chats and other athletes."""
    link, person = metadata.tables["link"], metadata.tables["person"]
    current = {
        row[0]
        for row in session.connection().execute(
            select(link.c.clinician_id).where(link.c.athlete_id == athlete_id)
        )
    }
    clinicians = sorted(current | _former_clinicians(session, athlete_id))
    connection = session.connection()
    rows = connection.execute(
        select(link.c.clinician_id, person.c.id, person.c.display_name)
        .join(person, person.c.id == link.c.athlete_id)
        .where(link.c.clinician_id.in_(clinicians))
    )
    others: dict[int, list[str]] = {c: [] for c in clinicians}
    for clinician_id, other_id, other_name in rows:
        names = others.setdefault(clinician_id, [])
        if other_id != athlete_id and other_name:
            names.append(other_name)
    chats: dict[int, int] = {}
    for clinician_id, chat_id, telegram_id in connection.execute(
        select(person.c.id, person.c.chat_id, person.c.telegram_user_id).where(
            person.c.id.in_(clinicians)
        )
    ):
        for chat in (chat_id, telegram_id):
            if chat is not None:
                chats[chat] = clinician_id
    return _DigestReaders(others, chats)


# What stands before an athlete's name at the start of a digest's line about them.
_BADGE_SEPARATOR = r"(?<=· )"


def _name_forms(name: str) -> list[str]:
    """The ways ``name`` is written in a message: whole, or cut short with an ellipsis (the
    digest keeps 80 characters, charts 60), longest first."""
    cuts = [name[: limit - 1] + "…" for limit in _NAME_CUTS if len(name) > limit]
    return sorted({name, *cuts}, key=len, reverse=True)


def _name_pattern(name: str, others: list[str]) -> re.Pattern[str]:
    """A pattern for the athlete's ``name`` as a whole word in a digest: group ``number``
    holds the number of a numbered form ("Anna (#2)": a clash, whose number says whose it
    is), group ``other`` another athlete's name that begins with it ("Anna Smith", left as
    it is), group ``plain`` the name alone."""
    forms = "|".join(re.escape(form) for form in _name_forms(name))
    longer = sorted(
        {form for other in others if other != name for form in _name_forms(other)},
        key=len,
        reverse=True,
    )
    covering = [re.escape(form) for form in longer if name in form]
    other = f"(?P<other>{'|'.join(covering)})|" if covering else ""
    # A one-letter name ("J", "李") is replaced only where the digest names an athlete, after
    # the urgency badge ("🟠 REVIEW · 李: ..."): the same letter is common elsewhere.
    badge = _BADGE_SEPARATOR if len(name.strip()) < 2 else ""
    return re.compile(
        rf"{badge}(?<!\w)(?:(?:{forms}) \(#(?P<number>\d+)\)|{other}(?P<plain>{forms}))(?!\w)"
    )


def _redact_name(session: Session, athlete_id: int, name: str, digests: _DigestReaders) -> int:
    """Replace the deleted athlete's ``name`` by "athlete #<id>" in the digests of the
    clinicians who were linked to them (``digests``), the only messages left that name them
    (every message about them went with their data); return how many messages changed.

    Another athlete's line is never touched: where two athletes of a digest share the name,
    each line carries the number ("Anna (#2)") and only the deleted athlete's is replaced;
    a longer name that begins with theirs ("Anna Smith") stays whole."""
    if not name.strip() or not digests.others:
        return 0
    outbox = metadata.tables["outbox"]
    head = name[:20]
    escaped = head.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    connection = session.connection()
    candidates = connection.execute(
        select(outbox.c.id, outbox.c.person_id, outbox.c.chat_id, outbox.c.text).where(
            outbox.c.kind == DIGEST_KIND,
            or_(
                outbox.c.person_id.in_(sorted(digests.others)),
                outbox.c.chat_id.in_(sorted(digests.chats)),
            ),
            outbox.c.text.like(f"%{escaped}%", escape="\\"),
        )
    ).all()
    replacement = f"athlete #{athlete_id}"

    def redact(match: re.Match[str]) -> str:
        number = match.group("number")
        if match.group("plain") is not None or (number and int(number) == athlete_id):
            return replacement
        return match.group(0)

    changed = 0
    for row_id, reader, chat_id, text in candidates:
        new_text = _name_pattern(name, digests.of(reader, chat_id)).sub(redact, text)
        if new_text != text:
            connection.execute(update(outbox).where(outbox.c.id == row_id).values(text=new_text))
            changed += 1
    return changed


# --- A clinician's or admin's own record ------------------------------------------------------

# Where an audit entry's detail holds a Telegram id or chat (of whoever acted, was refused,
# granted or lost admin rights).
_CHAT_KEYS = frozenset({"telegram_id", "telegram_user_id", "chat_id", "chat"})
# Keys whose value is a list of chats (an alert's hand-over: who it was sent to).
_CHAT_LIST_KEYS = frozenset({"recipients"})
_STAFF_ROLES = ("clinician", "admin")


def forget_staff(session: Session, *, person_id: int, now: dt.datetime) -> dict[str, int]:
    """Remove what identifies a clinician or admin who deleted their own record (their name,
    chat, Telegram account, language, time zone), in the caller's transaction; return what
    went or changed per table.

    The person row stays, nameless and out of reach: protocol versions, invites, notes,
    clinician actions and alert acknowledgements they made point at it, and those records
    (an athlete's above all) must keep saying that a clinician or an admin, now a number, did
    them. Their Telegram id is replaced by a negative number no Telegram user has, so a later
    message from them comes from a stranger. As for a deleted athlete
    (:func:`delete_athlete`): every message to their chats goes, sent, failed or still
    waiting (nobody is there to read it; a waiting one is never sent), with their steps in two
    parts, their updates already handled and their refusals from before they had a record;
    the update being handled loses their chat (:func:`_unchain_handled_updates`). Audit
    entries about what they did or were granted stay, without their Telegram id (the person
    number stays); invitations of theirs not used yet stop working."""
    now = require_aware("now", now)
    session.execute(select(col(Person.id)).where(col(Person.id) == person_id).with_for_update())
    person = require_person(session, person_id=person_id)
    if person.role not in _STAFF_ROLES:
        raise StoreError(f"person {person_id} is an athlete: their data goes with delete_athlete")
    chats = _chats_of(person)
    session.flush()
    connection = session.connection()
    changed: dict[str, int] = {}

    def count(name: str, rows: int) -> None:
        if rows:
            changed[name] = changed.get(name, 0) + int(rows)

    tables = metadata.tables
    outbox, inbox, steps = tables["outbox"], tables[_INBOX], tables["pending_step"]
    prompts, invite = tables["scheduled_prompt"], tables["invite"]
    to_them = [outbox.c.person_id == person_id]
    if chats:
        to_them.append(outbox.c.chat_id.in_(chats))
        count(
            "pending_step",
            connection.execute(delete(steps).where(steps.c.telegram_user_id.in_(chats))).rowcount,
        )
        count(
            _INBOX,
            connection.execute(
                delete(inbox).where(inbox.c.chat_id.in_(chats), inbox.c.status == "done")
            ).rowcount,
        )
    count("outbox", connection.execute(delete(outbox).where(or_(*to_them))).rowcount)
    count(
        "scheduled_prompt",
        connection.execute(delete(prompts).where(prompts.c.athlete_id == person_id)).rowcount,
    )
    count(
        "invite",
        connection.execute(
            update(invite)
            .where(
                invite.c.created_by == person_id,
                invite.c.used_at.is_(None),
                invite.c.expires_at > now,
            )
            .values(expires_at=now)
        ).rowcount,
    )
    refusals = _refusals_of(session, chats)
    if refusals:
        audit_table = tables[_AUDIT]
        connection.execute(delete(audit_table).where(audit_table.c.id.in_(refusals)))
        count(_AUDIT, len(refusals))
    count("audit_detail", _drop_chats_from_audit(session, chats))
    _unchain_handled_updates(session, chats)
    person.telegram_user_id = -person_id
    person.chat_id = None
    person.display_name = ""
    person.language = "en"
    person.language_chosen = False
    person.timezone = "UTC"
    person.checkin_time = None
    person.session_end_time = None
    person.paused = False
    person.unreachable = False
    session.add(person)
    session.flush()
    audit(
        session,
        actor_id=person_id,
        action="delete_staff_record",
        now=now,
        detail={"person_id": person_id, "role": person.role, "changed_rows": dict(changed)},
    )
    return changed


def _without_chats(value: Any, chats: frozenset[int]) -> Any:
    """Return ``value`` (an audit entry's detail) without the Telegram ids or chats in
    ``chats`` under the keys that hold one (:data:`_CHAT_KEYS`) or a list of them
    (:data:`_CHAT_LIST_KEYS`), at any depth."""
    if isinstance(value, dict):
        return {
            key: (
                [c for c in inner if not (isinstance(c, int) and c in chats)]
                if key in _CHAT_LIST_KEYS and isinstance(inner, list)
                else _without_chats(inner, chats)
            )
            for key, inner in value.items()
            if not (key in _CHAT_KEYS and isinstance(inner, int) and inner in chats)
        }
    if isinstance(value, list):
        return [_without_chats(inner, chats) for inner in value]
    return value


def _drop_chats_from_audit(session: Session, chats: Sequence[int]) -> int:
    """Take the Telegram ids and chats ``chats`` out of every audit entry's detail (the entry
    stays: what was done, when, by which person number); return how many changed."""
    if not chats:
        return 0
    table = metadata.tables[_AUDIT]
    connection = session.connection()
    as_text = cast(table.c.detail, String)
    rows = connection.execute(
        select(table.c.id, table.c.detail).where(
            or_(*(as_text.like(f"%{abs(chat)}%") for chat in chats))
        )
    ).all()
    wanted = frozenset(chats)
    changed = 0
    for row_id, detail in rows:
        kept = _without_chats(detail, wanted)
        if kept != detail:
            connection.execute(update(table).where(table.c.id == row_id).values(detail=kept))
            changed += 1
    return changed
