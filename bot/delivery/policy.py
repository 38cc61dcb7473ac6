"""What to do after a failed send (pure): wait and retry, back off, give up, or mark unreachable.

Classification of Bot API errors (python-telegram-bot exceptions):

* ``RetryAfter`` (HTTP 429, flood control): wait ``retry_after`` and retry; it does not use up an
  attempt, since the message itself is fine. The whole sender pauses too: flood control is
  per bot, and hammering on makes it longer.
* ``TimedOut``, ``NetworkError`` (5xx, connection errors): retry with exponential backoff and
  jitter, up to ``max_attempts``; then the row is recorded as undeliverable.
* ``Forbidden`` (HTTP 403: the user blocked the bot or deleted the account): never retry; the
  person is marked unreachable and their linked clinician, or an admin, is told.
* ``BadRequest`` (other 400s: chat not found, message too long, bad markup) and anything else:
  recorded with the error text and not retried, since resending the same request cannot succeed.
* ``ChatMigrated`` (a group became a supergroup): not retried here; recorded with the new id.

Delivery guarantee, for the one ambiguous case: a process dies after Telegram accepted a
message but before the database recorded it as sent. The row is then left in 'sending' and,
once its lease runs out (``WORK_LEASE_SECONDS``), another process sends it again: every kind is
**at-least-once**. A prompt, a reply or an alert is never lost to a crash; the only messages
that may arrive twice are those whose call was in flight (or sent and not yet recorded) at the
instant of the crash, at most one per sending slot of the dead process (the sender records
each outcome before its slot takes the next row). A duplicate costs a glance; a lost prompt
stalls a check-in and a lost alert may cost the athlete. Outside that window every row is
sent exactly once.

Safety messages (clinician alerts, red-flag instructions, missed-day and unreachable notices)
that cannot be delivered at all (403) are forwarded whole to the clinician or the admins.
"""

from __future__ import annotations

import datetime as dt
import random
import warnings
from dataclasses import dataclass
from typing import Literal

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TimedOut,
)

from bot.store.models import ALERT_KIND, MISSED_DAYS_KIND, UNREACHABLE_KIND

Action = Literal["retry_after", "backoff", "unreachable", "drop"]

# Outbox message kinds forwarded whole to a clinician or an admin when undeliverable.
SAFETY_KINDS: frozenset[str] = frozenset(
    {ALERT_KIND, "red_flag", "emergency", UNREACHABLE_KIND, MISSED_DAYS_KIND}
)


@dataclass(frozen=True)
class BackoffPolicy:
    """Exponential backoff for transient failures: base × 2^(attempt-1), capped, with jitter."""

    base: dt.timedelta = dt.timedelta(seconds=2)
    cap: dt.timedelta = dt.timedelta(minutes=10)
    max_attempts: int = 8
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random | None = None) -> dt.timedelta:
        """Return how long to wait before retry number ``attempt`` (1 = first retry)."""
        if attempt < 1:
            raise ValueError(f"attempt must be >= 1, got {attempt}")
        raw: dt.timedelta = min(self.base * (2 ** (attempt - 1)), self.cap)
        if self.jitter:
            spread = (rng or random).uniform(-self.jitter, self.jitter)
            raw = raw * (1 + spread)
        return raw


@dataclass(frozen=True)
class Verdict:
    """The sender's next step for one failed row."""

    action: Action
    # When to try again (retry_after / backoff), or None when the row is finished.
    wait: dt.timedelta | None
    # Counts towards max_attempts (429 does not: the message was fine).
    counts_as_attempt: bool
    error: str


def retry_after_of(exc: RetryAfter) -> dt.timedelta:
    """Return the wait Telegram asked for in a 429, as a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    if isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(seconds=float(value))


def classify(
    exc: BaseException,
    attempts_made: int,
    policy: BackoffPolicy,
    rng: random.Random | None = None,
) -> Verdict:
    """Decide what to do after ``exc`` was raised by the ``attempts_made``-th send of a row."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, RetryAfter):
        return Verdict("retry_after", retry_after_of(exc), counts_as_attempt=False, error=text)
    if isinstance(exc, Forbidden):
        return Verdict("unreachable", None, counts_as_attempt=True, error=text)
    if isinstance(exc, ChatMigrated):
        return Verdict("drop", None, counts_as_attempt=True, error=text)
    # BadRequest subclasses NetworkError in PTB, so it must be tested before NetworkError.
    if isinstance(exc, BadRequest):
        return Verdict("drop", None, counts_as_attempt=True, error=text)
    if isinstance(exc, TimedOut | NetworkError | TimeoutError | ConnectionError):
        if attempts_made >= policy.max_attempts:
            return Verdict(
                "drop",
                None,
                counts_as_attempt=True,
                error=f"gave up after {attempts_made} attempts; last error {text}",
            )
        return Verdict("backoff", policy.delay(attempts_made, rng), True, text)
    # Other 4xx, and bugs of our own: resending the same request cannot succeed.
    return Verdict("drop", None, counts_as_attempt=True, error=text)
