"""The bot's Bot API client (bot.delivery.http, aiohttp) against the local sandbox: what it
sends arrives whole, and every way a call can fail reaches python-telegram-bot as the error
the sender handles (TimedOut, NetworkError, RetryAfter, Forbidden)."""

from __future__ import annotations

import asyncio
import socket
import threading
import traceback
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.app import make_request
from bot.delivery.http import AiohttpRequest
from bot.sandbox import BotApiSandbox

CHAT = 1001


def _client(read_timeout: float = 5.0) -> AiohttpRequest:
    return AiohttpRequest(
        connection_pool_size=4,
        connect_timeout=1,
        read_timeout=read_timeout,
        write_timeout=1,
        pool_timeout=1,
        media_write_timeout=5,
    )


@pytest.fixture
async def sandbox() -> AsyncIterator[BotApiSandbox]:
    async with BotApiSandbox() as box:
        box.user(CHAT, "Sam")
        yield box


async def test_text_buttons_and_a_file_arrive_whole(sandbox: BotApiSandbox) -> None:
    request = make_request(for_get_updates=False, pool_size=4)
    async with Bot(sandbox.token, base_url=sandbox.base_url, request=request) as bot:
        text = "Schmerz in Ruhe: 0 – «très bien» & 10 % ✅"
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Ja ✅", callback_data="a=1&b")]])
        sent = await bot.send_message(CHAT, text, reply_markup=keyboard)
        assert sent.text == text
        pdf = b"%PDF-1.4\n" + bytes(range(256)) * 40
        await bot.send_document(CHAT, pdf, filename="report.pdf", caption="Bericht: März")
    message = sandbox.user(CHAT).last_bot_message
    assert message.text == "Bericht: März"  # a caption is the text the user reads
    assert message.file is not None
    assert message.file.data == pdf and message.file.filename == "report.pdf"
    assert (
        sandbox.calls_to("sendMessage")[0].params["reply_markup"]["inline_keyboard"][0][0][
            "callback_data"
        ]
        == "a=1&b"
    )


async def test_a_slow_answer_is_a_timeout(sandbox: BotApiSandbox) -> None:
    sandbox.slow_next("sendMessage", delay=1.0)
    async with Bot(sandbox.token, base_url=sandbox.base_url, request=_client(0.3)) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "hello")


async def test_flood_control_and_a_blocked_user_are_telegram_errors(
    sandbox: BotApiSandbox,
) -> None:
    sandbox.fail_next("sendMessage", status=429, retry_after=7)
    sandbox.block_user(CHAT)
    async with Bot(sandbox.token, base_url=sandbox.base_url, request=_client()) as bot:
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(CHAT, "hello")
        assert flood.value.retry_after.total_seconds() == 7
        with pytest.raises(Forbidden):
            await bot.send_message(CHAT, "hello")


async def test_nobody_listening_is_a_network_error() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    request = _client()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as refused:
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
        assert not isinstance(refused.value, TimedOut)
    finally:
        await request.shutdown()


