"""The use cases: what Sprintback does for an athlete, a clinician or an admin.

Layer: below ``bot.handlers`` (which parse updates and send results), above the infrastructure
(``bot.scheduling``, ``bot.delivery``, ``bot.reports``), ``bot.store``, ``bot.clock``,
``bot.settings`` and ``engine``, which it may import; it never imports a handler, the wiring
(``bot.app``, ``bot.runtime``) or the sandbox. Services take the caller's session (one
transaction per update or job), the time and the settings they need as arguments; they do not
see the Services container of ``bot_data``.

- ``athlete``: the athlete's flows: questionnaires (open, answer, complete), what each one does
  when complete (onboarding, daily check-in and session report, settings/delete/baseline),
  the commands, the engine bridge, abandoned answers, the question buttons.
- ``clinician``: clinician actions, the /athletes overview and its traffic light, the
  /athlete card, decisions from buttons and commands, alert escalation and the buttons the
  cards share.
- ``questionnaires``: the declarative questionnaires, answer parsing, metrics parsing.
- ``protocol_admin`` (drafts, dry-runs, publishing), ``protocol_files`` (protocol files on
  disk), ``digest`` (the weekly clinician digest), ``invites`` (invites and links),
  ``callers`` (who is asking), ``access`` (who may see and do what), ``callback_auth``
  (signed buttons), ``texts`` (what the athlete reads), ``timezones`` (picking a zone).
"""
