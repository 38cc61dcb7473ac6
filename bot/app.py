"""Build the python-telegram-bot Application: settings, services, error handler, handlers."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import ssl
from collections.abc import Callable, Iterable
from typing import Any

import certifi
from telegram.ext import Application, ApplicationBuilder
from telegram.request import BaseRequest

from bot.delivery.http import AiohttpRequest
from bot.delivery.within_limits import WithinLimitsBot
from bot.handlers import Registrar, languages, register_handlers
from bot.handlers import errors as error_handlers
from bot.handlers.context import INBOX_KEY, Services, attach_services, run_startup_hooks
from bot.inbox.processor import ChatOrderedProcessor
from bot.inbox.store import DurablePollRequest, Inbox, InboxQueue
from bot.scheduling.worker import worker_name
from bot.settings import Settings, derive_file_url

_LOGGER = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]

# Seconds. Telegram answers in well under a second; a short connect/pool timeout surfaces a
# dead network quickly, and uploads (reports, charts) get more time to write.
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
WRITE_TIMEOUT = 10.0
POOL_TIMEOUT = 5.0
MEDIA_WRITE_TIMEOUT = 30.0


class MissingTokenError(ValueError):
    """The application cannot be built without a bot token."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """Return the TLS context every HTTP client of the process shares (certifi's CA bundle);
    building one costs ~50 ms, so it is built once."""
    return ssl.create_default_context(cafile=certifi.where())


def make_request(
    *,
    for_get_updates: bool,
    queue: InboxQueue | None = None,
    pool_size: int = 256,
    on_success: Callable[[], None] | None = None,
) -> BaseRequest:
    """Return the HTTP client of the bot (``bot.delivery.http``): one connection for long
    polling, a pool of ``pool_size`` for everything else, with Sprintback's timeouts. The
    long-polling one makes the inbox ``queue``'s updates durable before each call (its offset
    confirms them) and calls ``on_success`` after each successful call (polling mode's
    heartbeat). The pool is sized to the calls that can be in flight at once (see
    ``build_application``), not python-telegram-bot's 256.
    """
    client = AiohttpRequest(
        connection_pool_size=1 if for_get_updates else pool_size,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        write_timeout=WRITE_TIMEOUT,
        pool_timeout=POOL_TIMEOUT,
        media_write_timeout=MEDIA_WRITE_TIMEOUT,
        ssl_context=tls_context(),
    )
    if queue is not None:
        return DurablePollRequest(queue, client, on_success=on_success)
    return client


def pool_size(settings: Settings) -> int:
    """Return how many connections to Telegram the bot keeps: each update in hand may make two
    calls at once (answering a press while sending the reply), the outbox sender its slots,
    plus a few for jobs and charts."""
    return 2 * settings.update_concurrency + settings.outbox_concurrency + 4


def build_application(
    settings: Settings,
    *,
    services: Services,
    base_url: str | None = None,
    base_file_url: str | None = None,
    token: str | None = None,
    handler_modules: Iterable[str | Registrar] | None = None,
    on_get_updates: Callable[[], None] | None = None,
) -> AnyApplication:
    """Return the Application wired for Sprintback, not yet initialised.

    The Bot API URL comes from ``base_url`` or the settings; the file URL from
    ``base_file_url``, else the settings when the base URL is the configured one, else derived
    from ``base_url``. ``token`` overrides TELEGRAM_TOKEN (the demo and tests use a sandbox
    token). Every update goes through the inbox (``bot.inbox``: stored before it is
    acknowledged) when there is a database, and is processed in its chat's turn: one chat's
    updates one after the other, different chats concurrently (UPDATE_CONCURRENCY at once).
    Handlers come from ``handler_modules`` (default: every module of bot.handlers.HANDLERS),
    after the error handler.
    ``on_get_updates`` is called after each successful getUpdates (polling mode's heartbeat).
    """
    bot_token = token or settings.token
    if not bot_token:
        raise MissingTokenError("TELEGRAM_TOKEN is not set; get a token from @BotFather")
    api_url = base_url or settings.telegram_api_base_url
    if base_file_url is not None:
        file_url = base_file_url
    elif base_url is None and settings.telegram_api_file_url:
        file_url = settings.telegram_api_file_url
    else:
        file_url = derive_file_url(api_url)
    processor = ChatOrderedProcessor(settings.update_concurrency)
    queue = InboxQueue()
    bot = WithinLimitsBot(
        token=bot_token,
        base_url=api_url,
        base_file_url=file_url,
        request=make_request(for_get_updates=False, pool_size=pool_size(settings)),
        get_updates_request=make_request(
            for_get_updates=True, queue=queue, on_success=on_get_updates
        ),
    )
    application: AnyApplication = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(processor)
        .update_queue(queue)
        .post_init(run_startup_hooks)
        .build()
    )
    processor.application = application
    if services.engine is not None:
        inbox = Inbox(
            engine=services.engine,
            clock=services.clock,
            worker=worker_name(),
            lease=dt.timedelta(seconds=settings.work_lease_seconds),
        )
        queue.attach(inbox, application.bot)
        processor.inbox = inbox
        application.bot_data[INBOX_KEY] = inbox
    attach_services(application, services)
    error_handlers.register(application)
    languages.register(application, services.engine)
    registered = register_handlers(application, handler_modules)
    _LOGGER.debug("Registered handler modules: %s", ", ".join(registered) or "(none)")
    return application
