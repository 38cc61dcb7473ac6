"""Start and stop a real Application against the sandbox the way production runs it.

Used by the test harness and by ``sprintback demo``: initialize, the post_init start-up hooks,
start, then polling (getUpdates over HTTP) or PTB's webhook server; stop in reverse order.
"""

from __future__ import annotations

import socket
from typing import Any, Literal

from telegram.ext import Application

from bot.sandbox.server import BotApiSandbox

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
Mode = Literal["polling", "webhook"]

# Long-poll timeout (s) of the polling loop; stopping cancels the poll at once.
POLL_TIMEOUT = 5
WEBHOOK_SECRET = "sandbox-webhook-secret"


async def start_application(
    application: AnyApplication,
    sandbox: BotApiSandbox,
    *,
    mode: Mode = "polling",
    webhook_secret: str | None = WEBHOOK_SECRET,
) -> str | None:
    """Run ``application`` against ``sandbox`` like run_polling/run_webhook would, without
    blocking; return the webhook URL in webhook mode (None when polling)."""
    await application.initialize()
    if application.post_init is not None:
        await application.post_init(application)
    await application.start()
    if application.updater is None:
        raise ValueError("the application has no Updater; build it without .updater(None)")
    webhook_url: str | None = None
    if mode == "polling":
        await application.updater.start_polling(poll_interval=0, timeout=POLL_TIMEOUT)
    else:
        port = free_port()
        webhook_url = f"http://127.0.0.1:{port}/telegram"
        await application.updater.start_webhook(
            listen="127.0.0.1",
            port=port,
            url_path="telegram",
            webhook_url=webhook_url,
            secret_token=webhook_secret,
        )
    sandbox.watch_application(application)
    return webhook_url


async def stop_application(application: AnyApplication) -> None:
    """Stop receiving updates, finish the update in hand and shut ``application`` down."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    if application.post_stop is not None:
        await application.post_stop(application)
    await application.shutdown()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
