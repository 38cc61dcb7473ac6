"""Sprintback's Telegram side: settings, storage, scheduling, messaging and the handlers."""
