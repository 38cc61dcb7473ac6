"""What every handler and job takes from the running Application (its ``bot_data``).

- :class:`Services`, the container of what handlers and jobs use instead of globals (settings,
  clock, database engine), put there by ``bot.app.build_application`` and read with
  :func:`get_services`. Only the handlers layer and the wiring above it (``bot.app``,
  ``bot.runtime``, the CLI, the demo) see it: services take the session, the time and the
  settings they need as arguments.
- Start-up hooks (:func:`add_startup_hook`), run once the Application is initialised.
- The deployment's callback signer (:func:`signer_of`) and the clinician alert notifier the
  athlete flow is given (:func:`alert_notifier_for`).
- :func:`kick_sender`: have the outbox sender deliver what a committed transaction queued;
  :func:`sender_for`: the sender that also delivers an update's replies at once;
  :func:`inbox_of`: the update inbox (``bot.inbox``), None without a database.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes

from bot.clock import Clock, SystemClock
from bot.delivery.sender import OutboxSender
from bot.inbox.store import Inbox
from bot.scheduling.registry import AlertNotifier
from bot.services.callback_auth import CallbackSigner, derive_secret
from bot.services.clinician.escalation import alert_notifier
from bot.settings import Settings
from bot.store.threads import call_home

SERVICES_KEY = "services"
STARTUP_HOOKS_KEY = "startup_hooks"
SENDER_KEY = "sprintback.outbox_sender"
# A sender for an update's replies when no sender job runs (an Application without the
# scheduler, as some tests build): it sends replies at once and never drains the queue.
REPLY_SENDER_KEY = "sprintback.reply_sender"
INBOX_KEY = "sprintback.inbox"
SIGNER_KEY = "callback_signer"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
StartupHook = Callable[[AnyApplication], Awaitable[None]]
Context = ContextTypes.DEFAULT_TYPE


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


def add_startup_hook(application: AnyApplication, hook: StartupHook) -> None:
    """Run ``hook(application)`` at start-up, after initialize() and before updates flow
    (e.g. set the command menu, rebuild scheduled jobs from the database)."""
    application.bot_data.setdefault(STARTUP_HOOKS_KEY, []).append(hook)


async def run_startup_hooks(application: AnyApplication) -> None:
    """Run the start-up hooks in the order they were added (this is the post_init callback)."""
    for hook in list(application.bot_data.get(STARTUP_HOOKS_KEY, [])):
        await hook(application)


def signer_for(services: Services, bot_token: str) -> CallbackSigner:
    """Return the deployment's callback signer: a ``callback_secret`` setting if there is one,
    else a key derived from the bot token (cached in the services)."""
    signer = services.extras.get(SIGNER_KEY)
    if not isinstance(signer, CallbackSigner):
        explicit = getattr(services.settings, "callback_secret", None)
        signer = CallbackSigner(derive_secret(bot_token, explicit))
        services.extras[SIGNER_KEY] = signer
    return signer


def signer_of(context: Context) -> CallbackSigner:
    """Return the deployment's callback signer for a handler or job."""
    return signer_for(get_services(context), context.bot.token)


def alert_notifier_for(context: Context) -> AlertNotifier:
    """Return the notifier the athlete flow passes as ``Env.notify``: it queues the linked
    clinicians' alert messages (signed buttons, merged within 5 minutes) in the same
    transaction as the decision."""
    services = get_services(context)
    return alert_notifier(signer_of(context), services.settings.admin_telegram_ids)


def kick_sender(application: AnyApplication) -> None:
    """Drain the outbox now (call after a transaction that queued messages has committed).

    Safe to call from handlers and jobs: it only schedules the drain on the running loop; a
    drain already running picks the new rows up before it stops.
    """
    sender: OutboxSender | None = application.bot_data.get(SENDER_KEY)
    if sender is None:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if call_home(functools.partial(kick_sender, application)):
        return  # a handler running off the loop: the drain runs on the Application's loop
    task = loop.create_task(sender.drain())
    pending: set[asyncio.Task[Any]] = application.bot_data.setdefault("sprintback.kicks", set())
    pending.add(task)
    task.add_done_callback(pending.discard)


def kick(context: Context) -> None:
    """Have the outbox sender deliver what the committed transaction queued, now."""
    kick_sender(context.application)


def sender_for(application: AnyApplication) -> OutboxSender | None:
    """Return the process's outbox sender (the one the sender job drains with), else a
    sender for replies only; None without a database."""
    sender: OutboxSender | None = application.bot_data.get(SENDER_KEY)
    if sender is not None:
        return sender
    sender = application.bot_data.get(REPLY_SENDER_KEY)
    if sender is None:
        services = application.bot_data.get(SERVICES_KEY)
        if not isinstance(services, Services) or services.engine is None:
            return None
        inbox = inbox_of_application(application)
        sender = OutboxSender(
            bot=application.bot,
            engine=services.engine,
            clock=services.clock,
            worker=inbox.worker if inbox is not None else "replies",
            admin_telegram_ids=tuple(services.settings.admin_telegram_ids),
        )
        application.bot_data[REPLY_SENDER_KEY] = sender
    return sender


def inbox_of_application(application: AnyApplication) -> Inbox | None:
    """Return the Application's update inbox (None when it runs without a database)."""
    inbox = application.bot_data.get(INBOX_KEY)
    return inbox if isinstance(inbox, Inbox) else None


def inbox_of(context: Context) -> Inbox | None:
    """Return the update inbox of a handler's Application (None without a database)."""
    return inbox_of_application(context.application)
