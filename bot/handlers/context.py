"""The services every handler needs (settings, clock, database), carried in bot_data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext

from bot.clock import Clock, SystemClock
from bot.settings import Settings

SERVICES_KEY = "services"


@dataclass
class Services:
    """What handlers and jobs use instead of globals.

    ``engine`` is the database engine from ``bot.store.make_engine(settings.database_url)``
    (typed loosely until bot/store settles); open sessions with ``bot.store.session_scope``.
    ``extras`` holds further shared objects a feature module registers by name.
    """

    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    engine: Any = None
    extras: dict[str, Any] = field(default_factory=dict)


def attach_services(
    application: Application[Any, Any, Any, Any, Any, Any], services: Services
) -> None:
    """Store ``services`` in the application's bot_data, where get_services finds them."""
    application.bot_data[SERVICES_KEY] = services


def get_services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    """Return the Services of the running application (from a handler's or job's context)."""
    services = context.bot_data.get(SERVICES_KEY) if isinstance(context.bot_data, dict) else None
    if not isinstance(services, Services):
        raise RuntimeError(
            "no Services in application.bot_data; build the application with "
            "bot.app.build_application(settings, services=...)"
        )
    return services
