"""Engines, sessions and schema migrations.

``DATABASE_URL`` picks the database: a SQLite file by default (``sqlite:///sprintback.sqlite3``),
PostgreSQL through psycopg 3 in production (``postgresql+psycopg://user@host/db``).

Use one ``session_scope`` per Telegram update or scheduler job: it is the transaction, so
an answer, the decision it causes and the messages it triggers commit together or not at all.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import struct
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlmodel import Session, create_engine

from bot.store.models import metadata

R = TypeVar("R")
# The default of DATABASE_URL in bot.settings (what `sprintback run` opens).
DEFAULT_DATABASE_URL = "sqlite:///sprintback.sqlite3"
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_CACHE_KIB = 32 * 1024
# Reads through a memory map up to 2 GiB of the file (SQLite's usual ceiling).
SQLITE_MMAP_BYTES = 2 * 1024 * 1024 * 1024
# A pooled PostgreSQL connection idle for longer than this is pinged before it is handed out;
# one used moments ago is not, which spares a round trip on every busy-time transaction.
IDLE_PING_SECONDS = 10.0
# Connections older than this are replaced, before any server or proxy idle timeout.
POOL_RECYCLE_SECONDS = 30 * 60
# A PostgreSQL server that does not answer fails the connection after this many seconds
# (libpq's connect_timeout; a ``?connect_timeout=N`` in DATABASE_URL overrides it), so start-up
# against an unreachable database stops in seconds instead of hanging.
CONNECT_TIMEOUT_SECONDS = 5

# PostgreSQL limits on every bot connection (milliseconds). A row lock held longer than
# LOCK_TIMEOUT_MS (another process answering the same athlete) fails the statement instead of
# waiting: the update is tried again a moment later (bot.inbox), and nobody else waits on it.
# A runaway statement is cut at STATEMENT_TIMEOUT_MS; a transaction left open by a process
# that hangs is ended by the server after IDLE_IN_TRANSACTION_MS, releasing its locks.
# Migrations run without them (building an index on a big table may take minutes).
LOCK_TIMEOUT_MS = 3_000
STATEMENT_TIMEOUT_MS = 20_000
IDLE_IN_TRANSACTION_MS = 60_000
_LAST_CHECKIN = "sprintback_last_checkin"
# Marks a read-only scope on SQLite: its transaction starts DEFERRED instead of IMMEDIATE.
_READ_ONLY = "sprintback_read_only"


class SchemaError(RuntimeError):
    """The database schema does not match what the code expects."""


class ReadOnlyError(RuntimeError):
    """Something tried to write inside a ``session_scope(..., read_only=True)``."""


def database_url(explicit: str | None = None) -> str:
    """Return the database URL: ``explicit`` if given, else ``DATABASE_URL``, else SQLite."""
    return explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def safe_url(url: str) -> str:
    """Return ``url`` with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable database URL>"


