"""Send an athlete's progress chart now, drawn off the event loop (not through the outbox).

Used by the clinician handlers (the full chart after the /athlete card) and the report handlers
(/progress). The caller has already checked that the chat may see the athlete. Stage-change
charts go through the outbox instead (``bot.delivery.sender``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from telegram import Bot, InputFile, Message
from telegram.ext import Application

from bot.handlers.context import SERVICES_KEY
from bot.reports.build import build_progress_png
from bot.reports.from_store import ReportUnavailable
from bot.reports.runner import in_worker_thread
from bot.services.access import Caller
from bot.services.clinician.decisions import still_allowed
from bot.store.db import session_scope
from bot.store.threads import call_home, run_db
from bot.support.i18n import N_, _
from bot.support.logs import failure
from bot.wording import Audience

_LOGGER = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
# The reader lost access to the athlete while their chart was being drawn (an unlink).
CHART_WITHDRAWN = N_("The chart was not sent: you no longer have access to this athlete's data.")


class AccessEnded(Exception):
    """The reader may no longer see the athlete: what was made for them is not sent."""


def still_sees(engine: Engine, caller: Caller, athlete_id: int) -> Callable[[], bool]:
    """Return a check (a database read) of whether ``caller`` may still see the athlete: asked
    once a chart or report made in the background is ready, so that nothing reaches someone
    whose access ended while it was being made (the athlete unlinked them)."""

    def check() -> bool:
        with session_scope(engine, read_only=True) as session:
            return still_allowed(session, caller, athlete_id, "view")

    return check


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
    allowed: Callable[[], bool] | None = None,
) -> Message | None:
    """Draw the athlete's chart in a worker thread and send it to ``chat_id`` as a photo.

    The caller has already decided that the chat may see this athlete; ``allowed`` (a
    database read) is asked again once the chart is drawn, and AccessEnded raised, nothing
    sent, when the reader lost access meanwhile. The chart names the
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
    if allowed is not None and not await run_db(allowed):
        raise AccessEnded
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
    allowed: Callable[[], bool] | None = None,
) -> None:
    """Send the athlete's chart to ``chat_id`` in the background (for a handler or job that
    must not wait for the drawing: e.g. after a stage change, or on /athlete with
    ``small=False``), naming the athlete as in :func:`send_progress_chart`. The caller has
    already checked access (``allowed`` asks again before sending: the reader is told in one
    sentence when it ended meanwhile); failures are logged."""
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
                allowed=allowed,
            )
        except AccessEnded:
            _LOGGER.info("progress chart of athlete %s withdrawn: access ended", athlete_id)
            try:
                await application.bot.send_message(chat_id, _(CHART_WITHDRAWN))
            except Exception as exc:
                _LOGGER.warning("could not tell chat %s: %s", chat_id, failure(exc))
        except Exception as exc:
            _LOGGER.error("progress chart of athlete %s not sent: %s", athlete_id, failure(exc))

    def start() -> None:
        application.create_task(task(), name=f"progress-chart-{athlete_id}")

    if not call_home(start):  # from a handler running off the loop: on the Application's loop
        start()
