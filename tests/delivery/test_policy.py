"""Classifying Bot API failures: what is retried, how long it waits, what is given up."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.policy import BackoffPolicy, classify

POLICY = BackoffPolicy(base=dt.timedelta(seconds=1), cap=dt.timedelta(seconds=30), jitter=0)


def test_429_waits_exactly_retry_after_and_does_not_use_an_attempt() -> None:
    verdict = classify(RetryAfter(dt.timedelta(seconds=7)), attempts_made=1, policy=POLICY)
    assert verdict.action == "retry_after"
    assert verdict.wait == dt.timedelta(seconds=7)
    assert not verdict.counts_as_attempt


@pytest.mark.parametrize("exc", [TimedOut("slow"), NetworkError("Bad Gateway (502)")])
def test_timeouts_and_server_errors_back_off_exponentially_then_give_up(exc: Exception) -> None:
    waits = [classify(exc, n, POLICY).wait for n in range(1, 7)]
    assert waits == [dt.timedelta(seconds=s) for s in (1, 2, 4, 8, 16, 30)]
    final = classify(exc, POLICY.max_attempts, POLICY)
    assert final.action == "drop"
    assert "gave up after 8 attempts" in final.error


def test_jitter_stays_within_its_band() -> None:
    policy = BackoffPolicy(base=dt.timedelta(seconds=10), jitter=0.2)
    rng = random.Random(4)
    delays = {policy.delay(1, rng).total_seconds() for _ in range(50)}
    assert min(delays) >= 8 and max(delays) <= 12 and len(delays) > 1


def test_blocked_user_is_unreachable_not_retried() -> None:
    verdict = classify(Forbidden("Forbidden: bot was blocked by the user"), 1, POLICY)
    assert verdict.action == "unreachable"
    assert verdict.wait is None


@pytest.mark.parametrize(
    "exc", [BadRequest("Bad Request: chat not found"), ChatMigrated(-100123), ValueError("bug")]
)
def test_other_client_errors_are_recorded_and_not_retried(exc: Exception) -> None:
    verdict = classify(exc, 1, POLICY)
    assert verdict.action == "drop"
    assert type(exc).__name__ in verdict.error
