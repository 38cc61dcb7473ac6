"""The test PostgreSQL server: its URL, and throw-away databases on it.

The server comes from SPRINTBACK_TEST_POSTGRES_URL (default: the local test server). If it
cannot be reached the test fails with a message saying how to start it; it is never skipped.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy.engine import make_url

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def base_url() -> str:
    """Return the SQLAlchemy URL of the test server's own database."""
    return os.environ.get("SPRINTBACK_TEST_POSTGRES_URL") or DEFAULT_PG_URL


def libpq(url: str) -> str:
    """Return ``url`` as psycopg takes it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def connect_admin(base: str | None = None) -> psycopg.Connection:
    """Return an autocommit connection to the test server, or fail the test saying how to
    start it."""
    base = base or base_url()
    try:
        return psycopg.connect(libpq(base), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL at {make_url(base).render_as_string(hide_password=True)} is not "
            f"reachable ({exc}); set SPRINTBACK_TEST_POSTGRES_URL or run scripts/ensure-postgres",
            pytrace=False,
        )


@contextlib.contextmanager
def throwaway_database(prefix: str, *, keep: bool = False) -> Iterator[str]:
    """Create an empty database with a unique name starting with ``prefix``; yield its
    SQLAlchemy URL and drop it afterwards (unless ``keep``, which prints its name)."""
    base = base_url()
    admin = connect_admin(base)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f"kept database {name}")
        else:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
