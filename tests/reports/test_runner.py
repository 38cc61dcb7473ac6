"""Renders run on their own small pool: the event loop keeps serving while they work."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.reports.chart import render_progress_png
from bot.reports.runner import RENDER_WORKERS, in_worker_thread
from tests.reports.factories import make_progress


async def test_render_runs_off_the_event_loop_thread_and_returns_its_result() -> None:
    data = make_progress(30)
    png = await in_worker_thread(render_progress_png, data, small=True)
    assert png == render_progress_png(data, small=True)
    thread_name = await in_worker_thread(lambda: threading.current_thread().name)
    assert thread_name.startswith("sprintback-render")
    assert thread_name != threading.current_thread().name


async def test_event_loop_keeps_ticking_while_renders_run() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await asyncio.gather(*(in_worker_thread(time.sleep, 0.3) for _ in range(2)))
    finally:
        task.cancel()
    # a blocked loop would have ticked at most once in those 0.3 s
    assert ticks >= 10


async def test_no_more_than_the_pool_size_render_at_once() -> None:
    lock = threading.Lock()
    active = 0
    peak = 0

    def job() -> None:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        time.sleep(0.05)
        with lock:
            active -= 1

    await asyncio.gather(*(in_worker_thread(job) for _ in range(RENDER_WORKERS * 3)))
    assert peak == RENDER_WORKERS


async def test_errors_in_a_render_reach_the_caller() -> None:
    def broken() -> None:
        raise ValueError("chart_png is not a PNG image")

    with pytest.raises(ValueError, match="not a PNG"):
        await in_worker_thread(broken)
