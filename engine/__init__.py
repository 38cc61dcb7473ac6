"""Sprintback's protocol engine: pure domain logic (no Telegram, no database, no clock, no I/O)."""
