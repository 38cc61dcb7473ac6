"""Telegram in and out: each handler parses an update, calls a service, sends the result.

Layer: below ``bot.app``/``bot.runtime`` (the wiring), above ``bot.services`` (the use cases).
A handler may import ``bot.services``, ``bot.scheduling``, ``bot.delivery``, ``bot.reports``,
``bot.store`` (to open the update's transaction), ``bot.clock``, ``bot.settings`` and ``engine``;
nothing below imports a handler.

Feature modules, one per feature, each with ``register(application)``, and independent of each
other (import-linter checks it): ``onboarding``, ``checkin``, ``session``, ``clinician``,
``admin``, ``invites``, ``staff_account`` (a clinician's own account: /delete),
``athlete_commands``, ``reports``, ``membership``, ``dispatch`` and ``errors`` (the error
handler, installed first by ``bot.app``).

What they share lives in modules that register nothing:

- ``context``: the Services container in ``bot_data``, start-up hooks, the callback signer, the
  clinician alert notifier, ``kick_sender``;
- ``groups``: the handler groups, in the order python-telegram-bot runs them;
- ``athlete_flow``: one transaction per athlete update, then the replies;
- ``staff``: the caller, the neutral refusal, "stop the update once answered";
- ``charts``: send a progress chart now, drawn off the event loop;
- ``jobs``: the JobQueue jobs (scheduler tick, outbox sender, abandoned answers, escalation,
  weekly digest).

:data:`HANDLERS` lists the feature modules in registration order, by explicit import: a
module that is missing or misspelt fails at import, never silently. Order matters: PTB tries
the handlers of a group in the order they were added, so conversations come before the
general commands and the catch-all replies (dispatch) come last.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from telegram.ext import Application

from bot.handlers import (
    admin,
    athlete_commands,
    checkin,
    clinician,
    dispatch,
    invites,
    membership,
    onboarding,
    reports,
    session,
    staff_account,
)
from bot.store.threads import run_off_loop

Registrar = Callable[[Application[Any, Any, Any, Any, Any, Any]], None]

# The product's feature modules, in registration order (dispatch last: its catch-all handlers
# must come after every athlete command of the same group). Tests may start a bot with some of
# them, by these names.
HANDLERS: dict[str, Registrar] = {
    "onboarding": onboarding.register,
    "checkin": checkin.register,
    "session": session.register,
    "clinician": clinician.register,
    "admin": admin.register,
    "invites": invites.register,
    "staff_account": staff_account.register,
    "athlete_commands": athlete_commands.register,
    "reports": reports.register,
    "membership": membership.register,
    "dispatch": dispatch.register,
}


# Modules whose handlers open sessions and await Bot API calls in between: they run on a
# database thread (``bot.store.threads.run_off_loop``), so their database work never blocks
# the event loop. (The athlete flows run only their transaction there; the admin module
# starts background tasks and threads of its own and stays on the loop.)
OFF_LOOP = frozenset({"clinician"})


def off_loop(
    callback: Callable[..., Coroutine[Any, Any, Any]],
) -> Callable[..., Coroutine[Any, Any, Any]]:
    """Return ``callback`` made to run on a database thread (see :data:`OFF_LOOP`)."""

    @functools.wraps(callback)
    async def handler(*args: Any, **kwargs: Any) -> Any:
        return await run_off_loop(callback, *args, **kwargs)

    return handler


def resolve(name: str) -> Registrar:
    """Return the ``register`` function of the feature module ``name``; raise ValueError
    naming the known modules if there is none (a typo must not drop a feature silently)."""
    try:
        return HANDLERS[name]
    except KeyError:
        known = ", ".join(HANDLERS)
        raise ValueError(f"no handler module {name!r}: expected one of {known}") from None


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
    modules: Iterable[str | Registrar] | None = None,
) -> list[str]:
    """Register the handlers of ``modules`` (names in :data:`HANDLERS`, or register
    functions), by default every module of :data:`HANDLERS`, in order; return the names
    registered. An unknown name raises ValueError before anything is registered."""
    entries = list(HANDLERS) if modules is None else list(modules)
    registrars = [(entry, entry if callable(entry) else resolve(entry)) for entry in entries]
    registered: list[str] = []
    for entry, register in registrars:
        before = {id(handler) for group in application.handlers.values() for handler in group}
        register(application)
        if entry in OFF_LOOP:
            for group in application.handlers.values():
                for handler in group:
                    if id(handler) not in before:
                        handler.callback = off_loop(handler.callback)
        registered.append(
            entry if isinstance(entry, str) else getattr(entry, "__module__", repr(entry))
        )
    return registered
