"""Sprintback's Telegram side, in layers that only ever import downward:

    bot.cli, bot.demo            the ``sprintback`` command; the scripted demo
    bot.runtime, bot.app         wiring: database, Application, handlers, scheduler, sender
    bot.handlers                 Telegram in and out: parse an update, call a service, reply
    bot.services                 the use cases (athlete flows, clinician actions and views,
                                 escalation, protocol administration, digest, invites)
    bot.scheduling, bot.delivery the prompt scheduler; the outbox sender (rate limits, retries)
    bot.reports                  progress charts, PDF reports, digests (read and drawn)
    bot.store                    tables, repositories, migrations
    bot.clock, bot.settings      the replaceable clock and local dates; the settings
    engine                       the pure protocol engine (a package of its own)

``bot.sandbox`` (the local Bot API fake) is a separate tool used by the demo and the tests;
the product never imports it. The contracts in ``pyproject.toml`` (``lint-imports``, run by
``make lint``) enforce the order, the absence of import circles and the sandbox's separation.
"""

import os

# Opt in to python-telegram-bot's coming timedelta semantics (RetryAfter.retry_after and
# friends); our code reads both forms, and this silences a deprecation warning on every 429.
os.environ.setdefault("PTB_TIMEDELTA", "1")
