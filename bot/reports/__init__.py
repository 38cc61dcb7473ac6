"""Rendering of progress charts, clinician PDF reports and the weekly clinician digest.

Everything here is built from plain input models (`bot.reports.data`) filled from stored
data; nothing reads the database, the clock or Telegram. Run the renderers through
`bot.reports.runner.in_worker_thread` so a big render never blocks other users.
"""
