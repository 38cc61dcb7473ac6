"""The deployment's send rate, shared by every replica through one PostgreSQL row.

Telegram's limit (about 30 messages a second, up to 1,000 with paid broadcasts) is per bot,
not per process: three replicas pacing themselves at 30/s each sent 90/s. Here every sender
reserves its slots from the ``send_budget`` row: one statement moves the row's ``next_free``
instant on by ``count / rate`` seconds and returns where the reserved window starts, so the
windows of all replicas line up one after the other and the deployment as a whole keeps the
rate, however many replicas there are and whichever of them has work. A replica reserves
only about a fifth of a second of slots at a time (and no more than it has messages
waiting), so an idle or dead replica wastes little. A 429 holds the row too, so every
replica waits out Telegram's flood control, not just the one that was told.

The database's clock measures the windows (the replicas' clocks may differ); each replica
gets back a delay, not an instant. SQLite serves one process, whose local gate is the limit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from bot.store.db import session_scope

BUDGET_NAME = "global"
# A replica reserves at most this much sending time at once (seconds).
RESERVE_SPAN = 0.2


class SharedBudget:
    """Reserves send slots of the deployment-wide ``rate`` (messages a second)."""

    def __init__(self, engine: Engine, rate: float, name: str = BUDGET_NAME) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("a shared send budget needs PostgreSQL (SQLite serves one process)")
        if rate <= 0:
            raise ValueError(f"the send rate must be > 0 messages/s, got {rate}")
        self.engine = engine
        self.rate = rate
        self.name = name
        self._ensured = False

    @property
    def batch(self) -> int:
        """The most slots reserved at once (a fifth of a second's worth, at least one)."""
        return max(1, int(self.rate * RESERVE_SPAN))

    def reserve(self, count: int) -> float:
        """Reserve ``count`` slots; return the seconds until the first of them (0 or more).
        The slots follow each other ``1 / rate`` apart. Call from a worker thread."""
        span = count / self.rate
        with session_scope(self.engine) as session:
            self._ensure(session)
            delay = session.execute(_RESERVE, {"name": self.name, "span": span}).scalar_one()
        return max(0.0, float(delay))

    def hold(self, seconds: float) -> None:
        """Keep every replica from sending for ``seconds`` (Telegram answered 429)."""
        with session_scope(self.engine) as session:
            self._ensure(session)
            session.execute(_HOLD, {"name": self.name, "span": seconds})

    def _ensure(self, session: Any) -> None:
        if not self._ensured:
            session.execute(_ENSURE, {"name": self.name})
            self._ensured = True


_ENSURE = text(
    "INSERT INTO send_budget (name, next_free) VALUES (:name, clock_timestamp()) "
    "ON CONFLICT (name) DO NOTHING"
)
_RESERVE = text(
    "UPDATE send_budget SET next_free = GREATEST(next_free, clock_timestamp()) "
    "+ make_interval(secs => :span) WHERE name = :name "
    "RETURNING EXTRACT(EPOCH FROM (next_free - clock_timestamp()))::float8 - :span"
)
_HOLD = text(
    "UPDATE send_budget SET next_free = GREATEST(next_free, clock_timestamp() "
    "+ make_interval(secs => :span)) WHERE name = :name"
)
