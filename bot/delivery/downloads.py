"""Files people send the bot, downloaded within a byte limit that counts what is really read.

Telegram's ``file_size`` is what the sender's client claimed; a file can be larger. The
download streams the file and stops as soon as more than ``limit`` bytes have arrived, so a
20 MB file sent as "1 kB" costs at most ``limit`` bytes of memory and never reaches a parser.
"""

from __future__ import annotations

import httpx
from telegram import Bot

DOWNLOAD_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class FileTooLarge(Exception):
    """More bytes arrived than the limit allows; ``received`` counts them (at least limit+1)."""

    def __init__(self, received: int, limit: int) -> None:
        super().__init__(f"more than {limit} bytes")
        self.received = received
        self.limit = limit


class DownloadFailed(Exception):
    """The file could not be fetched from Telegram (network, or Telegram refused)."""


async def download_within(bot: Bot, file_id: str, limit: int) -> bytes:
    """Return the bytes of the file ``file_id``; raise FileTooLarge as soon as more than
    ``limit`` bytes have been read, DownloadFailed if it cannot be fetched."""
    try:
        telegram_file = await bot.get_file(file_id)
    except Exception as exc:  # any Bot API failure: the caller tells the user to retry
        raise DownloadFailed(type(exc).__name__) from exc
    url = telegram_file.file_path or ""
    if not url.startswith(("https://", "http://")):
        raise DownloadFailed("no download address")
    chunks: list[bytes] = []
    received = 0
    try:
        async with (
            httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code != 200:
                raise DownloadFailed(f"HTTP {response.status_code}")
            async for chunk in response.aiter_bytes():
                received += len(chunk)
                if received > limit:
                    raise FileTooLarge(received, limit)
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise DownloadFailed(type(exc).__name__) from exc
    return b"".join(chunks)
