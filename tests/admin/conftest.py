"""The admin end-to-end tests use the clinician tests' store, bot and helpers."""

from tests.clinician.conftest import db, services, world

__all__ = ["db", "services", "world"]
