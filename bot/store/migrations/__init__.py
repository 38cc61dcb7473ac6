"""Alembic migrations of Sprintback's schema (applied by `sprintback db upgrade`)."""
