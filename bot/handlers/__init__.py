"""Telegram handlers, one module per feature, registered in a fixed order.

Each module ``bot.handlers.<name>`` defines ``register(application) -> None`` that adds its
handlers (and may add start-up hooks with ``bot.app.add_startup_hook``). Order matters: PTB
tries the handlers of a group in the order they were added, so conversations come before the
general commands and the catch-all replies come last.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from collections.abc import Callable, Iterable
from typing import Any

from telegram.ext import Application

_LOGGER = logging.getLogger(__name__)

# The feature modules, in registration order (dispatch last: its catch-all handlers must come
# after every athlete command of the same group). A missing module is skipped with a warning.
HANDLER_MODULES: tuple[str, ...] = (
    "onboarding",
    "checkin",
    "session",
    "clinician",
    "admin",
    "invites",
    "athlete_commands",
    "reports",
    "membership",
    "dispatch",
)

Registrar = Callable[[Application[Any, Any, Any, Any, Any, Any]], None]


def resolve(module_name: str) -> Registrar | None:
    """Return the ``register`` function of ``bot.handlers.<module_name>``, or None if the
    module does not exist. A module that exists but has no register() is an error."""
    qualified = f"bot.handlers.{module_name}"
    if importlib.util.find_spec(qualified) is None:
        return None
    module = importlib.import_module(qualified)
    register = getattr(module, "register", None)
    if not callable(register):
        raise TypeError(f"{qualified} has no register(application) function")
    return register  # type: ignore[no-any-return]


def register_handlers(
    application: Application[Any, Any, Any, Any, Any, Any],
    modules: Iterable[str | Registrar] | None = None,
) -> list[str]:
    """Register the handlers of ``modules`` (names in bot.handlers, or register functions),
    by default HANDLER_MODULES, in order; return the names registered."""
    registered: list[str] = []
    for entry in HANDLER_MODULES if modules is None else modules:
        if callable(entry):
            entry(application)
            registered.append(getattr(entry, "__module__", repr(entry)))
            continue
        register = resolve(entry)
        if register is None:
            _LOGGER.warning("Handler module bot.handlers.%s is not present; skipped", entry)
            continue
        register(application)
        registered.append(entry)
    return registered
