"""Run the real Sprintback Application against the Bot API sandbox, as in production.

The Application is built by ``bot.app.build_application`` and polls the sandbox over HTTP with
getUpdates (or receives a webhook); tests act as users through ``SimUser``.

    async def test_start(start_bot, sandbox):
        await start_bot(handlers=["onboarding"])
        alex = sandbox.user(1001, "Alex")
        await alex.send("/start")
        [reply] = await alex.wait_reply()
        assert "Welcome" in reply.text
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.handlers import Registrar
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser
from bot.sandbox.runner import WEBHOOK_SECRET, Mode, start_application, stop_application

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass
class RunningBot:
    """One started Application and how it was started."""

    application: AnyApplication
    sandbox: BotApiSandbox
    services: Services
    handlers: list[str | Registrar] | None
    mode: Mode
    webhook_url: str | None = None
    stopped: bool = False

    async def stop(self) -> None:
        """Stop receiving updates, finish the update in hand and shut the Application down."""
        if self.stopped:
            return
        self.stopped = True
        await stop_application(self.application)


@dataclass
class BotHarness:
    """Starts, restarts and stops Applications on one sandbox; stops them all at teardown."""

    sandbox: BotApiSandbox
    services: Services
    bots: list[RunningBot] = field(default_factory=list)

    @property
    def current(self) -> RunningBot:
        """Return the bot started last."""
        if not self.bots:
            raise RuntimeError("no bot started yet; await start_bot() first")
        return self.bots[-1]

    @property
    def application(self) -> AnyApplication:
        """Return the Application started last."""
        return self.current.application

    async def start(
        self,
        *,
        services: Services | None = None,
        handlers: Iterable[str | Registrar] | None = None,
        mode: Mode = "polling",
        webhook_secret: str | None = WEBHOOK_SECRET,
    ) -> RunningBot:
        """Build the real Application with ``handlers`` (module names in bot.handlers or
        register functions; default: every product module) and run it against the sandbox
        like production: initialize, post_init hooks, start, then polling or a webhook."""
        services = services or self.services
        handler_list = list(handlers) if handlers is not None else None
        app = build_application(
            services.settings,
            services=services,
            base_url=self.sandbox.base_url,
            base_file_url=self.sandbox.base_file_url,
            token=self.sandbox.token,
            handler_modules=handler_list,
        )
        running = RunningBot(app, self.sandbox, services, handler_list, mode)
        self.bots.append(running)
        running.webhook_url = await start_application(
            app, self.sandbox, mode=mode, webhook_secret=webhook_secret
        )
        return running

    async def restart(self, **overrides: Any) -> RunningBot:
        """Stop the current Application and start a new one on the same sandbox, services and
        database, with the same handlers unless ``overrides`` says otherwise (a deploy or crash
        in the middle of a conversation)."""
        previous = self.current
        await previous.stop()
        options: dict[str, Any] = {
            "services": previous.services,
            "handlers": previous.handlers,
            "mode": previous.mode,
        }
        options.update(overrides)
        return await self.start(**options)

    async def stop_all(self) -> None:
        """Stop every Application still running, newest first."""
        for running in reversed(self.bots):
            await running.stop()

    def user(self, user_id: int, first_name: str = "Alex", **kwargs: Any) -> SimUser:
        """Return the simulated user ``user_id`` (see BotApiSandbox.user)."""
        return self.sandbox.user(user_id, first_name, **kwargs)
