"""Fixtures of the scheduling tests (databases from dbfixtures)."""

from tests.scheduling.dbfixtures import engine, pg_database

__all__ = ["engine", "pg_database"]