def make_engine(url: str, *, timeouts: bool = True, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with the settings Sprintback relies on.

    SQLite: WAL journal, a busy timeout, foreign keys on, and every write transaction started
    with ``BEGIN IMMEDIATE`` so two writers queue instead of failing half-way.
    PostgreSQL: psycopg 3 (a bare ``postgresql://`` URL is switched to it), a connection
    attempt gives up after ``CONNECT_TIMEOUT_SECONDS`` unless the URL sets one; a pooled
    connection idle for over ``IDLE_PING_SECONDS`` is pinged before use and replaced if dead,
    connections are recycled after ``POOL_RECYCLE_SECONDS``; with ``timeouts`` (not for
    migrations) each connection has the lock, statement and idle-transaction limits above.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        kwargs.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
        if "connect_timeout" not in parsed.query:
            connect_args = kwargs.setdefault("connect_args", {})
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        if timeouts:
            options = (
                f"-c lock_timeout={LOCK_TIMEOUT_MS} -c statement_timeout={STATEMENT_TIMEOUT_MS} "
                f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}"
            )
            kwargs.setdefault("connect_args", {}).setdefault("options", options)
        engine = create_engine(parsed, **kwargs)
        _ping_after_idle(engine)
        return engine
    if parsed.get_backend_name() != "sqlite":
        raise ValueError(
            f"unsupported database URL {parsed.render_as_string(hide_password=True)!r}: "
            "use sqlite:///path.db or postgresql+psycopg://user@host/db"
        )
    engine = create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, **kwargs
    )
    _configure_sqlite(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    """Ping a pooled connection on checkout only when it sat idle, not before every use.

    A connection that was checked in moments ago is almost surely alive; one that sat idle
    may have been cut by a server restart or a network drop, so it is pinged, and a failed
    ping invalidates the whole pool (every older connection is likely dead too) and the
    pool connects afresh. A disconnect in the middle of a transaction still fails that
    transaction, as with pre-ping, and SQLAlchemy then invalidates the pool.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: DBAPIConnection | None, record: ConnectionPoolEntry) -> None:
        record.info[_LAST_CHECKIN] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry, _proxy: Any) -> None:
        last = record.info.get(_LAST_CHECKIN)
        if last is None or time.monotonic() - last < IDLE_PING_SECONDS:
            return  # a new connection, or one used moments ago
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise exc.InvalidatePoolError("a pooled connection failed its ping after idling")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A bigger page cache and memory-mapped reads keep lookups fast as the file grows.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that later writes can fail with SQLITE_BUSY without
        # waiting; IMMEDIATE takes the write lock up front (readers are not blocked in WAL).
        # Straight to the driver: this runs before every transaction, and SQLAlchemy's
        # statement machinery would cost more than the statement.
        driver = conn.connection.driver_connection
        if conn.get_execution_options().get(_READ_ONLY):
            driver.execute("BEGIN")
        else:
            driver.execute("BEGIN IMMEDIATE")


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """Yield a session that commits when the block ends and rolls back if it raises.

    Objects stay usable after the commit (``expire_on_commit=False``). ``read_only=True``
    is for scopes that only read: SQLite readers skip the write lock, and PostgreSQL runs
    each statement on its own (autocommit), saving two round trips.
    """
    session: Session
    if read_only:
        session = _ReadOnlySession(_read_only_bind(engine), expire_on_commit=False)
    else:
        session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _read_only_bind(engine: Engine) -> Engine:
    """Return ``engine`` with the read-only options (made once per engine: building it
    costs more than the statement a read-only scope usually runs).

    SQLite: a deferred BEGIN (no write lock). PostgreSQL: autocommit, which spares the
    BEGIN/COMMIT round trips; each statement then reads the latest committed data."""
    bind: Engine | None = getattr(engine, _READ_ONLY, None)
    if bind is None:
        options: dict[str, Any] = {_READ_ONLY: True}
        if engine.dialect.name == "postgresql":
            options["isolation_level"] = "AUTOCOMMIT"
        bind = engine.execution_options(**options)
        setattr(engine, _READ_ONLY, bind)
    return bind


class _ReadOnlySession(Session):
    """A session of a read-only ``session_scope``: it refuses to write (the listeners
    below are registered once for the class, not for every session)."""


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyError("a read_only session_scope cannot write; use session_scope(engine)")


def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyError("a read_only session_scope cannot write; use session_scope(engine)")


event.listen(_ReadOnlySession, "before_flush", _refuse_flush)
event.listen(_ReadOnlySession, "do_orm_execute", _refuse_dml)


# PostgreSQL errors that mean "another transaction was in the way; the same work may succeed a
# moment later": lock_not_available (lock_timeout), query_canceled (statement_timeout),
# deadlock_detected, serialization_failure.
_RETRYABLE_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001"})


def is_retryable(error: BaseException) -> bool:
    """Tell whether ``error`` is a lock or timeout conflict worth retrying (the transaction
    rolled back; nothing was written): PostgreSQL's lock, statement and deadlock errors, and
    SQLite's "database is locked" after the busy timeout."""
    if not isinstance(error, exc.DBAPIError):
        return False
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, exc.OperationalError) and "database is locked" in str(original)


def retrying(work: Callable[[], R], attempts: int = 3) -> R:
    """Run the transaction ``work`` again (up to ``attempts`` times in all) when it met a
    lock or deadlock conflict (:func:`is_retryable`); its earlier tries rolled back."""
    for attempt in range(1, attempts + 1):
        try:
            return work()
        except exc.DBAPIError as error:
            if attempt == attempts or not is_retryable(error):
                raise
            time.sleep(0.01 * attempt)
    raise AssertionError("unreachable")


