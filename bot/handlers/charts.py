"""Send an athlete's progress chart now, drawn off the event loop (not through the outbox).

Used by the clinician handlers (the full chart after the /athlete card) and the report handlers
(/progress). The caller has already checked that the chat may see the athlete. Stage-change
charts go through the outbox instead (``bot.delivery.sender``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Engine
from telegram import Bot, InputFile, Message
from telegram.ext import Application

from bot.handlers.context import SERVICES_KEY
from bot.reports.build import build_progress_png
from bot.reports.from_store import ReportUnavailable
from bot.reports.runner import in_worker_thread
from bot.store.threads import call_home
from bot.support.logs import failure
from bot.wording import Audience

_LOGGER = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def send_progress_chart(
    bot: Bot,
    chat_id: int,
    *,
    engine: Engine,
    athlete_id: int,
    now: dt.datetime,
    small: bool = True,
    caption: str | None = None,
    audience: Audience = "athlete",
    viewer_id: int | None = None,
    admin: bool = False,
) -> Message | None:
    """Draw the athlete's chart in a worker thread and send it to ``chat_id`` as a photo.

    The caller has already decided that the chat may see this athlete. The chart names the
    athlete as ``viewer_id`` reads them (``admin``: an admin's view), with the number when
    another athlete they see shares the name. Returns the sent message, or None when there is
    nothing to chart yet (no injury recorded).
    """
    try:
        png, default_caption = await in_worker_thread(
            build_progress_png,
            engine,
            athlete_id,
            now,
            small=small,
            audience=audience,
            viewer_id=viewer_id,
            admin=admin,
        )
    except ReportUnavailable:
        return None
    return await bot.send_photo(
        chat_id,
        InputFile(png, filename=f"progress-{athlete_id}.png"),
        caption=(caption or default_caption)[:1024],
    )


def schedule_progress_chart(
    application: AnyApplication,
    chat_id: int,
    *,
    athlete_id: int,
    now: dt.datetime,
    small: bool = True,
    caption: str | None = None,
    audience: Audience = "athlete",
    viewer_id: int | None = None,
    admin: bool = False,
) -> None:
    """Send the athlete's chart to ``chat_id`` in the background (for a handler or job that
    must not wait for the drawing: e.g. after a stage change, or on /athlete with
    ``small=False``), naming the athlete as in :func:`send_progress_chart`. The caller has
    already checked access; failures are logged."""
    engine = application.bot_data[SERVICES_KEY].engine

    async def task() -> None:
        try:
            await send_progress_chart(
                application.bot,
                chat_id,
                engine=engine,
                athlete_id=athlete_id,
                now=now,
                small=small,
                caption=caption,
                audience=audience,
                viewer_id=viewer_id,
                admin=admin,
            )
        except Exception as exc:
            _LOGGER.error("progress chart of athlete %s not sent: %s", athlete_id, failure(exc))

    def start() -> None:
        application.create_task(task(), name=f"progress-chart-{athlete_id}")

    if not call_home(start):  # from a handler running off the loop: on the Application's loop
        start()
