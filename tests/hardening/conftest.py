"""Fixtures for the hardening tests (issue 14): the real Application with every handler module
on the Bot API sandbox, a real store on SQLite and on PostgreSQL, and helpers to act as a
curious athlete, a careless clinician or a hostile stranger would."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import col, select

from bot.clock import FakeClock
from bot.handlers.context import Services
from bot.sandbox import BotApiSandbox, SimUser
from bot.store.db import session_scope
from bot.store.models import AuditLog
from tests.clinician.conftest import (
    ADMIN,
    World,
    db,
    db_url,
    pg_databases,
    pg_migrated,
    services,
    sqlite_template,
)
from tests.store.conftest import empty_db_url
from tests.support.telegram import BotHarness

__all__ = [
    "ADMIN",
    "db",
    "db_url",
    "empty_db_url",
    "pg_databases",
    "pg_migrated",
    "services",
    "sqlite_template",
]

WorldFactory = Callable[..., Awaitable[World]]


@pytest.fixture
def world(
    telegram: BotHarness, sandbox: BotApiSandbox, services: Services, clock: FakeClock
) -> WorldFactory:
    """Return ``await world()``: the Application with every handler module, as in production."""

    async def start(**kwargs: Any) -> World:
        running = await telegram.start(services=kwargs.pop("services", services), **kwargs)
        return World(running=running, sandbox=sandbox, services=running.services, clock=clock)

    return start


async def say(user: SimUser, text: str) -> str:
    """Send ``text`` and return the bot's reply (all messages joined)."""
    await user.send(text)
    return "\n".join(m.text or "" for m in await user.wait_reply())


async def press_data(world: World, user: SimUser, message: Any, data: str) -> str | None:
    """Send a callback query with arbitrary ``data`` as ``user`` (a modified client), wait
    until the bot has processed it and return its answer's text ('' if answered without
    text; None if the query was never answered)."""
    query_id = world.sandbox.open_callback_query(user.chat_id)
    update_id = world.sandbox.push_update(
        "callback_query",
        {
            "id": query_id,
            "from": user.user_json,
            "message": dict(message.raw),
            "chat_instance": "crafted",
            "data": data,
        },
    )
    loop = asyncio.get_running_loop()
    assert await world.sandbox.settle(update_id, loop.time() + 10)
    answer = world.sandbox.callback_answers.get(query_id)
    return None if answer is None else (answer.text or "")


def audited(world: World, action: str) -> list[AuditLog]:
    """Return the audit entries of ``action``, oldest first."""
    with session_scope(world.engine, read_only=True) as session:
        return list(
            session.exec(
                select(AuditLog).where(AuditLog.action == action).order_by(col(AuditLog.id))
            )
        )


def refusals(world: World, command: str) -> list[dict[str, Any]]:
    """Return the details of the audited refusals of ``command``."""
    return [e.detail for e in audited(world, "refused") if e.detail.get("command") == command]
