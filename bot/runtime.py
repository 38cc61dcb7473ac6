"""Assemble a running Sprintback: logging, database, Application, scheduler and sender.

``sprintback run`` and ``sprintback demo`` both build the bot here, so the demo runs exactly
the production wiring, only pointed at the local Bot API sandbox and a temporary database.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from telegram.ext import Application

from bot.app import build_application
from bot.clock import Clock, SystemClock
from bot.handlers import Registrar
from bot.handlers.context import Services
from bot.handlers.jobs import install_scheduling
from bot.services.protocol_admin import refresh_packaged
from bot.settings import Settings
from bot.store.db import check_schema_current, make_engine, session_scope
from bot.store.threads import DEFAULT_THREADS
from bot.store.threads import configure as configure_threads
from bot.support.logs import quiet_libraries

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
_LOGGER = logging.getLogger(__name__)

# Libraries whose INFO lines would carry the bot token (request URLs) or chat content.
_QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.ext.Updater",
    "apscheduler",
    "tornado.access",
    "alembic",
)


class StartupError(RuntimeError):
    """Sprintback cannot start; the message says what is wrong and what to do."""


@dataclass
class Runtime:
    """A built bot and what it runs on."""

    application: AnyApplication
    services: Services
    engine: Engine


def configure_logging(level: int = logging.INFO) -> None:
    """Log one line per event to standard output; keep token-bearing URLs out of the log."""
    logging.basicConfig(
        stream=sys.stdout,
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    quiet_libraries(level)  # no names or free text from matplotlib, fontTools, fpdf, PTB


def open_database(url: str, threads: int = DEFAULT_THREADS) -> Engine:
    """Return an engine for ``url`` whose schema is current, or raise StartupError saying
    what to run (``sprintback db upgrade``). Its connection pool matches the ``threads``
    database worker threads (``bot.store.threads``), with a few spare for the health check."""
    engine = make_engine(url, pool_size=threads + 2, max_overflow=4)
    problem = check_schema_current(engine)
    if problem is not None:
        engine.dispose()
        raise StartupError(problem)
    return engine


def build_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    token: str | None = None,
    base_url: str | None = None,
    base_file_url: str | None = None,
    handler_modules: Iterable[str | Registrar] | None = None,
    on_get_updates: Callable[[], None] | None = None,
) -> Runtime:
    """Build the Application with its services, scheduler tick and outbox sender.

    ``handler_modules`` defaults to every product handler module (tests may narrow it);
    ``on_get_updates`` is called after each successful getUpdates (the polling heartbeat).
    """
    configure_threads(settings.database_threads)
    db = (
        engine
        if engine is not None
        else open_database(settings.database_url, settings.database_threads)
    )
    services = Services(settings=settings, clock=clock or SystemClock(), engine=db)
    refresh_packaged_protocols(db, services.clock)
    application = build_application(
        settings,
        services=services,
        token=token,
        base_url=base_url,
        base_file_url=base_file_url,
        handler_modules=handler_modules,
        on_get_updates=on_get_updates,
    )
    install_scheduling(application, services)
    return Runtime(application=application, services=services, engine=db)


# Replicas starting together refresh the packaged protocols one after the other (PostgreSQL).
_PROTOCOL_REFRESH_LOCK = 0x5B0_0DC


def refresh_packaged_protocols(engine: Engine, clock: Clock) -> None:
    """Publish shipped protocol texts that an upgrade changed, where no admin has taken over
    (``refresh_packaged``), and log what was done or left alone."""
    with session_scope(engine) as session:
        if engine.dialect.name == "postgresql":
            session.connection().exec_driver_sql(
                f"SELECT pg_advisory_xact_lock({_PROTOCOL_REFRESH_LOCK})"
            )
        lines = refresh_packaged(session, clock.now())
    for line in lines:
        _LOGGER.warning("protocols: %s", line)


async def freeze_startup_heap(_application: AnyApplication) -> None:
    """Exempt everything built at start-up from garbage collection (a start-up hook).

    Modules, handlers, protocols and caches live as long as the process; without this, each
    full collection walks all of them again, a pause of 100-200 ms that lands on whichever
    athlete's answer is in hand. Collect once, then freeze (``gc.freeze``): later full
    collections only walk what was allocated after start-up. Only ``sprintback run`` adds it;
    a test process builds many bots and must be able to free them.
    """
    gc.collect()
    gc.freeze()


def database_health(engine: Engine) -> str:
    """Return "ok" if the database answers and its schema is current, else what is wrong."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means "not healthy"; say which
        return f"unreachable ({type(exc).__name__})"
    problem = check_schema_current(engine)
    return "ok" if problem is None else problem


def scheduler_health(application: AnyApplication) -> str:
    """Return "running" if the JobQueue's scheduler runs, else "stopped"."""
    queue = application.job_queue
    if queue is None or not queue.scheduler.running:
        return "stopped"
    return "running"
