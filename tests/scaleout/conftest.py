"""A throw-away PostgreSQL database per test, migrated as `sprintback db upgrade` would."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bot.store.db import upgrade
from tests.support.postgres import throwaway_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    """Return the URL of a new, migrated PostgreSQL database (dropped after the test)."""
    with throwaway_database("sb_scale", keep=bool(os.environ.get("SCALEOUT_KEEP_DB"))) as url:
        upgrade(url)
        yield url
