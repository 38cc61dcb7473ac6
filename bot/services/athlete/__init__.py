"""The athlete's flows, between the handlers and the store: one call per update, one
transaction (the caller's session), a :class:`~bot.services.athlete.results.Result` back.

- ``questionnaire``: find the athlete, open, render, answer and complete a questionnaire;
- ``onboarding``, ``daily`` (morning check-in and session report), ``account`` (settings,
  delete, baseline, unlink): what each questionnaire does when it completes;
- ``commands``: /start, /timezone, /cancel, /pause, /resume, /unlink, /plan, /status, /history,
  /export;
- ``engine_bridge``: the pure engine run on the stored history, and its decisions recorded;
- ``abandoned``: answers left unfinished that call for review, evaluated by the system;
- ``notes``: an athlete's /problem note as each linked clinician gets it;
- ``keyboards``: the questions' buttons and their callback data; ``results``: Env, Out, Result.

May import the shared pieces of ``bot.services`` (``questionnaires``, ``protocol_admin``,
``invites``, ``access``, ``texts``, ``timezones``...) and the layers below, never
``clinician``, ``digest`` or ``callers`` (see the "services" contract in pyproject.toml);
nothing here sends to Telegram. Modules import each other one way only (commands →
questionnaire → the finishers → notes → results → engine_bridge).
"""