async def _raw_server(answer: bytes) -> tuple[asyncio.Server, int]:
    """A server that answers every connection with ``answer`` as it is, then closes it."""

    async def reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(answer)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(reply, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def test_no_error_message_carries_the_bot_token() -> None:
    server, port = await _raw_server(b"this is not HTTP\r\n\r\n")
    secret = "-".join(("123456:SECRET", "TOKEN"))  # not in the traceback's source lines
    request = _client()
    await request.initialize()
    try:
        with pytest.raises(NetworkError) as broken:
            await request.post(f"http://127.0.0.1:{port}/bot{secret}/sendMessage")
        shown = "".join(traceback.format_exception(broken.value))  # as a log would print it
        assert secret not in shown, shown
        assert "aiohttp." in str(broken.value)  # what went wrong is still said
    finally:
        await request.shutdown()
        server.close()


async def test_a_redirect_is_not_followed() -> None:
    server, port = await _raw_server(
        b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/elsewhere\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    request = _client()
    await request.initialize()
    try:
        status, _ = await request.do_request(f"http://127.0.0.1:{port}/bot1:x/sendMessage", "POST")
        assert status == 302
    finally:
        await request.shutdown()
        server.close()


async def test_a_file_name_goes_out_as_written(sandbox: BotApiSandbox) -> None:
    async with Bot(sandbox.token, base_url=sandbox.base_url, request=_client()) as bot:
        await bot.send_document(CHAT, b"%PDF-1.4\n", filename="Bericht März.pdf")
    message = sandbox.user(CHAT).last_bot_message
    assert message.file is not None and message.file.filename == "Bericht März.pdf"


async def test_https_proxy_and_no_proxy_are_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deployment behind a proxy names it in HTTP(S)_PROXY, as for any HTTP client: calls
    go through it, except to the hosts NO_PROXY lists."""
    seen: list[bytes] = []

    async def proxy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append((await reader.readuntil(b"\r\n\r\n")).split(b"\r\n")[0])
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(proxy, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "nowhere.invalid")
    request = _client()
    await request.initialize()
    try:
        status, body = await request.do_request("http://api.example.org/bot1:x/getMe", "POST")
        assert (status, body) == (200, b"ok")
        assert seen == [b"POST http://api.example.org/bot1:x/getMe HTTP/1.1"]
        with pytest.raises(NetworkError):  # not through the proxy: the name does not resolve
            await request.do_request("http://nowhere.invalid/bot1:x/getMe", "POST")
        assert len(seen) == 1
    finally:
        await request.shutdown()
        server.close()


def _loop_in_a_thread(
    request: AiohttpRequest,
) -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    """The bot's own loop, running on a thread of its own, with ``request`` opened on it."""
    ready = threading.Event()
    home = asyncio.new_event_loop()

    def serve() -> None:
        home.run_until_complete(request.initialize())
        home.call_soon(ready.set)
        home.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(5)
    return home, thread


def _close(request: AiohttpRequest, home: asyncio.AbstractEventLoop) -> None:
    """Close ``request`` on its stopped loop, and the loop."""

    def close() -> None:
        home.run_until_complete(request.shutdown())
        home.close()

    closer = threading.Thread(target=close)
    closer.start()
    closer.join(5)


async def test_a_call_from_a_worker_thread_fails_when_the_bots_loop_has_stopped(
    sandbox: BotApiSandbox,
) -> None:
    """A handler running on a database thread makes its calls on the bot's own loop; once
    that loop has stopped (the bot is shutting down) the call fails at once as a network
    error the sender retries, instead of leaving the thread waiting for ever (which hung the
    process's exit)."""
    request = _client()
    home, thread = _loop_in_a_thread(request)
    url = f"{sandbox.base_url}{sandbox.token}/getMe"
    status, _ = await request.do_request(url, "POST")  # carried out on the bot's loop
    assert status == 200
    home.call_soon_threadsafe(home.stop)
    thread.join(5)
    try:
        with pytest.raises(NetworkError, match="shutting down"):
            await asyncio.wait_for(request.do_request(url, "POST"), 5)
    finally:
        _close(request, home)


async def test_a_call_under_way_when_the_bots_loop_stops_fails_instead_of_hanging() -> None:
    """The loop stops while the call waits for Telegram's answer: the worker thread gets a
    network error within a couple of seconds (the message stays in the outbox)."""

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1)
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = _client(read_timeout=30)
    home, thread = _loop_in_a_thread(request)
    try:
        call = asyncio.ensure_future(
            request.do_request(f"http://127.0.0.1:{port}/bot1:x/getMe", "POST")
        )
        await asyncio.sleep(0.3)
        home.call_soon_threadsafe(home.stop)
        with pytest.raises(NetworkError, match="shutting down"):
            await asyncio.wait_for(call, 5)
    finally:
        thread.join(5)
        _close(request, home)
        server.close()
