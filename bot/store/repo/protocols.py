"""Protocol versions: publish a new text, read the active one, history, roll back."""

from __future__ import annotations

import datetime as dt
import zlib

from sqlalchemy import func, update
from sqlalchemy import text as sql
from sqlmodel import Session, col, select

from bot.store.models import ProtocolTextReview, ProtocolVersion
from bot.store.repo._common import NotFoundError, StoreError, require_aware
from bot.store.repo.audit import audit

# The first key of the PostgreSQL advisory locks that serialise changes of one protocol's
# versions (the second is the name's CRC-32); the two-key lock space is apart from the others.
_PROTOCOL_LOCK = 0x5B07


def lock_protocol(session: Session, *, name: str) -> None:
    """Take the lock on protocol ``name``'s versions until the transaction ends.

    Whatever publishes a version (a draft, a rollback, a packaged update) takes it before it
    reads the active version, so two replicas never both publish from the same active
    version: the second waits, then reads what the first committed (PostgreSQL's READ
    COMMITTED gives each later statement a fresh snapshot) and finds its draft stale. SQLite
    needs no lock: its writers already queue (``BEGIN IMMEDIATE``)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(name.encode()) - 2**31  # a signed 32-bit integer
    session.execute(
        sql("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": _PROTOCOL_LOCK, "key": key}
    )


def publish_protocol_version(
    session: Session,
    *,
    name: str,
    text: str,
    author_id: int | None,
    now: dt.datetime,
    note: str = "",
    activate: bool = True,
) -> ProtocolVersion:
    """Store ``text`` as the next version of protocol ``name`` (and make it active).

    ``author_id`` None means the system (e.g. seeding from protocols/). Versions count
    1, 2, 3... per name; earlier versions are kept for history and rollback.
    """
    if not name or not text.strip():
        raise StoreError("a protocol version needs a name and a non-empty text")
    now = require_aware("now", now)
    latest = session.exec(
        select(func.max(ProtocolVersion.version)).where(ProtocolVersion.name == name)
    ).one()
    row = ProtocolVersion(
        name=name,
        version=(latest or 0) + 1,
        text=text,
        author_id=author_id,
        note=note,
        created_at=now,
        active=False,
    )
    session.add(row)
    session.flush()
    if activate:
        _make_active(session, row)
    audit(
        session,
        actor_id=author_id,
        action="publish_protocol",
        now=now,
        detail={"name": name, "version": row.version, "active": activate},
    )
    return row


def get_active_protocol(session: Session, *, name: str) -> ProtocolVersion | None:
    """Return the active version of protocol ``name``, or None if none was published."""
    return session.exec(
        select(ProtocolVersion).where(ProtocolVersion.name == name, ProtocolVersion.active == True)  # noqa: E712
    ).first()


def get_protocol_version(session: Session, *, name: str, version: int) -> ProtocolVersion | None:
    """Return one version of a protocol, or None."""
    return session.exec(
        select(ProtocolVersion).where(
            ProtocolVersion.name == name, ProtocolVersion.version == version
        )
    ).first()


def protocol_history(session: Session, *, name: str) -> list[ProtocolVersion]:
    """Return every version of protocol ``name``, newest first."""
    return list(
        session.exec(
            select(ProtocolVersion)
            .where(ProtocolVersion.name == name)
            .order_by(col(ProtocolVersion.version).desc())
        )
    )


def protocol_names(session: Session) -> list[str]:
    """Return the names of every protocol with at least one version."""
    return list(
        session.exec(select(ProtocolVersion.name).distinct().order_by(ProtocolVersion.name))
    )


def activate_protocol_version(
    session: Session, *, name: str, version: int, actor_id: int | None, now: dt.datetime
) -> ProtocolVersion:
    """Make ``version`` the active one of ``name`` (a rollback when it is older)."""
    row = get_protocol_version(session, name=name, version=version)
    if row is None:
        raise NotFoundError(f"protocol {name!r} has no version {version}")
    _make_active(session, row)
    audit(
        session,
        actor_id=actor_id,
        action="activate_protocol",
        now=require_aware("now", now),
        detail={"name": name, "version": version},
    )
    return row


def _make_active(session: Session, row: ProtocolVersion) -> None:
    # Deactivate first: a partial unique index allows one active version per name.
    session.exec(
        update(ProtocolVersion)
        .where(col(ProtocolVersion.name) == row.name, col(ProtocolVersion.id) != row.id)
        .values(active=False)
        .execution_options(synchronize_session="fetch")
    )
    row.active = True
    session.add(row)
    session.flush()


# --- Display texts to review in other languages -----------------------------------------------


def mark_texts_for_review(
    session: Session,
    *,
    name: str,
    version: int,
    texts: list[tuple[str, str]],
    languages: list[str],
    now: dt.datetime,
) -> list[ProtocolTextReview]:
    """Record that the (location, English text) pairs of ``name`` v``version`` need a review
    of their translation in ``languages``; return the rows (none when either list is empty)."""
    now = require_aware("now", now)
    if not languages:
        return []
    rows = [
        ProtocolTextReview(
            protocol_name=name,
            version=version,
            location=location[:200],
            text=text,
            languages=",".join(languages),
            created_at=now,
        )
        for location, text in texts
    ]
    session.add_all(rows)
    session.flush()
    return rows


def texts_for_review(session: Session, *, name: str) -> list[ProtocolTextReview]:
    """Return every recorded display text of ``name`` to review, oldest first."""
    return list(
        session.exec(
            select(ProtocolTextReview)
            .where(ProtocolTextReview.protocol_name == name)
            .order_by(col(ProtocolTextReview.id))
        )
    )
