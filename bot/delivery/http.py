"""The bot's HTTP client for the Bot API, on aiohttp.

python-telegram-bot's default client is httpx. Measured against the local Bot API sandbox
(`bench/bench_http_client.py`), httpx costs about four times the CPU per call of aiohttp when
fifty calls are in flight (httpcore walks every pooled connection on each request), and every
answer an athlete gives costs at least one call, so the client bounds how many answers one
process handles. This class is python-telegram-bot's documented way to use another library
(a ``BaseRequest`` subclass), with the same timeouts and the same errors as its own.
"""

from __future__ import annotations

import asyncio
import re
import ssl
import urllib.parse
import urllib.request
from collections.abc import Coroutine
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# The whole call is cut at this many times the sum of its timeouts (see ``_timeout``).
WHOLE_CALL_GUARD = 3
# Seconds an idle pooled connection is kept, as python-telegram-bot's own client keeps them:
# a connection a proxy has silently dropped is not reused after a long pause.
KEEPALIVE_SECONDS = 5.0
# How often a call waiting on the session's loop checks that the loop still runs.
HOME_LOOP_CHECK_SECONDS = 1.0
_TOKEN_PATH = re.compile(r"/bot[^/\s'\"]+")


class AiohttpRequest(BaseRequest):
    """Bot API calls over one aiohttp session with a pool of ``connection_pool_size``.

    Timeouts mean what they mean for python-telegram-bot's own client: ``pool_timeout`` to
    get a connection from the pool, ``connect_timeout`` to open one, ``read_timeout`` between
    bytes of the answer. aiohttp has no write timeout of its own, so the whole call is bounded
    by a guard of three times the sum of the four (the write one is ``media_write_timeout``
    when files are sent), which only a stalled write reaches. Redirects are not followed, and
    error messages never carry the URL (it holds the bot token).

    A call made from another event loop than the one the session was opened on (a handler
    running on a worker thread, ``bot.store.threads.run_off_loop``) is carried out on the
    session's own loop: its connections belong to that loop.
    """

    def __init__(
        self,
        *,
        connection_pool_size: int,
        connect_timeout: float,
        read_timeout: float,
        write_timeout: float,
        pool_timeout: float,
        media_write_timeout: float,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._home: asyncio.AbstractEventLoop | None = None
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float:
        """The default seconds to wait for the answer (python-telegram-bot adds the long-poll
        timeout of getUpdates to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session on the running loop (again after a shutdown)."""
        if self._session is None or self._session.closed:
            self._home = asyncio.get_running_loop()
            connector = aiohttp.TCPConnector(
                limit=self._pool_size,
                keepalive_timeout=KEEPALIVE_SECONDS,
                ssl=self._ssl_context if self._ssl_context is not None else True,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )
            self._proxies = {}

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make the call on the session's own loop; return the status and the body."""
        home = self._home
        call = self._call(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if home is not None and asyncio.get_running_loop() is not home:
            return await _on_home_loop(call, home)
        return await call

    async def _call(
        self,
        url: str,
        method: str,
        request_data: RequestData | None,
        read_timeout: ODVInput[float],
        write_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
        pool_timeout: ODVInput[float],
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        timeout = self._timeout(
            read_timeout, write_timeout, connect_timeout, pool_timeout, files=bool(files)
        )
        data: aiohttp.FormData | dict[str, str] | None = None
        if request_data is not None:
            data = _form(request_data) if files else request_data.json_parameters
        # Telegram answers every call itself: a redirect is an error, never a new request
        # (a POST followed to a GET would lose its body).
        try:
            async with session.request(
                method,
                url,
                data=data,
                timeout=timeout,
                allow_redirects=False,
                proxy=self._proxy_for(url),
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            # ``from None``: aiohttp's own message names the URL, and the URL holds the token.
            raise TimedOut(f"Timed out: aiohttp.{type(err).__name__}") from None
        except aiohttp.ClientError as err:
            detail = _without(url, str(err))
            raise NetworkError(f"aiohttp.{type(err).__name__}: {detail}") from None

    def _proxy_for(self, url: str) -> str | None:
        """The proxy HTTPS_PROXY / HTTP_PROXY name for ``url``'s host unless NO_PROXY exempts
        it, as python-telegram-bot's own client (httpx) reads them. Looked up once per host:
        aiohttp's ``trust_env`` reads the environment on every call, which doubled its CPU
        per call."""
        parts = urllib.parse.urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._proxies:
            proxies = urllib.request.getproxies()
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            host = parts.hostname or ""
            self._proxies[key] = None if not proxy or urllib.request.proxy_bypass(host) else proxy
        return self._proxies[key]

    def _timeout(
        self,
        read_timeout: ODVInput[float],
        write_timeout: ODVInput[float],
        connect_timeout: ODVInput[float],
        pool_timeout: ODVInput[float],
        *,
        files: bool,
    ) -> aiohttp.ClientTimeout:
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        parts = (read, write, connect, pool)
        # aiohttp cannot time a stalled write out on its own: a guard on the whole call ends
        # one, far enough above the sum that a slow call still making progress is not cut.
        total = (
            None
            if any(part is None for part in parts)
            else WHOLE_CALL_GUARD * sum(p for p in parts if p)
        )
        # aiohttp's "connect" covers waiting for a pooled connection and opening a new one.
        waiting = None if pool is None or connect is None else pool + connect
        return aiohttp.ClientTimeout(
            total=total, connect=waiting, sock_connect=connect, sock_read=read
        )


async def _on_home_loop(
    call: Coroutine[Any, Any, tuple[int, bytes]], home: asyncio.AbstractEventLoop
) -> tuple[int, bytes]:
    """Run ``call`` on ``home`` and wait for it; raise NetworkError if ``home`` has stopped
    (the bot is shutting down) instead of waiting for a loop that will never run it: the
    outbox keeps the message for the next run, and a worker thread never hangs the exit."""
    if home.is_closed() or not home.is_running():
        call.close()
        raise NetworkError("The bot is shutting down: the call was not made")
    future = asyncio.run_coroutine_threadsafe(call, home)
    waiting = asyncio.wrap_future(future)
    while True:
        done, _ = await asyncio.wait({waiting}, timeout=HOME_LOOP_CHECK_SECONDS)
        if done:
            return waiting.result()
        if home.is_closed() or not home.is_running():
            future.cancel()
            raise NetworkError("The bot is shutting down: the call's result is unknown")


def _without(url: str, message: str) -> str:
    """``message`` with the call's URL and anything like a bot token path taken out."""
    return _TOKEN_PATH.sub("/bot<token>", message.replace(url, "<Bot API URL>"))


def _given(value: ODVInput[float], default: float | None) -> float | None:
    return default if isinstance(value, DefaultValue) else value


def _form(request_data: RequestData) -> aiohttp.FormData:
    """The call as multipart form data: its parameters, then each file as a part."""
    # quote_fields=False: file names go out as UTF-8 ("Bericht März.pdf"), as Telegram and
    # python-telegram-bot's own client write them, not percent-encoded.
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form
