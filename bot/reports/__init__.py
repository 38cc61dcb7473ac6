"""Progress charts, clinician PDF reports and the weekly clinician digest: read and drawn.

The renderers (``chart``, ``report_pdf``, ``digest``) work on plain input models
(``bot.reports.data``) and read neither the database, the clock nor Telegram; ``from_store``
fills those models from stored records (read-only), with ``stage_history`` (which stage each
day was run in, and who moved the athlete and why), ``criteria`` (what the stage still needs,
the chart's speed line at the criterion's own threshold) and ``record`` (the clinician's
actions in words, a review a later warning sign voided included); ``rtl`` sets Hebrew and
Arabic right to left in the PDF; ``build`` reads and draws in one call (the chart and report
builders the handlers and the outbox sender use). Every label a person reads comes from
``bot.wording``, through ``shown`` where stored data may hold what the wording names by its
id (an admin's stage without a name or no longer in the protocol, a sign-off without a note,
an unknown rule, a protocol without a title: said in words, never by its id); ``words``
writes the dates and lists they share as the reader's language does (French "1er mars",
"a ; b"). Run them through ``bot.reports.runner.in_worker_thread``
so a big render never blocks other users; matplotlib and fpdf are imported with the first
render.

Infrastructure: may import ``bot.store``, ``bot.wording``, ``bot.clock``, ``bot.settings`` and
``engine`` only.
"""