def alembic_config(url: str | None = None) -> Config:
    """Return the Alembic configuration of the packaged migrations (works from any cwd)."""
    config = Config()
    location = resources.files("bot.store") / "migrations"
    config.set_main_option("script_location", str(Path(str(location))))
    if url is not None:
        config.attributes["database_url"] = url
    return config


# Several replicas started at once may each run `sprintback db upgrade`: on PostgreSQL they
# take this advisory lock in turn, so one migrates and the others find the schema current.
_MIGRATION_LOCK = 0x5B0_0DB


def _run_with_connection(url: str, action: str, revision: str) -> None:
    engine = make_engine(url, timeouts=False)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # A move-and-copy (batch) migration of a table others refer to, such as person,
                # drops and re-creates it: with foreign keys enforced, the drop deletes or
                # fails on every referring row. So they are off while migrating (outside the
                # transaction: SQLite ignores the pragma inside one), and every reference is
                # checked before the migration commits.
                _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
            try:
                with connection.begin():
                    if connection.dialect.name == "postgresql":
                        connection.exec_driver_sql(
                            f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"
                        )
                    config = alembic_config(url)
                    config.attributes["connection"] = connection
                    getattr(command, action)(config, revision)
                    if sqlite:
                        _check_references(connection)
            finally:
                if sqlite:
                    _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")
    finally:
        engine.dispose()


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Run a pragma on SQLite's own connection, outside any transaction SQLAlchemy begins."""
    connection.connection.driver_connection.execute(pragma)  # type: ignore[union-attr]


def _check_references(connection: Connection) -> None:
    """Raise if a migration left a row referring to one that does not exist (SQLite)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise RuntimeError(
            f"the migration left {len(broken)} broken reference(s) in {', '.join(tables)}"
        )


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations to ``url`` up to ``revision`` (default: the newest)."""
    _run_with_connection(url, "upgrade", revision)


def downgrade(url: str, revision: str) -> None:
    """Revert migrations on ``url`` down to ``revision`` (``base`` empties the schema)."""
    _run_with_connection(url, "downgrade", revision)


def head_revision() -> str:
    """Return the newest migration revision shipped with the code."""
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    return ",".join(sorted(heads))


def current_revision(engine: Engine) -> str | None:
    """Return the revision the database is at, or None if it was never migrated."""
    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ",".join(sorted(heads)) if heads else None


def check_schema_current(engine: Engine) -> str | None:
    """Return None if the schema matches the code, else a message saying what to run."""
    expected = head_revision()
    try:
        current = current_revision(engine)
    except Exception as exc:  # the database itself is unreachable or unreadable
        return f"cannot read the database schema version: {describe_error(exc)}"
    if current == expected:
        return None
    if current is None:
        return (
            f"the database has no Sprintback schema yet, code expects rev {expected}: "
            "run `sprintback db upgrade`"
        )
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if not set(current.split(",")) <= known:
        return (
            f"database schema is at rev {current}, which this version of Sprintback does not "
            f"know (it expects {expected}); the database was migrated by newer code: "
            "run that version, or restore a backup"
        )
    return (
        f"database schema is at rev {current}, code expects {expected}: run `sprintback db upgrade`"
    )


def describe_error(error: BaseException) -> str:
    """Return one line saying why a database operation failed, e.g. "connection to server at
    "10.0.0.5", port 5432 failed: Connection refused" or "connection timeout expired".

    A driver error (``exc.DBAPIError``) is described by the driver's own message, without
    SQLAlchemy's wrapping, the hint lines and the link libpq and SQLAlchemy add.
    """
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    unresolved = unresolved_host(error)
    if unresolved is not None:
        host, why = unresolved
        return f"the host name {host!r} could not be resolved ({why})"
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    message = lines[0].removeprefix("connection failed: ") if lines else ""
    return message or type(cause).__name__


# A host name that does not resolve: psycopg looks names up itself ("failed to resolve host
# 'db': [Errno -2] Name or service not known"); libpq, when it does, says "could not translate
# host name "db" to address: ...". Neither message carries the password.
_UNRESOLVED_HOST = (
    re.compile(r"failed to resolve host '(?P<host>[^']*)': (?:\[Errno -?\d+\] )?(?P<why>.*)"),
    re.compile(r'could not translate host name "(?P<host>[^"]*)" to address: (?P<why>.*)'),
)


