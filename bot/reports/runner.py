"""Run chart and report rendering off the event loop, on a small pool of its own.

Renders use their own two-thread executor rather than asyncio's default one, so a burst of
big reports (the Monday digest for many clinicians) queues here and never takes the threads
that other work sent through ``asyncio.to_thread`` relies on, nor blocks the event loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

RENDER_WORKERS = 2
_executor = ThreadPoolExecutor(max_workers=RENDER_WORKERS, thread_name_prefix="sprintback-render")


async def in_worker_thread(fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``fn(*args, **kwargs)`` on the render pool and return its result (or raise its error).

    At most RENDER_WORKERS renders run at once; the rest wait their turn without blocking the
    event loop. The render runs in a copy of the caller's context (as ``asyncio.to_thread``
    does; ``run_in_executor`` alone would not), so its labels are in the caller's language.
    """
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    call = functools.partial(fn, *args, **kwargs)
    return await loop.run_in_executor(_executor, context.run, call)


def shutdown_render_pool(wait: bool = True) -> None:
    """Stop the render pool at application shutdown (pending renders finish if ``wait``)."""
    _executor.shutdown(wait=wait)
