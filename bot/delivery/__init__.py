"""The outbox sender: delivers queued messages to Telegram within its limits (rate gate,
429 retry_after, backoff on 5xx and timeouts, 403 → unreachable and the clinician told), and an
update's replies at once (``sender``, ``calls``, ``outcomes``); the deployment-wide send rate
all replicas share (``budget``).

Infrastructure: run by the JobQueue jobs of ``bot.handlers.jobs``; the services only write
outbox rows (``bot.store``). May import ``bot.reports`` (to draw a stage-change chart),
``bot.store``, ``bot.clock``, ``bot.settings`` and ``engine``; never ``bot.services``,
``bot.handlers`` or anything above.
"""
