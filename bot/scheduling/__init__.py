"""The prompt scheduler: morning check-ins, reminders, post-session and follow-up prompts,
planned in each athlete's local time and kept in the database (nothing per athlete in memory).

Infrastructure: called by ``bot.services`` (re-plan after a change) and run by the JobQueue
jobs of ``bot.handlers.jobs``; the prompt senders are registered by the handlers
(``registry``). May import ``bot.store``, ``bot.clock``, ``bot.settings`` and ``engine``;
never ``bot.services``, ``bot.handlers`` or anything above.
"""
