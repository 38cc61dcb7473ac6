"""Progress charts, clinician PDF reports and the weekly clinician digest: read and drawn.

The renderers (``chart``, ``report_pdf``, ``digest``) work on plain input models
(``bot.reports.data``) and read neither the database, the clock nor Telegram; ``from_store``
fills those models from stored records (read-only) and ``build`` reads and draws in one call
(the chart and report builders the handlers and the outbox sender use). Run them through
``bot.reports.runner.in_worker_thread`` so a big render never blocks other users; matplotlib
and fpdf are imported with the first render.

Infrastructure: may import ``bot.store``, ``bot.clock``, ``bot.settings`` and ``engine`` only.
"""
