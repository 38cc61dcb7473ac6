"""The safety review's bot tests use the athlete end-to-end fixtures: every handler module on
the Bot API sandbox, a real store, and simulated phones."""

from __future__ import annotations

from tests.athlete.conftest import db, services, world

__all__ = ["db", "services", "world"]