def unresolved_host(error: BaseException) -> tuple[str, str] | None:
    """Return the host name whose lookup failed and why (e.g. "Name or service not known"),
    or None when ``error`` is not a failed host name lookup."""
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    for line in str(cause).splitlines():
        for pattern in _UNRESOLVED_HOST:
            found = pattern.search(line)
            if found:
                return found["host"], found["why"].strip() or "no address"
    return None


# Why a connection failed before reaching a server, when waiting may help. These failures come
# from libpq or the kernel, never from the server, so they carry no SQLSTATE; both word them
# in the process's LC_MESSAGES, which Python leaves at "C" (English). A host name that does not
# resolve is waited for too: the name of a database container appears in compose's DNS only
# once the container is up (a mistyped name fails the same way, so every retry line and the
# last message name the host). SSL refused, a bad certificate: these never pass by waiting.
_CLIENT_SIDE_TRANSIENT = (
    ("connection refused", "connection refused"),
    ("timeout expired", "connection timed out"),
    ("temporary failure in name resolution", "host name lookup failed"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network unreachable"),
)
# A server that is starting, recovering or shutting down refuses connections with SQLSTATE
# 57P03 (cannot_connect_now); its message follows the server's lc_messages, so the English
# words below only name the state more precisely, or serve when no SQLSTATE can be had.
_CANNOT_CONNECT_NOW = "57P03"
_SERVER_NOT_READY = "server not accepting connections yet"
_SERVER_SIDE_TRANSIENT = (
    ("the database system is starting up", "server starting up"),
    ("the database system is not yet accepting connections", "server starting up"),
    ("the database system is in recovery mode", "server starting up"),
    ("the database system is shutting down", "server shutting down"),
)
# Pauses between start-up attempts: 1, 2, 4, 8, then every 10 seconds.
_FIRST_PAUSE_SECONDS = 1.0
_LONGEST_PAUSE_SECONDS = 10.0


def _transient_reason(error: BaseException) -> str | None:
    """Return in plain words why connecting failed when waiting may help (the server is not
    listening yet, is starting up or restarting, did not answer in time, its host name does
    not resolve yet), else None.

    A server's refusal is judged by its SQLSTATE (57P03), whatever language it speaks; its
    English message only when no SQLSTATE can be had (:func:`_server_sqlstate`). A wrong
    password, a database or user that does not exist: the server answered, so waiting will
    not help.
    """
    unresolved = unresolved_host(error)
    if unresolved is not None:
        return f"host name {unresolved[0]!r} could not be resolved"
    cause = error.orig if isinstance(error, exc.DBAPIError) and error.orig else error
    text = str(cause).lower()
    for needle, reason in _CLIENT_SIDE_TRANSIENT:
        if needle in text:
            return reason
    english = next((reason for needle, reason in _SERVER_SIDE_TRANSIENT if needle in text), None)
    state = _server_sqlstate(cause)
    if state == _CANNOT_CONNECT_NOW:
        return english or _SERVER_NOT_READY
    if state is not None:
        return None
    return english


def _server_sqlstate(cause: BaseException) -> str | None:
    """Return the SQLSTATE the server refused a connection with, when it can be had.

    psycopg sets ``sqlstate`` on errors that carry a server result, but not on a failed
    connection: libpq keeps the server's refusal only as text (``Error.pgconn`` holds no
    result), and libpq's PQping, which reads the SQLSTATE inside libpq, reports a refusing
    server as not answering in the libpq 18 that psycopg-binary bundles. So the server the
    attempt reached (``Error.pgconn``: host, port, user, database) is asked once more with a
    plain start-up message, no password, and the SQLSTATE of its error answer is read.
    """
    state = getattr(cause, "sqlstate", None)
    if isinstance(state, str) and state:
        return state
    pgconn = getattr(cause, "pgconn", None)
    if pgconn is None:
        return None
    try:
        return _startup_sqlstate(pgconn)
    except (OSError, ValueError, UnicodeError, struct.error):
        return None


# PostgreSQL's wire protocol 3.0: the start-up message's version, and the longest error
# answer read from it.
_PROTOCOL_3_0 = 196608
_SSL_REQUEST = 80877103
_MAX_ERROR_BYTES = 30_000


def _startup_sqlstate(pgconn: Any) -> str | None:
    """Send the server ``pgconn`` reached a start-up message (user and database, no SSL, no
    password) and return the SQLSTATE of the error it answers with; None when it answers
    otherwise (asks for a password: it accepts connections) or when its address is unknown."""
    host = (pgconn.hostaddr or pgconn.host or b"").decode()
    if not host:
        return None  # libpq's compiled-in socket folder: not known here
    port = int(pgconn.port or b"5432")
    sock: socket.socket
    if host.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(CONNECT_TIMEOUT_SECONDS)
        try:
            sock.connect(f"{host}/.s.PGSQL.{port}")
        except OSError:
            sock.close()
            raise
    else:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS)
    with sock:
        sock = _encrypted_if_offered(sock, host)
        body = struct.pack("!i", _PROTOCOL_3_0)
        body += b"user\0" + (pgconn.user or b"") + b"\0database\0" + (pgconn.db or b"") + b"\0\0"
        sock.sendall(struct.pack("!i", len(body) + 4) + body)
        head = _receive(sock, 5)
        if head[:1] != b"E":
            return None
        (length,) = struct.unpack("!i", head[1:])
        payload = _receive(sock, min(max(length - 4, 0), _MAX_ERROR_BYTES))
    for field in payload.split(b"\0"):
        if field[:1] == b"C":
            return field[1:].decode("ascii")
    return None


