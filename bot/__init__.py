"""Sprintback's Telegram side: settings, storage, scheduling, messaging and the handlers."""

import os

# Opt in to python-telegram-bot's coming timedelta semantics (RetryAfter.retry_after and
# friends); our code reads both forms, and this silences a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
