"""Database work off the event loop: a bounded pool of worker threads.

SQLAlchemy's sessions are synchronous. Run on the event loop, one slow statement (a row lock
another process holds, a big fan-out batch) stalls every other chat, the webhook's answers
to Telegram and ``/healthz``. Every transaction of an update, the inbox, the outbox sender
and the scheduler therefore runs here, on at most ``DATABASE_THREADS`` threads (default 8):
enough to keep the database busy, few enough that the connection pool (sized to match,
``bot.store.db.make_engine`` callers pass ``pool_size``) never runs dry. Work beyond that
waits its turn in the queue without blocking anything.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

DEFAULT_THREADS = 8
_state: dict[str, ThreadPoolExecutor] = {}
# Renewing this process's leases must not wait behind the work it protects: a busy pool
# would let the leases run out and another replica take over work still in hand.
_keeper = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sprintback-leases")


def configure(threads: int) -> None:
    """Use ``threads`` worker threads from now on (the running pool finishes its work)."""
    if threads < 1:
        raise ValueError(f"the database needs at least 1 worker thread, got {threads}")
    current = _state.get("pool")
    if current is not None and current._max_workers == threads:
        return
    old = _state.pop("pool", None)
    _state["pool"] = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sprintback-db")
    if old is not None:
        old.shutdown(wait=False)


def _pool() -> ThreadPoolExecutor:
    pool = _state.get("pool")
    if pool is None:
        configure(DEFAULT_THREADS)
        pool = _state["pool"]
    return pool


# A database thread running a handler off the event loop (run_off_loop): its own loop, and
# the event loop the handler came from.
_local = threading.local()


async def run_db(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run the synchronous database function ``fn`` on the database pool; return its result
    (or raise its error) without blocking the event loop. ``fn`` runs in a copy of the
    caller's context, so context variables (the reader's language) carry over. Called from
    a handler already running on a database thread (``run_off_loop``), ``fn`` runs there."""
    loop = asyncio.get_running_loop()
    if getattr(_local, "loop", None) is loop:
        return fn(*args, **kwargs)
    context = contextvars.copy_context()
    return await loop.run_in_executor(_pool(), context.run, functools.partial(fn, *args, **kwargs))


async def run_off_loop(
    handler: Callable[..., Coroutine[Any, Any, R]], *args: Any, **kwargs: Any
) -> R:
    """Run the coroutine function ``handler`` on a database thread, in that thread's own
    event loop, and return its result (or raise its error).

    For handlers that open sessions and await Bot API calls in between: their database work
    then never blocks the event loop. Bot API calls made there are carried out on the
    caller's loop (``bot.app``'s request), as is :func:`call_home`'s work.
    """
    home = asyncio.get_running_loop()
    return await run_db(_run_in_thread_loop, home, handler, args, kwargs)


def _run_in_thread_loop(
    home: asyncio.AbstractEventLoop,
    handler: Callable[..., Coroutine[Any, Any, R]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> R:
    loop = getattr(_local, "loop", None)
    if loop is None:
        loop = _local.loop = asyncio.new_event_loop()
    _local.home = home
    try:
        return loop.run_until_complete(handler(*args, **kwargs))
    finally:
        _local.home = None


def home_loop() -> asyncio.AbstractEventLoop | None:
    """Return the event loop a handler running off the loop came from (None elsewhere)."""
    home: asyncio.AbstractEventLoop | None = getattr(_local, "home", None)
    return home


def call_home(callback: Callable[[], object]) -> bool:
    """On a database thread running a handler (``run_off_loop``), schedule ``callback`` on
    the handler's home event loop and return True; elsewhere return False (the caller runs
    it itself)."""
    home = home_loop()
    if home is None:
        return False
    home.call_soon_threadsafe(callback)
    return True


async def run_keeper(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``fn`` (a lease renewal) on a thread of its own, never queued behind other work."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(_keeper, context.run, functools.partial(fn, *args, **kwargs))


T = TypeVar("T")


class GroupCommit(Generic[T, R]):
    """Runs many callers' small writes together: each ``submit(item)`` waits for a batch
    ``write(items)`` (one transaction, on the database pool) that returns one result per item.

    A batch starts as soon as the previous one has finished, with every item submitted
    meanwhile: one caller alone is written at once, as before; under load, tens of updates
    share one transaction instead of each paying for its own round trips and commit. A
    batch that fails fails all its callers (nothing of it was written).
    """

    def __init__(self, write: Callable[[list[T]], list[R]]) -> None:
        self._write = write
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._running = False
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Queue ``item`` for the next batch and return its result once that committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, future))
        if not self._running:
            self._running = True
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                try:
                    results = await run_db(self._write, [item for item, _ in batch])
                except Exception as exc:
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self._running = False