def _encrypted_if_offered(sock: socket.socket, host: str) -> socket.socket:
    """Ask the server for TLS first (SSLRequest) and use it when offered, so the start-up
    message (user and database names) never crosses the network in the clear to a server that
    speaks TLS. The server's certificate is not checked: nothing secret is sent, and only its
    error code is read back."""
    sock.sendall(struct.pack("!ii", 8, _SSL_REQUEST))
    answer = _receive(sock, 1)
    if answer == b"N":
        return sock
    if answer != b"S":
        raise ValueError("the server did not answer the TLS request")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(sock, server_hostname=None if host.startswith("/") else host)


def _receive(sock: socket.socket, size: int) -> bytes:
    """Read exactly ``size`` bytes from ``sock`` (fewer if it closes first)."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def wait_for_database(url: str, seconds: float, log: Callable[[str], None]) -> bool:
    """Wait up to ``seconds`` for a PostgreSQL server at ``url`` that cannot be reached yet.

    For start-up: while a connection fails for a reason that may pass (:func:`_transient_reason`),
    ``log`` one line ("database not reachable yet (connection refused); retrying in 2 s") and
    try again after a pause that doubles up to 10 s (and one line once it answers after such a
    wait). A host name that does not resolve is waited for too, as a database container's name
    resolves only once it is up; its lines name the host ("database not reachable yet (host
    name 'db' could not be resolved); retrying in 4 s"). Return True once a connection opens,
    else False: at once for SQLite or for a failure waiting cannot fix (wrong password, no
    such database), and when ``seconds`` are over,
    without a last attempt of its own: the caller's start-up is that attempt, and says why it
    failed.
    """
    if seconds <= 0 or make_url(url).get_backend_name() != "postgresql":
        return False
    began = time.monotonic()
    deadline = began + seconds
    pause = _FIRST_PAUSE_SECONDS
    waited = False
    engine = make_engine(url, timeouts=False, poolclass=NullPool)
    try:
        while True:
            try:
                with engine.connect():
                    if waited:
                        log(f"database reachable after {time.monotonic() - began:.0f} s")
                    return True
            except exc.DBAPIError as error:
                reason = _transient_reason(error)
            left = deadline - time.monotonic()
            if reason is None or left <= 0:
                return False
            pause = min(pause, left)
            log(f"database not reachable yet ({reason}); retrying in {round(pause, 1):g} s")
            time.sleep(pause)
            waited = True
            if time.monotonic() >= deadline:
                return False
            pause = min(pause * 2, _LONGEST_PAUSE_SECONDS)
    finally:
        engine.dispose()


def require_schema_current(engine: Engine) -> None:
    """Raise ``SchemaError`` with the message of ``check_schema_current`` if out of date."""
    problem = check_schema_current(engine)
    if problem is not None:
        raise SchemaError(problem)


def create_all_for_tests(engine: Engine) -> None:
    """Create every table directly, without migrations. Tests only; production migrates."""
    metadata.create_all(engine)
