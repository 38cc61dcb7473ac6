"""Peak memory of a real `sprintback run` webhook under oversized, unauthenticated POSTs.

Starts `sprintback run` in webhook mode (SQLite, the local Bot API sandbox), reads its idle
resident memory, then sends six concurrent POSTs of 90 MB each without the secret token (as a
stranger would), and after them six with the secret but over the 1 MB cap. The webhook checks
the secret from the headers and caps the body, so none of those bodies is buffered. Prints
the process's idle RSS and its peak (VmHWM) after the attack; the target is a peak within
50 MB of idle (issue 14, finding 5: it used to grow from 97 MB to 685 MB).

    .venv/bin/python bench/bench_webhook_memory.py
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bot.cli.webhook import SECRET_HEADER
from bot.sandbox import BotApiSandbox
from bot.sandbox.runner import free_port
from bot.store.db import upgrade

ATTACKERS = 6
BODY_MB = 90
SECRET = "bench-secret"


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


async def _attack(port: int, headers: dict[str, str]) -> str:
    """POST a 90 MB body in 1 MB pieces; return how the server answered (or cut us off)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = [
        "POST /telegram HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {BODY_MB * 1024 * 1024}",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    piece = b"x" * (1024 * 1024)
    sent = 0
    try:
        for _ in range(BODY_MB):
            writer.write(piece)
            await writer.drain()
            sent += 1
    except (ConnectionError, OSError):
        pass  # the bot closed the connection: the refusal this bench measures (`sent` says when)
    try:
        answer = await asyncio.wait_for(reader.read(64), 5)
    except (TimeoutError, ConnectionError, OSError):
        answer = b""
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    status = answer.split(b"\r\n")[0].decode(errors="replace") or "connection closed"
    return f"{status} after {sent} MB sent"


async def main() -> int:
    """Run the attack against a real process and print idle and peak memory."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        port = free_port()
        async with BotApiSandbox() as sandbox:
            env = {
                **os.environ,
                "TELEGRAM_TOKEN": sandbox.token,
                "TELEGRAM_API_BASE_URL": sandbox.base_url,
                "DATABASE_URL": url,
                "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
                "WEBHOOK_SECRET": SECRET,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(port),
                "LOG_LEVEL": "WARNING",
            }
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run"],
                env=env,
                cwd=tmp,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
            )
            try:
                async with httpx.AsyncClient(timeout=2) as client:
                    for _ in range(600):
                        with contextlib.suppress(httpx.HTTPError):
                            if (await client.get(f"http://127.0.0.1:{port}/healthz")).is_success:
                                break
                        await asyncio.sleep(0.1)
                await asyncio.sleep(2)  # settle after start-up
                idle = _status_kib(process.pid, "VmRSS")
                idle_peak = _status_kib(process.pid, "VmHWM")
                started = time.perf_counter()
                strangers = await asyncio.gather(*(_attack(port, {}) for _ in range(ATTACKERS)))
                oversized = await asyncio.gather(
                    *(_attack(port, {SECRET_HEADER: SECRET}) for _ in range(ATTACKERS))
                )
                took = time.perf_counter() - started
                await asyncio.sleep(0.5)
                peak = _status_kib(process.pid, "VmHWM")
                after = _status_kib(process.pid, "VmRSS")
            finally:
                process.terminate()
                process.wait(30)
    growth = (peak - max(idle, idle_peak)) / 1024
    print(f"{ATTACKERS} concurrent {BODY_MB} MB POSTs without the secret: {strangers[0]}")
    print(f"{ATTACKERS} concurrent {BODY_MB} MB POSTs with the secret: {oversized[0]}")
    print(f"  took {took:.2f} s in all")
    print(
        f"RSS idle {idle / 1024:.1f} MB (peak before {idle_peak / 1024:.1f} MB); "
        f"peak after the attack {peak / 1024:.1f} MB (+{growth:.1f} MB); "
        f"RSS now {after / 1024:.1f} MB"
    )
    verdict = "met" if growth <= 50 else "NOT met"
    print(f"  target: peak within 50 MB of idle: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
